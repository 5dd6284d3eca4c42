package downloader

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

// freeDriveLetter returns a drive letter nothing is mapped to.
func freeDriveLetter(t *testing.T) string {
	t.Helper()
	for c := 'Z'; c >= 'M'; c-- {
		d := string(c) + ":"
		if _, err := os.Stat(d + `\`); err != nil {
			return d
		}
	}
	t.Fatal("no free drive letter from M: to Z:")
	return ""
}

func subst(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("subst", args...).CombinedOutput(); err != nil {
		t.Fatalf("subst %v: %v: %s", args, err, out)
	}
}

// A drive letter that disappears mid-order, here a subst'ed one, must
// never fail a file: either the open handles outlive the letter (os.Root
// holds the folder itself) and the order completes, or the files park
// with CodeFolderUnavailable and resume once the letter is back. Written
// for the first Windows machine that runs it; wine cannot run a Go 1.26
// Windows binary.
func TestADriveLetterRemovedMidOrderNeverFailsItsFiles(t *testing.T) {
	target := t.TempDir()
	drive := freeDriveLetter(t)
	subst(t, drive, target)
	t.Cleanup(func() { exec.Command("subst", drive, "/D").Run() })

	const n, size = 3, 6 << 20
	var files []FileSpec
	var datas [][]byte
	for i := range n {
		data := testenv.RandomData(int64(950+i), size)
		srv := faultserver.New(t, data, faultserver.RateLimit(256<<10))
		files = append(files, FileSpec{URL: srv.URL(), Name: fmt.Sprintf("chip-%d.zip", i), Size: size, SHA256: sha256Hex(data)})
		datas = append(datas, data)
	}
	cfg := testConfig(t)
	cfg.Root = drive + `\Downloads`
	m := newTestManager(t, cfg)
	m.mu.Lock()
	m.place.poll = 20 * time.Millisecond
	m.mu.Unlock()
	sub := m.Subscribe()
	j, err := m.Add(JobSpec{Name: "order", Files: files})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, func(ev Event) bool {
		return ev.Type == EventJobProgress && ev.JobID == j.ID && ev.Progress.Done > 6<<20
	})
	subst(t, drive, "/D")
	got := waitSettled(t, m, sub, j.ID)
	t.Logf("with %s removed the job is %s", drive, got.State)
	if got.State == JobPaused {
		for _, f := range got.Files {
			if f.State != FileCompleted && (f.Error == nil || f.Error.Code != CodeFolderUnavailable) {
				t.Fatalf("file %s is %s with %+v, want paused with %s", f.Name, f.State, f.Error, CodeFolderUnavailable)
			}
		}
		subst(t, drive, target)
		got = waitJobState(t, m, sub, j.ID, JobCompleted, JobFailed)
	}
	if got.State != JobCompleted {
		t.Fatalf("the job ended %s: %+v", got.State, got.Files)
	}
	for i, f := range got.Files {
		assertFile(t, filepath.Join(target, "Downloads", f.Name), datas[i])
	}
}
