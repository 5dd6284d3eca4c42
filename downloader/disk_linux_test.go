package downloader

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

// mountTmpfs mounts a tmpfs of size bytes for the test. Mounting needs
// root; CI runs as root, so there a failure to mount fails the test.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		if os.Getenv("CI") == "true" || os.Geteuid() == 0 {
			t.Fatalf("mount tmpfs: %v: %s", err, out)
		}
		t.Skipf("mounting a tmpfs needs root (run as root, as CI does): %v", err)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

func remount(t *testing.T, dir, opts string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+opts, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s: %v: %s", opts, err, out)
	}
}

func TestADiskFullStopsTheFileAndResumeFinishesOnceThereIsRoom(t *testing.T) {
	t.Parallel()
	small := testenv.RandomData(20, 256<<10)
	big := testenv.RandomData(21, 3<<20)
	srvSmall, srvBig := faultserver.New(t, small), faultserver.New(t, big)
	cfg := testConfig(t)
	cfg.Root = mountTmpfs(t, "2m")
	m := newTestManager(t, cfg)
	j := runJob(t, m, JobSpec{Name: "x", Files: []FileSpec{
		{URL: srvSmall.URL(), Name: "small.bin"}, {URL: srvBig.URL(), Name: "big.bin"},
	}})
	if f := j.Files[1]; f.State != FileFailed || f.Error == nil || f.Error.Code != CodeDiskFull {
		t.Fatalf("big file ended %s with %+v, want failed with %s", f.State, f.Error, CodeDiskFull)
	}
	assertFile(t, j.Files[0].Path, small)

	remount(t, cfg.Root, "size=8m")
	sub := m.Subscribe()
	if err := m.ResumeJob(j.ID); err != nil {
		t.Fatal(err)
	}
	j = waitJobState(t, m, sub, j.ID, JobCompleted, JobFailed)
	if j.State != JobCompleted {
		t.Fatalf("after freeing space the job ended %s: %+v", j.State, j.Files[1].Error)
	}
	assertFile(t, j.Files[1].Path, big)
	assertFile(t, j.Files[0].Path, small)
}

func TestAReadOnlyFolderStopsTheFileWithAClearError(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(22, 100<<10)
	srv := faultserver.New(t, data)
	cfg := testConfig(t)
	cfg.Root = mountTmpfs(t, "4m")
	remount(t, cfg.Root, "ro")
	m := newTestManager(t, cfg)
	j := runJob(t, m, JobSpec{Name: "x", Folder: "order", Files: []FileSpec{{URL: srv.URL(), Name: "f.bin"}}})
	if f := j.Files[0]; f.State != FileFailed || f.Error == nil || f.Error.Code != CodeReadOnly {
		t.Fatalf("file ended %s with %+v, want failed with %s", f.State, f.Error, CodeReadOnly)
	}
	remount(t, cfg.Root, "rw")
	sub := m.Subscribe()
	if err := m.ResumeJob(j.ID); err != nil {
		t.Fatal(err)
	}
	j = waitJobState(t, m, sub, j.ID, JobCompleted, JobFailed)
	assertFile(t, filepath.Join(cfg.Root, "order", "f.bin"), data)
}
