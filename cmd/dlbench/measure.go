package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"dlhelper/internal/testenv"
)

// runTimeout bounds one run; a hung contender fails its run instead of
// the whole benchmark.
const runTimeout = 30 * time.Minute

// runResult is one run of one contender on one workload.
type runResult struct {
	Round    int     `json:"round"` // 1…rounds; warm-up rounds are 0, -1, …
	Warmup   bool    `json:"warmup"`
	Position int     `json:"position"` // 1-based place in its round
	WallS    float64 `json:"wall_s"`
	UserS    float64 `json:"user_s"`
	SysS     float64 `json:"sys_s"`
	CPUS     float64 `json:"cpu_s"`
	// MachineCPUS is the CPU the whole machine spent from the start until
	// the run's data was on disk, less MinIO's: the process's own CPU plus
	// the kernel's work outside it, above all the write-back of the files
	// a program that never fsyncs leaves to the kernel's flusher threads.
	MachineCPUS float64 `json:"machine_cpu_s"`
	PeakRSSKiB  int64   `json:"peak_rss_kib"` // VmHWM, see watchPeakRSS
	SHA256OK    bool    `json:"sha256_ok"`
	Error       string  `json:"error,omitempty"`
}

// valid reports a run that counts: the program succeeded and every byte
// it wrote is right.
func (r runResult) valid() bool { return r.SHA256OK && r.Error == "" }

// runOnce downloads w's objects from urls with c into an empty folder,
// measures the process, verifies every file and removes them again.
func runOnce(ctx context.Context, c contender, w *workload, urls []string, caFile, work string, serverPID int) runResult {
	var r runResult
	// A fresh folder per run: work is marked as the top of a tree, so ext4
	// places each run's files in another block group than the last run's,
	// whose inodes were just freed (see spreadFolders).
	root, err := os.MkdirTemp(work, "run-")
	if err != nil {
		r.Error = fmt.Sprintf("prepare: %v", err)
		return r
	}
	t := task{dir: filepath.Join(root, "download"), scratch: filepath.Join(root, "scratch"), urls: urls, caFile: caFile}
	for _, o := range w.Objects {
		t.names = append(t.names, o.Name)
		t.sha256s = append(t.sha256s, o.SHA256)
	}
	defer func() {
		os.RemoveAll(root)
		flushDisk()
	}()
	if err := prepare(t); err != nil {
		r.Error = err.Error()
		return r
	}
	runErr := measure(ctx, c, t, serverPID, &r)
	verifyErr := verifyFiles(ctx, t.dir, w.Objects)
	r.SHA256OK = verifyErr == nil
	if err := errors.Join(runErr, verifyErr); err != nil {
		r.Error = strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	return r
}

// prepare makes the run's folders.
func prepare(t task) error {
	for _, d := range []string{t.dir, t.scratch} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
	}
	return nil
}

// measure runs the contender and fills r's time, CPU and memory. Output
// goes to a file, so no goroutine of ours copies it during the run; its
// tail is the error message when the program fails.
func measure(ctx context.Context, c contender, t task, serverPID int, r *runResult) error {
	args, err := c.args(t)
	if err != nil {
		return err
	}
	logPath := filepath.Join(t.scratch, "output.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("output log: %w", err)
	}
	defer logFile.Close()
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Path, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if t.caFile != "" && isDlhelper(c.Name) {
		// Go reads its trusted roots from here instead of the system's.
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+t.caFile)
	}
	machineStart, machineErr := machineCPU(serverPID)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	stop := make(chan struct{})
	peak := watchPeakRSS(cmd.Process.Pid, stop)
	runErr := cmd.Wait()
	r.WallS = time.Since(start).Seconds()
	close(stop)
	r.PeakRSSKiB = <-peak
	flushDisk() // the files on disk, at the machine's cost, outside the wall time
	if machineEnd, err := machineCPU(serverPID); machineErr == nil && err == nil {
		r.MachineCPUS = (machineEnd - machineStart).Seconds()
	}
	user, sys, err := cpuTime(cmd.ProcessState)
	if err != nil {
		return err
	}
	r.UserS, r.SysS = user.Seconds(), sys.Seconds()
	r.CPUS = r.UserS + r.SysS
	if runErr != nil {
		return fmt.Errorf("%s: %w%s", c.Name, runErr, outputTail(logPath))
	}
	return nil
}

// outputTail is the end of what a failed program printed, on one line.
func outputTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return ""
	}
	s := strings.Join(strings.Fields(string(b[max(0, len(b)-600):])), " ")
	return ": " + s
}

// verifyFiles checks that dir holds exactly objs, each with the SHA-256 of
// what was uploaded. Files are hashed in parallel; they are still in the
// page cache, so this is quick next to the download.
func verifyFiles(ctx context.Context, dir string, objs []object) error {
	want := make(map[string]bool, len(objs))
	for _, o := range objs {
		want[o.Name] = true
	}
	var problems []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	for _, e := range entries {
		if !want[e.Name()] {
			problems = append(problems, e.Name()+": a file no one asked for (a leftover of an incomplete download?)")
		}
	}
	found := make([]string, len(objs))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, o := range objs {
		g.Go(func() error {
			if ctx.Err() == nil {
				found[i] = checkFile(filepath.Join(dir, o.Name), o)
			}
			return nil
		})
	}
	g.Wait()
	for _, p := range found {
		if p != "" {
			problems = append(problems, p)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	switch len(problems) {
	case 0:
		return nil
	case 1:
		return errors.New(problems[0])
	}
	return fmt.Errorf("%d problems in %d files; first, %s", len(problems), len(objs), problems[0])
}

// checkFile is what is wrong with one downloaded file, or "".
func checkFile(path string, o object) string {
	sum, err := testenv.FileSHA256(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return o.Name + ": missing"
	case err != nil:
		return err.Error()
	case sum != o.SHA256:
		return fmt.Sprintf("%s: sha256 %.12s…, want %.12s…", o.Name, sum, o.SHA256)
	}
	return ""
}
