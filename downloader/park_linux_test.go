package downloader

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// A lost network share is simulated with a FUSE passthrough (go-fuse's
// loopback) served by a child process: killing it is the server going
// away, after which every operation on the mount fails with ENOTCONN, as
// on a dead sshfs or a share whose server vanished. Mounting a new server
// on the same path is the share coming back.

const fuseServeEnv = "DLHELPER_TEST_FUSE_SERVE" // "backing:mountpoint"

// TestFUSEServerProcess is the child process: it serves backing at the
// mount point until it is killed. Run by itself it does nothing.
func TestFUSEServerProcess(t *testing.T) {
	arg := os.Getenv(fuseServeEnv)
	if arg == "" {
		return
	}
	backing, mnt, _ := strings.Cut(arg, ":")
	root, err := fs.NewLoopbackRoot(backing)
	if err != nil {
		t.Fatal(err)
	}
	// DirectMount: root calls mount(2) itself, no fusermount needed.
	srv, err := fs.Mount(mnt, root, &fs.Options{MountOptions: fuse.MountOptions{
		DirectMount: true, DirectMountStrict: true, FsName: "dlhelper-test",
	}})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	srv.Wait()
}

// serveFUSE mounts backing at mnt from a child process and returns once
// the mount answers; kill ends the server without unmounting.
func serveFUSE(t *testing.T, backing, mnt string) (kill func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFUSEServerProcess$")
	cmd.Env = append(os.Environ(), fuseServeEnv+"="+backing+":"+mnt)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := false
	for sc := bufio.NewScanner(out); !ready && sc.Scan(); {
		ready = strings.Contains(sc.Text(), "ready")
	}
	if !ready {
		cmd.Wait()
		t.Fatalf("the FUSE server did not mount %s: %s", mnt, stderr.String())
	}
	return func() {
		cmd.Process.Kill()
		cmd.Wait()
	}
}

func TestAFolderOnAShareWhoseServerGoesAwayParksItsOrderAndResumesWhenBack(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("mounting FUSE without fusermount needs root (run as root, as CI does)")
	}
	t.Parallel()
	backing, mnt := t.TempDir(), t.TempDir()
	kill := serveFUSE(t, backing, mnt)
	t.Cleanup(func() { // after the Manager closes (cleanups run last first)
		kill()
		syscall.Unmount(mnt, syscall.MNT_DETACH)
	})

	const n, size = 3, 6 << 20
	var files []FileSpec
	var datas [][]byte
	for i := range n {
		data := testenv.RandomData(int64(900+i), size)
		srv := faultserver.New(t, data, faultserver.RateLimit(256<<10))
		files = append(files, FileSpec{URL: srv.URL(), Name: fmt.Sprintf("chip-%d.zip", i), Size: size, SHA256: sha256Hex(data)})
		datas = append(datas, data)
	}
	cfg := testConfig(t)
	// The download folder is inside the share, as on a mapped drive: once
	// the dead mount is detached, the bare mount point does not hold it.
	cfg.Root = filepath.Join(mnt, "Downloads")
	m := newTestManager(t, cfg)
	m.mu.Lock()
	m.place.poll = 20 * time.Millisecond
	m.mu.Unlock()
	sub := m.Subscribe()
	j, err := m.Add(JobSpec{Name: "order", Files: files})
	if err != nil {
		t.Fatal(err)
	}
	other, err := m.Add(JobSpec{Name: "removed while parked", Files: files[:1]})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, func(ev Event) bool {
		return ev.Type == EventJobProgress && ev.JobID == j.ID && ev.Progress.Done > 6<<20
	})

	kill()
	got := waitSettled(t, m, sub, j.ID)
	if got.State != JobPaused {
		t.Fatalf("with its share gone the job is %s (%+v), want paused", got.State, got.Files)
	}
	for _, f := range got.Files {
		if f.State == FileCompleted {
			continue
		}
		if f.State != FilePaused || f.Error == nil || f.Error.Code != CodeFolderUnavailable || !strings.Contains(f.Error.Message, cfg.Root) {
			t.Fatalf("file %s is %s with %+v, want paused with %s naming %s", f.Name, f.State, f.Error, CodeFolderUnavailable, cfg.Root)
		}
	}
	if err := m.RemoveJob(other.ID, false); err != nil {
		t.Fatalf("remove a parked job: %v", err)
	}
	// Resuming by hand while the share is still gone parks it again.
	if err := m.ResumeJob(j.ID); err != nil {
		t.Fatal(err)
	}
	if got = waitSettled(t, m, sub, j.ID); got.State != JobPaused {
		t.Fatalf("resumed while the share is gone, the job is %s; want paused", got.State)
	}
	for _, f := range got.Files {
		if f.State != FileCompleted && (f.Error == nil || f.Error.Code != CodeFolderUnavailable) {
			t.Fatalf("resumed while the share is gone, file %s is %s with %+v; want %s", f.Name, f.State, f.Error, CodeFolderUnavailable)
		}
	}
	kept := recordedBytes(m, j.ID)
	if kept == 0 {
		t.Fatal("no bytes were recorded before the share went away; the test proves nothing")
	}
	before := m.Fetched()

	// The share comes back: the dead mount is detached and a new server
	// mounts the same files at the same path.
	if err := syscall.Unmount(mnt, syscall.MNT_DETACH); err != nil {
		t.Fatal(err)
	}
	kill = serveFUSE(t, backing, mnt)
	got = waitJobState(t, m, sub, j.ID, JobCompleted, JobFailed)
	if got.State != JobCompleted {
		t.Fatalf("after the share came back the job ended %s: %+v", got.State, got.Files)
	}
	for i, f := range got.Files {
		assertFile(t, f.Path, datas[i])
	}
	if got.Done != int64(n*size) {
		t.Errorf("the completed job shows %d bytes done, want %d", got.Done, n*size)
	}
	// The .parts kept their inodes on the new mount (a new device number),
	// so what was recorded is not fetched again. A connection that gives
	// its tail to another reads a little past it, hence kept/2.
	again := m.Fetched() - before
	t.Logf("share back: %d of %d bytes were recorded, %d fetched again", kept, n*size, again)
	if again > int64(n*size)-kept/2 {
		t.Errorf("fetched %d bytes after the share came back, want about the %d not recorded: the .parts started over", again, int64(n*size)-kept)
	}
}

// recordedBytes sums what the records of a job's files claim.
func recordedBytes(m *Manager, id string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var sum int64
	for _, f := range m.byID[id].files {
		sum += f.rec.Done.size()
	}
	return sum
}
