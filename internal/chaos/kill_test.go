package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"dlhelper/downloader"
	"dlhelper/internal/testenv"
)

// runKills runs "dlhelper get" on the order and kills it with SIGKILL at
// random moments, p.kills times, then lets a last run finish. After each
// kill no file may carry its final name unless complete, and the job the
// state holds must be the same one.
func runKills(t *testing.T, e *env) result {
	bin := testenv.DlhelperBinary(t)
	root, state := t.TempDir(), t.TempDir()
	args := []string{"get", "--dir", root, "--state", state, "--connections", "4",
		"--files", fmt.Sprint(activeFiles), "--checkpoint", checkpointInterval.String(), "--quiet"}
	for _, o := range e.order {
		args = append(args, o.URL)
	}
	ctx, cancel := context.WithTimeout(t.Context(), e.p.timeout)
	defer cancel()
	names := newFinalNames(root, e.order)
	start := e.relay.Sent()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	var jobs []downloader.JobInfo
	kills := 0
	for i := range e.p.kills {
		// Each run moves a random 4–12% of the order by the server's count
		// before it dies, so the kills fall anywhere in the order.
		step := e.total * int64(4+rng.IntN(9)) / 100
		killed, err := runUntil(ctx, bin, args, func() bool { return e.relay.Sent()-start >= int64(i+1)*step })
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if !killed {
			t.Logf("run %d finished before its kill", i)
			break
		}
		kills++
		names.check()
		now := stateJobs(t, state)
		if jobs == nil {
			jobs = now
		} else if diff := diffJobs(jobs, now); diff != "" {
			t.Errorf("after kill %d the job list changed: %s", kills, diff)
		}
	}
	if len(jobs) != 1 && kills > 0 {
		t.Errorf("the state holds %d jobs after the kills, want 1", len(jobs))
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("final run: %v: %s", err, out)
	}
	res := e.check(t, root, names, nil, nil, kills)
	res.faults = fmt.Sprintf("SIGKILL×%d", kills)
	if kills < e.p.kills {
		t.Errorf("only %d of %d kills struck before the order finished", kills, e.p.kills)
	}
	// The binary's bytes are counted on the wire, headers included: allow
	// a few KiB of them per file.
	res.wire = e.relay.Sent() - start
	res.fetched = res.wire
	e.checkOverhead(t, &res, res.wire-int64(len(e.order))*4<<10)
	res.overhead = 100 * float64(res.wire-e.total) / float64(e.total)
	return res
}

// runUntil starts the binary and kills it with SIGKILL once kill reports
// true. killed is false if the run ended by itself, successfully.
func runUntil(ctx context.Context, bin string, args []string, kill func() bool) (killed bool, err error) {
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return false, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for !kill() {
		select {
		case err := <-exited:
			if err != nil {
				return false, fmt.Errorf("exited before its kill: %v: %s", err, stderr.String())
			}
			return false, nil
		case <-ctx.Done():
			cmd.Process.Kill()
			<-exited
			return false, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return false, err
	}
	<-exited
	return true, nil
}

// stateJobs is the job list a restarted helper would show: a Manager on a
// copy of the killed program's state, whose requests never leave (they
// wait for the Manager to close). The records hold absolute paths, so the
// only trace it can leave in the real folder is an empty .part for a file
// the killed run had not started, which the next run opens as its own.
func stateJobs(t *testing.T, state string) []downloader.JobInfo {
	t.Helper()
	cp := t.TempDir()
	if err := os.CopyFS(cp, os.DirFS(state)); err != nil {
		t.Fatalf("copy state: %v", err)
	}
	cfg := downloader.Config{StateDir: cp, Root: t.TempDir(),
		HTTPClient: &http.Client{Transport: blockingTransport{}},
		Logger:     chaosConfig("", "").Logger}
	m, err := downloader.New(cfg)
	if err != nil {
		t.Fatalf("open the killed program's state: %v", err)
	}
	defer m.Close()
	return m.Jobs()
}

// blockingTransport answers no request; each waits until it is canceled.
type blockingTransport struct{}

func (blockingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	<-r.Context().Done()
	return nil, r.Context().Err()
}
