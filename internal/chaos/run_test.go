package chaos

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dlhelper/downloader"
)

// chaosConfig is the engine set up for chaos runs.
func chaosConfig(root, state string) downloader.Config {
	return downloader.Config{
		StateDir: state, Root: root,
		MinPiece: minPiece, StallTimeout: stallTimeout,
		RetryBase: retryBase, RetryMax: retryMax, MaxAttempts: maxAttempts,
		CheckpointInterval: checkpointInterval,
		Settings:           downloader.Settings{MaxActiveFiles: activeFiles},
		Logger:             slog.New(slog.DiscardHandler),
	}
}

func (e *env) spec() downloader.JobSpec {
	spec := downloader.JobSpec{Name: "chaos order", Folder: "order"}
	for _, o := range e.order {
		spec.Files = append(spec.Files, downloader.FileSpec{URL: o.URL, Name: o.Name, Size: o.Size})
	}
	return spec
}

// engine is the in-process Manager of one scenario, which may be closed
// and opened again on the same state mid-job.
type engine struct {
	cfg     downloader.Config
	mu      sync.Mutex
	m       *downloader.Manager
	fetched atomic.Int64 // bytes fetched by Managers already closed
}

func openEngine(t *testing.T, cfg downloader.Config) *engine {
	t.Helper()
	m, err := downloader.New(cfg)
	if err != nil {
		t.Fatalf("new manager: %v", err)
	}
	en := &engine{cfg: cfg, m: m}
	t.Cleanup(func() { en.manager().Close() })
	return en
}

func (en *engine) manager() *downloader.Manager {
	en.mu.Lock()
	defer en.mu.Unlock()
	return en.m
}

// Fetched is the body bytes received over every Manager of the scenario.
func (en *engine) Fetched() int64 { return en.fetched.Load() + en.manager().Fetched() }

// restart closes the Manager and opens a new one on the same state, as a
// quit and relaunch of the helper would, and checks the job list survived.
func (en *engine) restart(t *testing.T) {
	t.Helper()
	en.mu.Lock()
	defer en.mu.Unlock()
	before := en.m.Jobs()
	if err := en.m.Close(); err != nil {
		t.Errorf("close manager: %v", err)
	}
	en.fetched.Add(en.m.Fetched())
	m, err := downloader.New(en.cfg)
	if err != nil {
		t.Fatalf("reopen manager: %v", err)
	}
	en.m = m
	if diff := diffJobs(before, m.Jobs()); diff != "" {
		t.Errorf("job list changed across a restart: %s", diff)
	}
}

// diffJobs compares what a restart must keep of each job: its identity,
// its files' names and paths, and every file that was complete.
func diffJobs(before, after []downloader.JobInfo) string {
	if len(before) != len(after) {
		return fmt.Sprintf("%d jobs before, %d after", len(before), len(after))
	}
	for i, b := range before {
		a := after[i]
		if a.ID != b.ID || a.Name != b.Name || a.Dir != b.Dir || !a.Created.Equal(b.Created) || len(a.Files) != len(b.Files) {
			return fmt.Sprintf("job %d: before %s %q %s %d files, after %s %q %s %d files",
				i, b.ID, b.Name, b.Dir, len(b.Files), a.ID, a.Name, a.Dir, len(a.Files))
		}
		for k, bf := range b.Files {
			af := a.Files[k]
			if af.Name != bf.Name || af.Path != bf.Path {
				return fmt.Sprintf("job %s file %d: before %s at %s, after %s at %s", b.ID, k, bf.Name, bf.Path, af.Name, af.Path)
			}
			if bf.State == downloader.FileCompleted && af.State != downloader.FileCompleted {
				return fmt.Sprintf("job %s file %s: completed before, %s after", b.ID, bf.Name, af.State)
			}
		}
	}
	return ""
}

// settled reports a job state that no longer moves by itself.
func settled(s downloader.JobState) bool {
	switch s {
	case downloader.JobCompleted, downloader.JobFailed, downloader.JobCanceled, downloader.JobWaiting, downloader.JobPaused:
		return true
	}
	return false
}

// waitJob polls the job until done reports true or ctx ends. It polls
// rather than subscribes because the Manager may be replaced mid-wait.
func (en *engine) waitJob(ctx context.Context, id string, done func(downloader.JobInfo) bool) (downloader.JobInfo, error) {
	for {
		info, err := en.manager().Job(id)
		if err != nil {
			return info, err
		}
		if done(info) {
			return info, nil
		}
		if !sleepCtx(ctx, 50*time.Millisecond) {
			return info, fmt.Errorf("job %s still %s (%d of %d bytes): %w", id, info.State, info.Done, info.Total, ctx.Err())
		}
	}
}

// runFaults starts each fault beside the job; stop ends them, waits until
// they are undone and returns what they struck.
func runFaults(ctx context.Context, t *testing.T, e *env, faults []fault, progress func() float64) (stop func() []int) {
	ctx, cancel := context.WithCancel(ctx)
	counts := make([]int, len(faults))
	var wg sync.WaitGroup
	for i, f := range faults {
		if f.run == nil { // a toxic, on the proxy since the scenario began
			counts[i] = 1
			continue
		}
		wg.Go(func() { counts[i] = f.run(ctx, t, e, progress) })
	}
	return func() []int {
		cancel()
		wg.Wait()
		return counts
	}
}

// watch runs check every interval until the returned stop is called;
// stop may be called more than once.
func watch(interval time.Duration, check func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(interval):
				check()
			}
		}
	})
	var once sync.Once
	return func() { once.Do(func() { close(done) }); wg.Wait() }
}

// runInProcess downloads the order with a real Manager while the faults
// strike, restarts the Manager half-way, and checks the result.
func runInProcess(t *testing.T, e *env, faults []fault) result {
	if toxics := toxicsOf(faults); len(toxics) > 0 {
		e.resetProxy(t, toxics...)
	}
	root, state := t.TempDir(), t.TempDir()
	en := openEngine(t, chaosConfig(root, state))
	ctx, cancel := context.WithTimeout(t.Context(), e.p.timeout)
	defer cancel()
	relayStart, connsStart := e.relay.Sent(), e.relay.Conns()
	job, err := en.manager().Add(e.spec())
	if err != nil {
		t.Fatalf("add: %v", err)
	}
	progress := func() float64 { return float64(en.Fetched()) / float64(e.total) }
	names := newFinalNames(filepath.Join(root, "order"), e.order)
	stopWatch := watch(100*time.Millisecond, names.check)
	stopFaults := runFaults(ctx, t, e, faults, progress)

	_, err = en.waitJob(ctx, job.ID, func(j downloader.JobInfo) bool { return settled(j.State) || progress() >= 0.5 })
	if err == nil {
		en.restart(t)
		_, err = en.waitJob(ctx, job.ID, func(j downloader.JobInfo) bool { return settled(j.State) })
	}
	counts := stopFaults()
	stopWatch()
	names.check()
	info, _ := en.manager().Job(job.ID)
	if err != nil {
		t.Errorf("%v", err)
	} else if info.State != downloader.JobCompleted {
		t.Errorf("job ended %s: %s", info.State, fileErrors(info))
	}
	res := e.check(t, filepath.Join(root, "order"), names, faults, counts, 1)
	res.faults = fmt.Sprintf("%s, helper restart×1 (%d conns)", res.faults, e.relay.Conns()-connsStart)
	res.fetched, res.wire = en.Fetched(), e.relay.Sent()-relayStart
	e.checkOverhead(t, &res, res.fetched)
	en.restart(t) // the finished job must survive a restart too
	return res
}

// check verifies the folder and names what struck, for the summary.
// extra counts interruptions beyond the faults (a Manager restart).
func (e *env) check(t *testing.T, dir string, names *finalNames, faults []fault, counts []int, extra int) result {
	res := result{total: len(e.order), events: extra}
	var desc []string
	for i, f := range faults {
		desc = append(desc, fmt.Sprintf("%s×%d", f.name, counts[i]))
		res.events += counts[i]
		if counts[i] == 0 {
			t.Errorf("fault %s never struck: the order finished first", f.name)
		}
	}
	res.faults = strings.Join(desc, ", ")
	if len(desc) == 0 {
		res.faults = "none"
	}
	for _, p := range names.Problems() {
		t.Error(p)
	}
	verified, problems := verifyFolder(dir, e.order)
	res.verified = verified
	for _, p := range problems {
		t.Error(p)
	}
	return res
}

// checkOverhead holds fetched to the order plus, per interruption, what
// the active files may have had in flight.
func (e *env) checkOverhead(t *testing.T, res *result, fetched int64) {
	res.overhead = 100 * float64(fetched-e.total) / float64(e.total)
	limit := e.total + int64(res.events)*e.inflightBound()
	if fetched > limit {
		t.Errorf("fetched %d bytes for an order of %d over %d interruptions, want at most %d (%.1f%% overhead)",
			fetched, e.total, res.events, limit, res.overhead)
	}
}

func fileErrors(info downloader.JobInfo) string {
	var out []string
	for _, f := range info.Files {
		if f.State != downloader.FileCompleted {
			msg := string(f.State)
			if f.Error != nil {
				msg += ": " + f.Error.Code
			}
			out = append(out, f.Name+" "+msg)
		}
	}
	return strings.Join(slices.Compact(out), "; ")
}
