package chaos

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"dlhelper/downloader"
)

// runOutage measures what a network that disappears and comes back costs
// once it is back. The order is fetched twice through the same slowed
// proxy (512 KB/s a connection, so it takes seconds): once untouched,
// then with the proxy turned off for p.cut once 30% is in (every
// connection reset, new ones refused) and on again. It reports the time
// from the network's return to the first new byte, and the second run's
// time beyond the first's plus the cut. The engine keeps its default
// retry timing here, what users get, not the suite's quick one. Nothing
// is asserted about the times (they depend on the machine); the files
// are checked as everywhere.
func runOutage(t *testing.T, e *env) result {
	slow := Toxic{Name: "bandwidth", Type: "bandwidth", Stream: "downstream", Toxicity: 1, Attributes: map[string]any{"rate": 512}}
	e.resetProxy(t, slow)
	uncut, _ := e.timedOrder(t, nil)
	e.resetProxy(t, slow)
	var back time.Time
	var firstByte time.Duration
	cut, res := e.timedOrder(t, func(ctx context.Context, en *engine) int {
		if !waitProgress(ctx, func() float64 { return float64(en.Fetched()) / float64(e.total) }, 0.3) {
			return 0
		}
		undo, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := e.proxy.SetEnabled(undo, false); err != nil {
			t.Errorf("cut the network: %v", err)
			return 0
		}
		sleepCtx(ctx, e.p.cut)
		before := en.Fetched()
		if err := e.proxy.SetEnabled(undo, true); err != nil {
			t.Errorf("bring the network back: %v", err)
		}
		back = time.Now()
		for en.Fetched() == before && sleepCtx(ctx, 5*time.Millisecond) {
		}
		firstByte = time.Since(back)
		return 1
	})
	extra := cut - uncut - e.p.cut
	t.Logf("network gone %s: first byte %s after it came back; order took %s against %s uncut: %s more than the cut",
		e.p.cut, firstByte.Round(10*time.Millisecond), cut.Round(10*time.Millisecond), uncut.Round(10*time.Millisecond), extra.Round(10*time.Millisecond))
	res.faults = fmt.Sprintf("%s; first byte %.2fs after it is back, order +%.2fs beyond the cut (%.1fs vs %.1fs uncut)",
		res.faults, firstByte.Seconds(), extra.Seconds(), cut.Seconds(), uncut.Seconds())
	return res
}

// timedOrder fetches the order with the engine's default retry timing
// while strike runs beside it (nil: nothing strikes), checks the files
// and returns how long the order took.
func (e *env) timedOrder(t *testing.T, strike func(ctx context.Context, en *engine) int) (time.Duration, result) {
	t.Helper()
	root, state := t.TempDir(), t.TempDir()
	cfg := chaosConfig(root, state)
	cfg.StallTimeout, cfg.RetryBase, cfg.RetryMax, cfg.MaxAttempts = 0, 0, 0, 0 // the defaults
	en := openEngine(t, cfg)
	ctx, cancel := context.WithTimeout(t.Context(), e.p.timeout)
	defer cancel()
	names := newFinalNames(filepath.Join(root, "order"), e.order)
	stopWatch := watch(100*time.Millisecond, names.check)
	start, wireStart := time.Now(), e.relay.Sent()
	job, err := en.manager().Add(e.spec())
	if err != nil {
		t.Fatalf("add: %v", err)
	}
	struck := make(chan int, 1)
	if strike != nil {
		go func() { struck <- strike(ctx, en) }()
	}
	info, err := en.waitJob(ctx, job.ID, func(j downloader.JobInfo) bool { return settled(j.State) })
	took := time.Since(start)
	var faults []fault
	var counts []int
	if strike != nil {
		faults, counts = []fault{{name: fmt.Sprintf("network gone %s", e.p.cut)}}, []int{<-struck}
	}
	stopWatch()
	names.check()
	if err != nil {
		t.Errorf("%v", err)
	} else if info.State != downloader.JobCompleted {
		t.Errorf("job ended %s: %s", info.State, fileErrors(info))
	}
	res := e.check(t, filepath.Join(root, "order"), names, faults, counts, 0)
	res.fetched, res.wire = en.Fetched(), e.relay.Sent()-wireStart
	e.checkOverhead(t, &res, res.fetched)
	return took, res
}
