package downloader

// How connections are handed out, all in this file.
//
// A host has a budget of connections, Config.MaxConnsPerHost: no more
// requests than that are in flight to it at once (acquire). Files share it
// by what they need:
//
//   - A file wants one connection per MinPiece it has left to fetch, up to
//     the connections it may use (fileWant); before its size is known it is
//     guessed to want what the host's last probed file wanted.
//   - Files at once: schedule starts another file of a host while the
//     files running against it want fewer connections than its budget
//     (roomFor). Small files want one each, so a budget's worth of them run
//     at once and their round trips overlap; a large file wants many and
//     runs nearly alone. As a file's last bytes come in its want falls, and
//     the next file's first request goes out before that last byte.
//   - Connections per file: a file starts with startConns (or fewer, if it
//     has fewer pieces) and, with automatic connections, doubles them while
//     the last doubling raised its rate by at least growGain of what the new
//     connections promised and the host has room (growth.next). A doubling
//     that raised the rate by less than keepGain is given back, and
//     connections already faster than fastConn are left as they are.
//   - A user's fixed Settings.Connections or MaxActiveFiles bounds all this:
//     a fixed connection count does not grow, a file count caps files at once.
//
// State: budgets guards every hostBudget's files and guess under its own
// lock, a leaf taken by the scheduler (under Manager.mu) and by transfers
// (under none); a hostBudget's slots are a semaphore; transfer.want is an
// atomic its transfer writes; a growth belongs to the one goroutine of its
// transfer that runs grow. A file finishing wants nothing, so the files
// at once are bounded by what downloads, not by what verifies.

import (
	"context"
	"net/url"
	"sync"
	"time"
)

const (
	// defaultConnsPerHost fills a 25 MiB/s line at a 200 ms round trip with
	// 2 MiB/s connections even on small files, whose connections wait a
	// round trip for every 256 KiB; aria2c as dlbench runs it (-x8 -j5)
	// may open 40 to one host. maxConnsPerHost is twice that, the per-job
	// connection cap validate already enforces: S3 and MinIO serve
	// thousands of requests per second per prefix, but a portal's own
	// gateway may not, and more than 64 streams from one customer is
	// rarely a faster line rather than a longer queue.
	defaultConnsPerHost = 32
	maxConnsPerHost     = 64
	// startConns is how many connections an automatic file starts with.
	startConns = 8
	// growInterval is how often a growing file's rate is measured when
	// its probe did not time a round trip (growWindow); settleWindows
	// windows pass after a growth before the rate counts: a window is as
	// long as a probe took, so a new connection's connect and first byte
	// are over by then.
	growInterval  = 250 * time.Millisecond
	settleWindows = 1
	// growGain: a doubling that brought at least this share of what the new
	// connections promised (the old rate per connection times their
	// number) was worth it; the line or the server was not yet the limit,
	// so the file doubles again. keepGain: one that raised the file's rate
	// by less than this share is given back: where the CPU or the disk is
	// the limit, more connections only cost CPU.
	growGain = 0.7
	keepGain = 0.1
	// fastConn is a connection's rate (bytes a second) past which no
	// growth is tried: 8 connections at it carry 2 Gbit/s, more than a
	// customer's line, so the file is held back by the CPU or the disk
	// and more connections only cost (loopback gives more than that per
	// connection; issue 21's long paths 2 to 4 MiB/s).
	fastConn = 32 << 20
)

// budgets holds every host's budget.
type budgets struct {
	limit int // connections per host (Config.MaxConnsPerHost)
	mu    sync.Mutex
	hosts map[string]*hostBudget
}

// hostBudget is one host's connections.
type hostBudget struct {
	slots chan struct{} // one token per request in flight
	// files are the transfers running against the host and guess what a
	// file of unknown size is assumed to want; guarded by budgets.mu.
	files map[*transfer]struct{}
	guess int
}

func newBudgets(limit int) *budgets {
	return &budgets{limit: limit, hosts: map[string]*hostBudget{}}
}

// of returns the budget of u's host; b.mu must be held.
func (b *budgets) of(rawURL string) *hostBudget {
	host := hostOf(rawURL)
	hb, ok := b.hosts[host]
	if !ok {
		hb = &hostBudget{slots: make(chan struct{}, b.limit), files: map[*transfer]struct{}{}, guess: startConns}
		b.hosts[host] = hb
	}
	return hb
}

// acquire takes a connection slot of the URL's host, or fails with ctx.
func (b *budgets) acquire(ctx context.Context, rawURL string) (release func(), err error) {
	b.mu.Lock()
	ch := b.of(rawURL).slots
	b.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// roomFor reports whether the host of rawURL has room for one file more:
// its running files want fewer connections than its budget.
func (b *budgets) roomFor(rawURL string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.room(b.of(rawURL), nil) > 0
}

// room is how many of hb's connections no running file but skip wants;
// b.mu must be held.
func (b *budgets) room(hb *hostBudget, skip *transfer) int {
	room := b.limit
	for t := range hb.files {
		if t != skip {
			room -= int(t.want.Load())
		}
	}
	return room
}

// join puts t in its host's budget with its first want: what its size
// says, else what the host's last probed file started with.
func (b *budgets) join(t *transfer, minPiece int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	hb := b.of(t.f.url())
	t.budget = hb
	hb.files[t] = struct{}{}
	w := hb.guess
	if size := t.spec.Size; size > 0 {
		w = fileWant(size, minPiece, t.conns)
	}
	t.want.Store(int32(min(w, t.conns)))
}

// leave takes t out of its budget.
func (b *budgets) leave(t *transfer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.budget != nil {
		delete(t.budget.files, t)
	}
}

// learned sets what an unprobed file of t's host is guessed to want from
// what t, just probed, starts with.
func (b *budgets) learned(t *transfer, w int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t.budget.guess = min(w, startConns)
}

// hostRoom is how many connections of t's host no other running file wants.
func (b *budgets) hostRoom(t *transfer) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.room(t.budget, t)
}

// fileWant is how many connections a file with left bytes still to ask
// for can use: one per MinPiece, at least one, at most most.
func fileWant(left, minPiece int64, most int) int {
	n := (left + minPiece - 1) / max(minPiece, 1)
	return int(max(1, min(n, int64(most))))
}

// roomFor reports whether a host whose downloading files want wants
// connections has room for one file more.
func roomFor(wants []int, limit int) bool {
	sum := 0
	for _, w := range wants {
		sum += w
	}
	return sum < limit
}

// growth decides when a file adds connections.
type growth struct {
	workers int     // connections the file has
	most    int     // connections it may have
	settle  int     // windows to skip before the rate counts
	fast    float64 // bytes a window of a connection not held back (fastConn)
	// last is the rate per connection before the last doubling and added
	// how many it added; before is the file's rate then.
	last, before float64
	added        int
	stopped      bool
}

func newGrowth(workers, most int, window time.Duration) growth {
	return growth{workers: workers, most: most, settle: settleWindows, fast: fastConn * window.Seconds()}
}

// next takes the bytes the file received in the last window and how many
// connections the host can spare, and returns how many to add, or to give
// back when it is negative.
func (g *growth) next(bytes float64, room int) int {
	if g.stopped || g.workers >= g.most {
		return 0
	}
	if g.settle > 0 {
		g.settle--
		return 0
	}
	if g.added > 0 {
		switch gain := bytes - g.before; {
		case gain < keepGain*g.before:
			g.stopped = true
			g.workers -= g.added
			return -g.added
		case gain < growGain*g.last*float64(g.added):
			g.stopped = true
			return 0
		}
	}
	if bytes >= g.fast*float64(g.workers) {
		g.stopped = true // the connections are not what holds the file back
		return 0
	}
	add := min(g.workers, room, g.most-g.workers)
	if add <= 0 {
		return 0 // no room now: measure again later
	}
	g.last, g.before, g.added = bytes/float64(g.workers), bytes, add
	g.workers += add
	g.settle = settleWindows
	return add
}

// hostOf is the budget key of a URL.
func hostOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Host
	}
	return rawURL
}

// filesAtOnce is the most files that download at once; m.mu must be held.
// Automatic (0) leaves it to the budgets, under the settings' ceiling.
func (m *Manager) filesAtOnce() int {
	if n := m.settings.MaxActiveFiles; n > 0 {
		return n
	}
	return maxFilesAtOnce
}

// maxFilesAtOnce is the settings' ceiling on files at once (SetSettings).
const maxFilesAtOnce = 100

// setWant records what t wants now, and starts other files when that is
// less than before. learned says the size was just learned: files of the
// same host not yet probed are guessed to want the same.
func (t *transfer) setWant(w int, learned bool) {
	old := int(t.want.Swap(int32(w)))
	if learned && t.budget != nil {
		t.hosts.learned(t, w)
	}
	if w < old {
		t.owner.roomFreed()
	}
}

// leftToAsk is what no connection of t has asked for yet: the queue and
// the unreserved tails of pieces in flight.
func (t *transfer) leftToAsk() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n int64
	for _, s := range t.queue {
		n += s.len()
	}
	for _, p := range t.inflight {
		n += p.left()
	}
	return n
}

// grow measures t's rate every growInterval, keeps its want current and,
// for automatic connections, adds workers through spawn while that pays.
// A file still growing wants what its pieces could use, so other files
// wait for it; once it stops, it wants the connections it has.
func (t *transfer) grow(ctx context.Context, workers int, window time.Duration, spawn func()) {
	tick := time.NewTicker(window)
	defer tick.Stop()
	g := newGrowth(workers, t.conns, window)
	g.stopped = !t.auto
	last := t.f.written.Load()
	for first := true; ; first = false {
		left := t.leftToAsk()
		if left == 0 {
			t.setWant(0, false)
			return
		}
		t.setWant(g.want(left, t.cfg.MinPiece), first)
		select {
		case <-ctx.Done():
			return
		case <-t.idle:
			continue
		case <-tick.C:
		}
		now := t.f.written.Load()
		bytes := float64(now - last)
		last = now
		n := g.next(bytes, t.hosts.hostRoom(t)-g.workers)
		for range n {
			spawn()
		}
		if n < 0 {
			t.retire.Add(int32(-n))
		}
	}
}

// growWindow is how long a growing file measures its rate: the time its
// probe took to answer, at least one round trip (two on a new connection),
// so that a round trip's idle start does not pass for a slow connection;
// at least 200 ms, as shorter windows on loopback swing widely with the
// disk's write-back, and at most a second.
func growWindow(probed bool, probe time.Duration) time.Duration {
	if !probed {
		return growInterval
	}
	return min(max(probe, 200*time.Millisecond), time.Second)
}

// want is what a file with left bytes to ask for wants while g decides
// its connections.
func (g *growth) want(left, minPiece int64) int {
	if g.stopped {
		return fileWant(left, minPiece, g.workers)
	}
	return fileWant(left, minPiece, g.most)
}

// wakeGrower tells grow that a worker found nothing left to take, so it
// ends with the workers rather than at its next tick.
func (t *transfer) wakeGrower() {
	select {
	case t.idle <- struct{}{}:
	default:
	}
}

// retired reports whether the worker asking should end: grow gave back
// connections that did not pay, and each ends after its piece.
func (t *transfer) retired() bool {
	for n := t.retire.Load(); n > 0; n = t.retire.Load() {
		if t.retire.CompareAndSwap(n, n-1) {
			return true
		}
	}
	return false
}
