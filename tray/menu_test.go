package tray

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dlhelper/downloader"
)

// gatedServer serves one object with Range support (http.ServeContent);
// every request waits until the gate opens or the client goes away, so a
// test decides when a job may finish.
type gatedServer struct {
	*httptest.Server
	open func()
}

func newGatedServer(t *testing.T, data []byte) *gatedServer {
	gate := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("ETag", `"tray-test-object"`)
		http.ServeContent(w, r, "object.zip", time.Unix(1700000000, 0), bytes.NewReader(data))
	}))
	open := func() { once.Do(func() { close(gate) }) }
	t.Cleanup(func() { open(); srv.Close() })
	return &gatedServer{srv, open}
}

func newManager(t *testing.T) *downloader.Manager {
	m, err := downloader.New(downloader.Config{StateDir: t.TempDir(), Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// notes captures notifications.
type notes struct {
	mu   sync.Mutex
	list []string
	ch   chan string
}

func newNotes() *notes { return &notes{ch: make(chan string, 16)} }

func (n *notes) notify(title, message string) error {
	n.ch <- title + ": " + message
	return nil
}

func (n *notes) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-n.ch:
		return s
	case <-time.After(waitLimit):
		t.Fatal("no notification came")
		return ""
	}
}

// runMenu runs a Menu over m on a fake UI until the test ends.
func runMenu(t *testing.T, m Controller, o Options) *fakeUI {
	t.Helper()
	ui := newFakeUI()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- New(m, o).Run(ctx, ui) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	ui.statusIs(t, o.Lang.text(msgIdle), IconIdle)
	return ui
}

func TestMenuPausesAndResumesTheManagersJobs(t *testing.T) {
	t.Parallel()
	m := newManager(t)
	srv := newGatedServer(t, bytes.Repeat([]byte("dlhelper"), 64<<10))
	n := newNotes()
	ui := runMenu(t, m, Options{Notify: n.notify})
	if !ui.isDisabled(t, "Pause all") || !ui.isDisabled(t, "Resume all") {
		t.Errorf("with no jobs, Pause all and Resume all should be disabled; menu: %s", ui.describe())
	}

	job, err := m.Add(downloader.JobSpec{Name: "Order 7", Files: []downloader.FileSpec{{URL: srv.URL + "/a.zip", Name: "a.zip"}}})
	if err != nil {
		t.Fatal(err)
	}
	ui.statusIs(t, "1 downloading", IconActive)

	ui.click(t, "Pause all")
	ui.statusIs(t, "Paused", IconPaused)
	if got := jobState(t, m, job.ID); got != downloader.JobPaused {
		t.Errorf("after Pause all the job is %s, want paused", got)
	}
	if !ui.isDisabled(t, "Pause all") {
		t.Errorf("when everything is paused, Pause all should be disabled; menu: %s", ui.describe())
	}

	ui.click(t, "Resume all")
	ui.statusIs(t, "1 downloading", IconActive)
	srv.open()
	ui.statusIs(t, "Idle", IconIdle)
	if got := jobState(t, m, job.ID); got != downloader.JobCompleted {
		t.Errorf("after Resume all the job ended %s, want completed", got)
	}
	if got := n.next(t); !strings.HasPrefix(got, "Download complete: Order 7: 1 file in ") {
		t.Errorf("notification = %q, want one that Order 7 completed", got)
	}
	if tip := ui.currentTooltip(); !strings.Contains(tip, "Idle") {
		t.Errorf("tooltip = %q, want it to say Idle", tip)
	}
}

func TestMenuShowsAFailedOrder(t *testing.T) {
	t.Parallel()
	m := newManager(t)
	missing := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(missing.Close)
	n := newNotes()
	ui := runMenu(t, m, Options{Notify: n.notify})

	if _, err := m.Add(downloader.JobSpec{Name: "Order 9", Files: []downloader.FileSpec{{URL: missing.URL + "/gone.zip", Name: "gone.zip"}}}); err != nil {
		t.Fatal(err)
	}
	ui.statusIs(t, "1 failed", IconError)
	if got := n.next(t); !strings.HasPrefix(got, "Download failed: Order 9: 1 of 1 file failed.") {
		t.Errorf("notification = %q, want one that Order 9 failed", got)
	}
	if ui.isDisabled(t, "Resume all") {
		t.Errorf("with a failed job, Resume all should be offered; menu: %s", ui.describe())
	}
}

func TestMenuRunsItsActions(t *testing.T) {
	t.Parallel()
	m := newManager(t)
	calls := make(chan string, 8)
	login := false
	o := Options{
		OpenFolder:     func() error { calls <- "folder"; return nil },
		OpenStatusPage: func() error { calls <- "page"; return errors.New("no browser") },
		StartAtLogin:   func() bool { return login },
		SetStartAtLogin: func(on bool) error {
			login = on
			calls <- "login"
			return nil
		},
		Quit: func() { calls <- "quit" },
	}
	ui := runMenu(t, m, o)
	for _, tt := range []struct{ item, want string }{
		{"Open download folder", "folder"},
		{"Open status page", "page"},
		{"Start at login", "login"},
		{"Quit", "quit"},
	} {
		ui.click(t, tt.item)
		if got := <-calls; got != tt.want {
			t.Errorf("clicking %q ran %q, want %q", tt.item, got, tt.want)
		}
	}
	ui.waitFor(t, "Start at login checked", func(u *fakeUI) bool { return checked(u, "Start at login") })
	if !login {
		t.Error("Start at login was not turned on")
	}
	ui.click(t, "Start at login")
	<-calls
	ui.waitFor(t, "Start at login unchecked", func(u *fakeUI) bool { return !checked(u, "Start at login") })
}

func TestMenuLeavesOutActionsItWasNotGiven(t *testing.T) {
	t.Parallel()
	ui := runMenu(t, newManager(t), Options{})
	if got, want := strings.Join(ui.labels(), ", "), "Idle, Pause all, Resume all"; got != want {
		t.Errorf("items = %s, want %s", got, want)
	}
}

func TestMenuEndsWhenTheManagerCloses(t *testing.T) {
	t.Parallel()
	m, err := downloader.New(downloader.Config{StateDir: t.TempDir(), Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ui := newFakeUI()
	done := make(chan error, 1)
	go func() { done <- New(m, Options{}).Run(context.Background(), ui) }()
	ui.statusIs(t, "Idle", IconIdle)
	m.Close()
	if err := <-done; err != nil {
		t.Errorf("Run after Close = %v, want nil", err)
	}
}

func jobState(t *testing.T, m *downloader.Manager, id string) downloader.JobState {
	t.Helper()
	j, err := m.Job(id)
	if err != nil {
		t.Fatal(err)
	}
	return j.State
}

// checked reports, under the fake's lock, whether the item labelled so is checked.
func checked(u *fakeUI, label string) bool {
	for _, it := range u.items {
		if it.label == label {
			return it.checked
		}
	}
	return false
}

func TestMenuShowsStartAtLoginChangedElsewhere(t *testing.T) {
	t.Parallel()
	var login atomic.Bool
	set := make(chan bool, 1)
	ui := runMenu(t, newManager(t), Options{
		StartAtLogin:       login.Load,
		SetStartAtLogin:    func(on bool) error { login.Store(on); set <- on; return nil },
		LoginCheckInterval: time.Millisecond,
	})
	// "dlhelper install" turns it on while the menu runs.
	login.Store(true)
	ui.waitFor(t, "Start at login checked after install", func(u *fakeUI) bool { return checked(u, "Start at login") })
	// Turned off elsewhere; a click then turns it on, whatever the box showed.
	login.Store(false)
	ui.waitFor(t, "Start at login unchecked", func(u *fakeUI) bool { return !checked(u, "Start at login") })
	ui.click(t, "Start at login")
	if on := <-set; !on {
		t.Error("a click with start at login off turned it off")
	}
}
