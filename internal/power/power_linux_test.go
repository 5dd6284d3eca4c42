package power

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"dlhelper/downloader"
	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

// fakeLogind stands in for org.freedesktop.login1 on a private bus. Each
// Inhibit hands out the write end of a pipe, as logind hands out a fifo:
// the lock is released when every copy is closed, which the read end sees
// as end of file.
type fakeLogind struct{ locks chan *lock }

type lock struct {
	what, mode string
	r, w       *os.File
}

func (f *fakeLogind) Inhibit(what, who, why, mode string) (dbus.UnixFD, *dbus.Error) {
	r, w, err := os.Pipe()
	if err != nil {
		return 0, dbus.MakeFailedError(err)
	}
	fd := dbus.UnixFD(w.Fd()) // before the test may close w
	f.locks <- &lock{what: what, mode: mode, r: r, w: w}
	return fd, nil
}

// released reports when every copy of the lock's fd is closed. The fake's
// own copy is closed first: the client has its copy once Inhibit returned.
func (l *lock) released() <-chan struct{} {
	l.w.Close()
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, l.r)
		l.r.Close()
		close(done)
	}()
	return done
}

func serveLogind(t *testing.T, addr string) *fakeLogind {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	f := &fakeLogind{locks: make(chan *lock, 4)}
	if err := conn.Export(f, "/org/freedesktop/login1", "org.freedesktop.login1.Manager"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.freedesktop.login1", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("take login1's name: %v (reply %v)", err, reply)
	}
	return f
}

// spy tells when the inhibitor holds its lock, so the fake may let go of
// its own copy of the fd.
type spy struct {
	Inhibitor
	held chan struct{}
}

func (s *spy) Inhibit() error {
	err := s.Inhibitor.Inhibit()
	if err == nil {
		s.held <- struct{}{}
	}
	return err
}

func TestTheComputerStaysAwakeExactlyWhileFilesDownload(t *testing.T) {
	bus := testenv.PrivateBus(t)
	fake := serveLogind(t, bus)
	data := make([]byte, 16<<20)
	_, _ = rand.Read(data)
	srv := faultserver.New(t, data, faultserver.RateLimit(1<<20)) // 16 s: still running when paused
	// Slow enough (1 s) that the job is seen running: one that ends before
	// the keeper reads the jobs never needed the lock.
	small := faultserver.New(t, data[:256<<10], faultserver.RateLimit(256<<10))
	m, err := downloader.New(downloader.Config{StateDir: t.TempDir(), Root: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	inh := &spy{Inhibitor: &logind{addr: bus}, held: make(chan struct{}, 1)}
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { Run(ctx, m, inh, slog.New(slog.DiscardHandler)); close(ran) }()
	t.Cleanup(func() { stop(); <-ran })

	taken := func(why string) *lock {
		t.Helper()
		l := wait(t, fake.locks, why)
		wait(t, inh.held, why)
		if l.what != "sleep:idle" || l.mode != "block" {
			t.Errorf("Inhibit(%q, %q); want sleep:idle, block", l.what, l.mode)
		}
		return l
	}
	add := func(url string) downloader.JobInfo {
		t.Helper()
		j, err := m.Add(downloader.JobSpec{Name: "order", Files: []downloader.FileSpec{{URL: url, Name: "a.zip"}}})
		if err != nil {
			t.Fatal(err)
		}
		return j
	}

	j := add(srv.URL())
	l := taken("a download starts")
	gone := l.released()
	m.PauseAll()
	wait(t, gone, "pause releases the lock")

	m.ResumeAll()
	gone = taken("resume").released()
	if err := m.CancelJob(j.ID); err != nil {
		t.Fatal(err)
	}
	wait(t, gone, "cancel releases the lock")

	add(small.URL())
	wait(t, taken("a small order").released(), "a finished order releases the lock")

	add(srv.URL())
	gone = taken("another order").released()
	stop()
	wait(t, gone, "exit releases the lock")
}

// wait fails the test if ch yields nothing for a long while; it guards
// against a hang, it measures nothing.
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: nothing after 20 s", what)
	}
	var zero T
	return zero
}
