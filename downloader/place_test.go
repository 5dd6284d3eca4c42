package downloader

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

// heldRequests holds every request until open is called or the client goes away.
func heldRequests() (faultserver.Option, func()) {
	ch := make(chan struct{})
	var once sync.Once
	opt := faultserver.Handler(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		select {
		case <-ch:
			next.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	})
	return opt, func() { once.Do(func() { close(ch) }) }
}

func TestANewDownloadFolderTakesNewJobsAndRunningOnesKeepTheirs(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(11, 3<<20)
	held, open := heldRequests()
	srv := faultserver.New(t, data, held)
	t.Cleanup(open)
	cfg := testConfig(t)
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	first, err := m.Add(JobSpec{Name: "first", Folder: "order-1", Files: []FileSpec{{URL: srv.URL(), Name: "a.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	chosen := filepath.Join(t.TempDir(), "chosen", "downloads")
	if err := m.SetRoot(chosen); err != nil {
		t.Fatalf("SetRoot(%s): %v", chosen, err)
	}
	second, err := m.Add(JobSpec{Name: "second", Folder: "order-2", Files: []FileSpec{{URL: srv.URL(), Name: "a.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cfg.Root, "order-1"); first.Dir != want {
		t.Errorf("the job added before the change is in %s, want %s", first.Dir, want)
	}
	if want := filepath.Join(chosen, "order-2"); second.Dir != want {
		t.Errorf("the job added after the change is in %s, want %s", second.Dir, want)
	}
	// Both are unfinished when the helper stops; each resumes in its own.
	m.Close()
	m = newTestManager(t, cfg)
	if got := m.Root(); got != chosen {
		t.Errorf("after a restart the download folder is %s, want the chosen %s", got, chosen)
	}
	sub := m.Subscribe()
	open()
	for _, j := range []JobInfo{first, second} {
		got := waitSettled(t, m, sub, j.ID)
		if got.State != JobCompleted || got.Dir != j.Dir {
			t.Fatalf("after the restart job %s ended %s in %s, want completed in %s", j.Name, got.State, got.Dir, j.Dir)
		}
		assertFile(t, filepath.Join(j.Dir, "a.bin"), data)
	}
	if _, err := os.Stat(filepath.Join(cfg.Root, "order-2")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the later job left something in the old folder: %v", err)
	}
}

func TestSetRootRefusesARelativeFolder(t *testing.T) {
	t.Parallel()
	m := newTestManager(t, testConfig(t))
	before := m.Root()
	for _, dir := range []string{"", "downloads", "../x"} {
		if err := m.SetRoot(dir); !errors.Is(err, ErrBadRoot) {
			t.Errorf("SetRoot(%q) = %v, want ErrBadRoot", dir, err)
		}
	}
	if m.Root() != before {
		t.Errorf("a refused folder changed the root to %s", m.Root())
	}
}
