package power

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"dlhelper/downloader"
	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

// wokeSpy passes Woke on to the Manager and tells the test it came.
type wokeSpy struct {
	m    *downloader.Manager
	woke chan struct{}
}

func (s *wokeSpy) Woke() { s.m.Woke(); s.woke <- struct{}{} }

func TestLogindsResumeSignalReconnectsTheDownloadAtOnce(t *testing.T) {
	bus := testenv.PrivateBus(t)
	logind, err := dbus.Connect(bus)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logind.Close() })
	data := make([]byte, 16<<20)
	_, _ = rand.Read(data)
	srv := faultserver.New(t, data, faultserver.RateLimit(1<<20)) // seconds: still running at the sleep
	u, _ := url.Parse(srv.URL())
	relay := testenv.NewSleepyRelay(t, u.Host)
	u.Host = relay.Addr

	m, err := downloader.New(downloader.Config{StateDir: t.TempDir(), Root: t.TempDir(),
		StallTimeout: time.Hour, // only the resume signal may cut the dead connections
		Logger:       slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	spy := &wokeSpy{m: m, woke: make(chan struct{}, 1)}
	conn, err := dbus.Connect(bus)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	sigs, err := subscribeResume(conn) // before the signal is sent, so none is missed
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	followed := make(chan struct{})
	go func() { followResume(ctx, sigs, spy, slog.New(slog.DiscardHandler)); close(followed) }()
	t.Cleanup(func() { stop(); <-followed })

	sub := m.Subscribe()
	defer sub.Close()
	j, err := m.Add(downloader.JobSpec{Name: "sleep", Files: []downloader.FileSpec{{URL: u.String(), Name: "a.zip"}}})
	if err != nil {
		t.Fatal(err)
	}
	for ev := range events(t, sub) {
		if ev.Type == downloader.EventJobProgress && ev.Progress.Done > 0 {
			break
		}
	}
	emit := func(sleeping bool) {
		t.Helper()
		if err := logind.Emit("/org/freedesktop/login1", login1Manager+"."+prepareForSleep, sleeping); err != nil {
			t.Fatal(err)
		}
	}
	emit(true)
	relay.Sleep()
	resumed := time.Now()
	emit(false)
	wait(t, spy.woke, "PrepareForSleep(false) reaches the Manager")
	wait(t, relay.Flowed, "bytes flow over a new connection after the resume")
	t.Logf("bytes flowed again over a new connection %v after the resume signal", time.Since(resumed).Round(time.Millisecond))

	for ev := range events(t, sub) {
		if ev.JobID == j.ID && ev.Job != nil && ev.Job.State != downloader.JobRunning && ev.Job.State != downloader.JobQueued {
			if ev.Job.State != downloader.JobCompleted {
				t.Fatalf("job %s; want completed", ev.Job.State)
			}
			break
		}
	}
	t.Logf("the order completed %v after the resume signal", time.Since(resumed).Round(time.Millisecond))
}

// events yields sub's events; a quiet minute fails the test (a guard
// against a hang, not a measure).
func events(t *testing.T, sub *downloader.Subscription) func(func(downloader.Event) bool) {
	return func(yield func(downloader.Event) bool) {
		for {
			ctx, stop := context.WithTimeout(context.Background(), time.Minute)
			ev, err := sub.Next(ctx)
			stop()
			if err != nil {
				t.Fatalf("waiting for an event: %v", err)
			}
			if !yield(ev) {
				return
			}
		}
	}
}
