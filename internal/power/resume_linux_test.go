package power

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
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
	relay := newDeadAfterSleep(t, u.Host)
	u.Host = relay.addr

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
	relay.sleep()
	resumed := time.Now()
	emit(false)
	wait(t, spy.woke, "PrepareForSleep(false) reaches the Manager")
	wait(t, relay.flowed, "bytes flow over a new connection after the resume")
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

// deadAfterSleep relays TCP to a server; after sleep the connections it
// had carry nothing, silently, as after a laptop's sleep, while new ones
// work. flowed is closed when a new connection first carries bytes.
type deadAfterSleep struct {
	addr   string
	mu     sync.Mutex
	dead   []*atomic.Bool
	asleep atomic.Bool
	flowed chan struct{}
	once   sync.Once
}

func newDeadAfterSleep(t *testing.T, upstream string) *deadAfterSleep {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &deadAfterSleep{addr: ln.Addr().String(), flowed: make(chan struct{})}
	var wg sync.WaitGroup
	var conns []net.Conn
	wg.Go(func() {
		for {
			down, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				down.Close()
				continue
			}
			dead := new(atomic.Bool)
			r.mu.Lock()
			r.dead = append(r.dead, dead)
			conns = append(conns, up, down)
			r.mu.Unlock()
			fresh := r.asleep.Load()
			wg.Go(func() { r.pipe(down, up, dead, false) })
			wg.Go(func() { r.pipe(up, down, dead, fresh) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		r.mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		r.mu.Unlock()
		wg.Wait()
	})
	return r
}

func (r *deadAfterSleep) pipe(dst, src net.Conn, dead *atomic.Bool, fresh bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !dead.Load() {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
			if fresh {
				r.once.Do(func() { close(r.flowed) })
			}
		}
		if err != nil {
			if err == io.EOF && !dead.Load() {
				_ = dst.(*net.TCPConn).CloseWrite()
			}
			return
		}
	}
}

func (r *deadAfterSleep) sleep() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asleep.Store(true)
	for _, d := range r.dead {
		d.Store(true)
	}
}
