package downloader

import (
	"context"
	"errors"
	"sync"
	"time"
)

// errWoke cuts the requests that were open when the computer went to
// sleep: their TCP connections are most likely dead (the NAT or Wi-Fi
// forgot them), and waiting for StallTimeout to notice would cost each one
// half a minute. A cut attempt is retried at once and counts no failure.
var errWoke = errors.New("the computer woke from sleep")

// wakeCheckEvery is how often the clocks are compared; a wake is noticed
// at most this late.
const wakeCheckEvery = 2 * time.Second

// wakeThreshold is how much more time than wakeCheckEvery must pass
// between two checks to count as a sleep: well above a busy machine's
// scheduling delays, well below StallTimeout.
const wakeThreshold = 5 * time.Second

// wakeRepeat is how soon after one wake another report is taken for the
// same wake: the system's word (Woke) and the clocks' jump both report a
// resume, seconds apart, and a second cut would only kill the connections
// the first one opened.
const wakeRepeat = wakeCheckEvery + wakeThreshold

// wakes cuts every request in flight when the computer wakes.
type wakes struct {
	mu    sync.Mutex
	next  uint64
	cuts  map[uint64]context.CancelCauseFunc
	born  time.Time    // the origin of the monotonic readings
	last  clockReading // the last wake handled
	woken bool         // whether last is set
}

func newWakes() *wakes {
	return &wakes{cuts: map[uint64]context.CancelCauseFunc{}, born: time.Now()}
}

// track registers the cut of one request; call the result when it ends.
func (w *wakes) track(cut context.CancelCauseFunc) (untrack func()) {
	if w == nil { // a Manager built by hand in a test
		return func() {}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	id := w.next
	w.next++
	w.cuts[id] = cut
	return func() {
		w.mu.Lock()
		delete(w.cuts, id)
		w.mu.Unlock()
	}
}

// cutAll cuts every request in flight and returns how many.
func (w *wakes) cutAll() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, cut := range w.cuts {
		cut(errWoke)
	}
	return len(w.cuts)
}

// fresh reports whether a wake at now is not one already handled, and if
// so remembers it. Both clocks must say it is recent: the monotonic one
// stands still while the computer sleeps, so a second sleep just after a
// wake would look like the same wake to it alone.
func (w *wakes) fresh(now clockReading) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.woken && max(now.wall.Sub(w.last.wall), now.mono-w.last.mono) < wakeRepeat {
		return false
	}
	w.last, w.woken = now, true
	return true
}

func (w *wakes) now() clockReading { return readClocks(w.born) }

// clockReading is a moment on both clocks: wall time, which moves on
// while the computer sleeps, and monotonic time, which on Linux, Windows
// and macOS does not (and which also stands still for a stopped process).
type clockReading struct {
	wall time.Time
	mono time.Duration
}

func readClocks(start time.Time) clockReading {
	now := time.Now()
	return clockReading{wall: now.Round(0), mono: now.Sub(start)}
}

// slept reports how long the computer (or the process) was away between
// two checks meant to be every apart: the time either clock moved beyond
// every, when that passes wakeThreshold.
func slept(prev, now clockReading, every time.Duration) (time.Duration, bool) {
	gap := max(now.wall.Sub(prev.wall), now.mono-prev.mono) - every
	return gap, gap > wakeThreshold
}

// watchWakes compares the clocks every wakeCheckEvery until ctx ends and
// calls woke after a sleep.
func watchWakes(ctx context.Context, woke func(away time.Duration)) {
	start := time.Now()
	tick := time.NewTicker(wakeCheckEvery)
	defer tick.Stop()
	prev := readClocks(start)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := readClocks(start)
		if away, ok := slept(prev, now, wakeCheckEvery); ok {
			woke(away)
		}
		prev = now
	}
}

// Woke tells the engine the computer has just resumed from sleep, as the
// system says it (logind's PrepareForSleep(false) on Linux: see
// internal/power). It does what the clocks' jump does, without waiting up
// to wakeCheckEvery for it; the jump that follows is then ignored.
func (m *Manager) Woke() {
	if m.wakes.fresh(m.wakes.now()) {
		m.reconnect("the system said so", 0)
	}
}

// onWake is the clocks' report of a wake (watchWakes).
func (m *Manager) onWake(away time.Duration) {
	if m.wakes.fresh(m.wakes.now()) {
		m.reconnect("the clocks jumped", away)
	}
}

// reconnect drops every connection that was open before the sleep:
// requests in flight are cut and retried at once, idle kept-alive
// connections are closed so that no retry picks a dead one.
func (m *Manager) reconnect(why string, away time.Duration) {
	m.cfg.HTTPClient.CloseIdleConnections()
	n := m.wakes.cutAll()
	m.log.Info("woke from sleep; reconnecting", "why", why, "away", away.Round(time.Second), "requests", n)
}
