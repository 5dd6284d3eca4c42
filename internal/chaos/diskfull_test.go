package chaos

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"dlhelper/downloader"
)

// runDiskFull downloads the order, given without sizes, into a tmpfs that
// holds about half of it. Once the job has stopped with files failed for a
// full disk, the tmpfs grows, the job is resumed, and it must finish.
func runDiskFull(t *testing.T, e *env) result {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("disk full needs root to mount a tmpfs, and CI runs as root")
		}
		t.Skip("disk full needs root to mount a tmpfs; CI runs it")
	}
	root, state := t.TempDir(), t.TempDir()
	small := e.total/2 + 1<<20
	mountTmpfs(t, root, small)
	en := openEngine(t, chaosConfig(root, state))
	ctx, cancel := context.WithTimeout(t.Context(), e.p.timeout)
	defer cancel()
	relayStart := e.relay.Sent()
	// Without the portal's sizes: with them, the free-space check refuses
	// the order before its first byte (downloader/space.go). What this
	// covers is a disk that fills while the order runs: one given no
	// sizes, or space another program takes meanwhile.
	spec := e.spec()
	for i := range spec.Files {
		spec.Files[i].Size = 0
	}
	job, err := en.manager().Add(spec)
	if err != nil {
		t.Fatalf("add: %v", err)
	}
	dir := filepath.Join(root, "order")
	names := newFinalNames(dir, e.order)
	stopWatch := watch(100*time.Millisecond, names.check)
	defer stopWatch()
	info, err := en.waitJob(ctx, job.ID, func(j downloader.JobInfo) bool { return settled(j.State) })
	if err != nil {
		t.Fatal(err)
	}
	full := 0
	for _, f := range info.Files {
		if f.Error != nil && f.Error.Code == downloader.CodeDiskFull {
			full++
		}
	}
	if info.State != downloader.JobFailed || full == 0 {
		t.Fatalf("on a %d-byte disk for %d bytes the job ended %s with %d files failed for a full disk, want failed with some: %s",
			small, e.total, info.State, full, fileErrors(info))
	}
	remount(t, root, 2*e.total+1<<20)
	if err := en.manager().ResumeJob(job.ID); err != nil {
		t.Fatalf("resume: %v", err)
	}
	info, err = en.waitJob(ctx, job.ID, func(j downloader.JobInfo) bool { return settled(j.State) })
	if err != nil {
		t.Fatal(err)
	}
	if info.State != downloader.JobCompleted {
		t.Errorf("after space was freed the job ended %s: %s", info.State, fileErrors(info))
	}
	stopWatch()
	names.check()
	res := e.check(t, dir, names, nil, nil, 1)
	res.faults = fmt.Sprintf("disk full×1 (%d files)", full)
	res.fetched, res.wire = en.Fetched(), e.relay.Sent()-relayStart
	e.checkOverhead(t, &res, res.fetched)
	return res
}

// mountTmpfs mounts a tmpfs of size bytes on dir until the test ends.
// Its cleanup is registered after dir's, so it runs first.
func mountTmpfs(t *testing.T, dir string, size int64) {
	t.Helper()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs on %s: %v: %s", dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}

func remount(t *testing.T, dir string, size int64) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", fmt.Sprintf("remount,size=%d", size), dir).CombinedOutput(); err != nil {
		t.Fatalf("grow the tmpfs on %s: %v: %s", dir, err, out)
	}
}
