package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"dlhelper/bridge"
	"dlhelper/downloader"
	"dlhelper/internal/brand"
	"dlhelper/internal/update"
)

// The helper keeps itself current from the update feed its brand names
// (internal/brand): it checks at start, then daily and whenever the page
// asks (POST /v1/update); internal/update downloads, verifies and installs
// a newer build once no download is running. Then the helper shuts down in
// order, as on Quit, and starts the new program in its place
// (restartSelf), which resumes every job from the state database.

// checkEvery is how often a running helper looks at the feed.
const checkEvery = 24 * time.Hour

// restartError tells the caller of a helper's run that a new version is
// installed at exe and the program must start again.
type restartError struct{ exe string }

func (e *restartError) Error() string { return "a new version is installed; restarting" }

// executableToRestart is the program to start after a run that ended with
// err, or "".
func executableToRestart(err error) string {
	var r *restartError
	if errors.As(err, &r) {
		return r.exe
	}
	return ""
}

// selfUpdater runs the checks of one helper. Its methods are safe on a
// nil *selfUpdater, which is a build without a feed.
type selfUpdater struct {
	u      *update.Updater
	exe    string // this program, found at start: once replaced, the OS may name it "(deleted)"
	log    *slog.Logger
	kick   chan struct{} // a check asked for now
	done   chan struct{} // closed when a new version is installed
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	status bridge.UpdateStatus
}

// newSelfUpdater prepares the updates of a helper whose jobs m runs, or
// returns nil when this build has no feed or cannot find itself.
func newSelfUpdater(m *downloader.Manager, stateDir string, log *slog.Logger) *selfUpdater {
	b := brand.Get()
	if b.FeedURL == "" {
		return nil
	}
	key, err := update.ParsePublicKey(b.PublicKey)
	var exe string
	if err == nil {
		exe, err = executablePath()
	}
	if err != nil {
		log.Error("updates are off", "err", err)
		return nil
	}
	s := &selfUpdater{exe: exe, log: log, kick: make(chan struct{}, 1), done: make(chan struct{}),
		status: bridge.UpdateStatus{Version: version, State: "idle"}}
	s.u = &update.Updater{
		Current: version, FeedURL: b.FeedURL, Key: key, Dir: filepath.Join(stateDir, "update"),
		Idle: func(ctx context.Context) error { return waitIdle(ctx, m, s) }, TargetPath: exe, Log: log,
		Downloading: func(v string) { s.set("downloading", v, nil) },
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// forBridge is s as the bridge's Updater: a nil interface, not a nil
// pointer in one, when there are no updates.
func (s *selfUpdater) forBridge() bridge.Updater {
	if s == nil {
		return nil
	}
	return s
}

// start runs the checks until stop or an installed update.
func (s *selfUpdater) start() {
	if s == nil {
		return
	}
	s.kick <- struct{}{} // the check at start
	s.wg.Go(s.loop)
}

func (s *selfUpdater) loop() {
	t := time.NewTicker(checkEvery)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		s.set("checking", "", nil)
		r, err := s.u.Update(s.ctx)
		switch {
		case err == nil:
			s.set("restarting", r.Version, nil)
			close(s.done)
			return
		case errors.Is(err, update.ErrUpToDate):
			s.set("idle", version, nil)
		case s.ctx.Err() != nil:
			return
		default:
			s.set("failed", r.Version, err)
		}
	}
}

// stop ends the checks and waits for them; an update being downloaded
// resumes at the next start.
func (s *selfUpdater) stop() {
	if s == nil {
		return
	}
	s.cancel()
	s.wg.Wait()
}

// installed is closed once a new version is in place (never for nil).
func (s *selfUpdater) installed() <-chan struct{} {
	if s == nil {
		return nil
	}
	return s.done
}

// restartNeeded is a *restartError once a new version is in place.
func (s *selfUpdater) restartNeeded() error {
	select {
	case <-s.installed():
		return &restartError{exe: s.exe}
	default:
		return nil
	}
}

func (s *selfUpdater) set(state, latest string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.State = state
	if latest != "" {
		s.status.Latest = latest
	}
	s.status.Error = ""
	if err != nil {
		s.status.Error = err.Error()
	}
}

// UpdateStatus is for GET /v1/update.
func (s *selfUpdater) UpdateStatus() bridge.UpdateStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// UpdateNow is for POST /v1/update: a check now, unless one is under way.
func (s *selfUpdater) UpdateNow() bridge.UpdateStatus {
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return s.UpdateStatus()
}

// waitIdle returns once no job of m is queued or running: paused jobs and
// those waiting for a fresh URL are resumed from the state by the new
// version, but a transfer is never cut for an update.
func waitIdle(ctx context.Context, m *downloader.Manager, s *selfUpdater) error {
	for {
		sub := m.Subscribe()
		err := waitIdleOn(ctx, m, sub, s)
		sub.Close()
		if !errors.Is(err, downloader.ErrSlowSubscriber) {
			return err
		}
	}
}

func waitIdleOn(ctx context.Context, m *downloader.Manager, sub *downloader.Subscription, s *selfUpdater) error {
	logged := false
	for {
		busy := busyJobs(m.Jobs())
		if busy == 0 {
			return nil
		}
		s.set("waiting", "", nil)
		if !logged {
			s.log.Info("the update waits until no download is running", "jobs", busy)
			logged = true
		}
		if _, err := sub.Next(ctx); err != nil {
			return err
		}
	}
}

func busyJobs(jobs []downloader.JobInfo) int {
	n := 0
	for _, j := range jobs {
		if j.State == downloader.JobRunning || j.State == downloader.JobQueued {
			n++
		}
	}
	return n
}

// restartArgs are this run's arguments without its dlhelper:// links,
// which were followed already.
func restartArgs() []string {
	var args []string
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(strings.ToLower(a), "dlhelper:") {
			args = append(args, a)
		}
	}
	return args
}
