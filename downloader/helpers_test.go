package downloader

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testConfig is a Config tuned so faults resolve in milliseconds: small
// pieces, quick retries, a short stall timeout and frequent checkpoints.
func testConfig(t *testing.T) Config {
	return Config{
		StateDir: t.TempDir(), Root: t.TempDir(),
		MinPiece: 64 << 10, StallTimeout: 300 * time.Millisecond,
		CheckpointInterval: 50 * time.Millisecond, ProgressInterval: 20 * time.Millisecond,
		RetryBase: 5 * time.Millisecond, RetryMax: 40 * time.Millisecond, MaxAttempts: 6,
		Logger: quietLogger(t),
	}
}

func quietLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newTestManager(t *testing.T, cfg Config) *Manager {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// runJob adds spec and waits until the job no longer moves by itself.
func runJob(t *testing.T, m *Manager, spec JobSpec) JobInfo {
	t.Helper()
	sub := m.Subscribe()
	defer sub.Close()
	j, err := m.Add(spec)
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	return waitSettled(t, m, sub, j.ID)
}

// waitSettled waits, through events, until job id is completed, failed,
// canceled, paused or waiting for a URL.
func waitSettled(t testing.TB, m *Manager, sub *Subscription, id string) JobInfo {
	t.Helper()
	return waitJobState(t, m, sub, id, JobCompleted, JobFailed, JobCanceled, JobPaused, JobWaiting)
}

func waitJobState(t testing.TB, m *Manager, sub *Subscription, id string, states ...JobState) JobInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		j, err := m.Job(id)
		if err != nil {
			t.Fatalf("Job(%s): %v", id, err)
		}
		for _, s := range states {
			if j.State == s {
				return j
			}
		}
		if _, err := sub.Next(ctx); err != nil {
			t.Fatalf("waiting for job %s to reach %v (now %s): %v", id, states, j.State, err)
		}
	}
}

// waitEvent returns the first event for which ok is true.
func waitEvent(t *testing.T, sub *Subscription, ok func(Event) bool) Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for an event: %v", err)
		}
		if ok(ev) {
			return ev
		}
	}
}

func assertFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes differ from the %d expected", path, len(got), len(want))
	}
}

func assertNoPart(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path + partSuffix); !os.IsNotExist(err) {
		t.Errorf("%s%s still exists (err %v)", path, partSuffix, err)
	}
}

// waitFor polls cond for what events cannot tell (files on disk).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// countingTransport counts requests in flight on the client, from the
// request until its body is closed: what the engine holds open, which the
// server cannot see exactly (its handlers end after the client left).
type countingTransport struct {
	next      http.RoundTripper
	now, peak atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	n := c.now.Add(1)
	for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
	}
	resp, err := c.next.RoundTrip(r)
	if err != nil {
		c.now.Add(-1)
		return nil, err
	}
	resp.Body = &countedBody{ReadCloser: resp.Body, done: func() { c.now.Add(-1) }}
	return resp, nil
}

type countedBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *countedBody) Close() error {
	b.once.Do(b.done)
	return b.ReadCloser.Close()
}

// withCounting makes cfg's client count its requests in flight.
func withCounting(cfg *Config) *countingTransport {
	ct := &countingTransport{next: NewTransport(16)}
	cfg.HTTPClient = &http.Client{Transport: ct}
	return ct
}

// holdSyncs makes every sync of a finished .part wait until release is
// called, and reports the .part's name as its sync begins (n at most
// before the test reads them). The test's cleanup releases them before
// m.Close, which waits for the syncs.
func holdSyncs(t *testing.T, m *Manager, n int) (syncing <-chan string, release func()) {
	ch := make(chan string, n)
	released := make(chan struct{})
	release = sync.OnceFunc(func() { close(released) })
	t.Cleanup(release)
	m.fin.sync = func(f *os.File, _ int64) error {
		ch <- filepath.Base(f.Name())
		<-released
		return f.Sync()
	}
	return ch, release
}

// stopMidway starts a job of one file, f.bin, from url and closes the
// Manager once more than 1 MiB of it is in; the job stays in cfg's state.
func stopMidway(t *testing.T, cfg Config, url string) JobInfo {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sub := m.Subscribe()
	j, err := m.Add(JobSpec{Name: "x", Files: []FileSpec{{URL: url, Name: "f.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, func(ev Event) bool { return ev.Type == EventJobProgress && ev.Progress.Done > 1<<20 })
	m.Close()
	return j
}

// resumeToEnd opens a Manager on cfg again and returns job id once it
// ended, failing the test unless it completed.
func resumeToEnd(t *testing.T, cfg Config, id string) JobInfo {
	t.Helper()
	m := newTestManager(t, cfg)
	got := waitSettled(t, m, m.Subscribe(), id)
	if got.State != JobCompleted {
		t.Fatalf("job ended %s: %+v", got.State, got.Files)
	}
	return got
}
