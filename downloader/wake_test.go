package downloader

import (
	"crypto/rand"
	"net/url"
	"testing"
	"time"

	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

func TestSleptNoticesAJumpOfEitherClock(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	at := func(wall, mono time.Duration) clockReading { return clockReading{t0.Add(wall), mono} }
	every := 2 * time.Second
	for _, tc := range []struct {
		name       string
		wall, mono time.Duration
		want       bool
	}{
		{"an ordinary tick", 2 * time.Second, 2 * time.Second, false},
		{"a busy machine's late tick", 4 * time.Second, 4 * time.Second, false},
		{"a suspend: wall time moved on, monotonic time did not", 62 * time.Second, 2 * time.Second, true},
		{"a stopped process: both moved on", 40 * time.Second, 40 * time.Second, true},
		{"the wall clock set back", -time.Hour, 2 * time.Second, false},
	} {
		got, ok := slept(at(0, time.Minute), at(tc.wall, time.Minute+tc.mono), every)
		if ok != tc.want {
			t.Errorf("%s: slept = %v, %v; want %v", tc.name, got, ok, tc.want)
		}
	}
}

func TestOneWakeReportedTwiceIsHandledOnce(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	at := func(wall, mono time.Duration) clockReading { return clockReading{t0.Add(wall), mono} }
	for _, tc := range []struct {
		name       string
		wall, mono time.Duration
		want       bool
	}{
		{"the clocks' jump two seconds after the system's word", 2 * time.Second, 2 * time.Second, false},
		{"a wake a minute later", time.Minute, time.Minute, true},
		{"a second sleep right after the wake: only wall time moved on", time.Hour, time.Second, true},
	} {
		w := newWakes()
		if !w.fresh(at(0, time.Minute)) {
			t.Fatalf("%s: the first wake was not fresh", tc.name)
		}
		if got := w.fresh(at(tc.wall, time.Minute+tc.mono)); got != tc.want {
			t.Errorf("%s: fresh = %v; want %v", tc.name, got, tc.want)
		}
	}
}

func TestAWakeReconnectsAtOnceAndTheDownloadGoesOn(t *testing.T) {
	t.Parallel()
	data := make([]byte, 16<<20)
	_, _ = rand.Read(data)
	srv := faultserver.New(t, data, faultserver.RateLimit(1<<20)) // 1 MiB/s a request: seconds, still running at the sleep
	u, _ := url.Parse(srv.URL())
	relay := testenv.NewSleepyRelay(t, u.Host)
	u.Host = relay.Addr

	cfg := testConfig(t)
	cfg.StallTimeout = time.Hour // only the wake may cut the dead connections
	m := newTestManager(t, cfg)
	sub := m.Subscribe()
	defer sub.Close()
	j, err := m.Add(JobSpec{Name: "sleep", Files: []FileSpec{{URL: u.String(), Name: "a.zip"}}})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, func(ev Event) bool { return ev.Type == EventJobProgress && ev.Progress.Done > 0 })
	relay.Sleep()
	woke := time.Now()
	m.onWake(time.Minute)
	select {
	case <-relay.Flowed:
		t.Logf("bytes flowed again over a new connection %v after the wake", time.Since(woke).Round(time.Millisecond))
	case <-time.After(30 * time.Second): // a guard against a hang, not a measure
		t.Fatal("no new connection carried bytes 30 s after the wake")
	}

	got := waitSettled(t, m, sub, j.ID)
	if got.State != JobCompleted {
		t.Fatalf("job %s (%v); want completed", got.State, got.Files[0].Error)
	}
	assertFile(t, got.Files[0].Path, data)
}
