package downloader

import (
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

// A file named a.zip.part must not get the name of a.zip's .part while
// a.zip waits its turn and has no .part on disk yet.
func TestANameIsNotAnotherFilesPart(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(44, 10<<10)
	g := newGate(t)
	held := faultserver.New(t, data, g.option())
	srv := faultserver.New(t, data)
	cfg := g.config(t)
	cfg.Settings.MaxActiveFiles = 1
	m := newTestManager(t, cfg)
	sub := m.Subscribe()
	defer sub.Close()
	if _, err := m.Add(JobSpec{Name: "first", Files: []FileSpec{{URL: held.URL(), Name: "held.bin"}}}); err != nil {
		t.Fatal(err)
	}
	a, err := m.Add(JobSpec{Name: "a", Files: []FileSpec{{URL: srv.URL(), Name: "a.zip"}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Add(JobSpec{Name: "b", Files: []FileSpec{{URL: srv.URL(), Name: "a.zip.part"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := filepath.Base(b.Files[0].Path), "a.zip (1).part"; got != want {
		t.Errorf("a.zip.part was named %q beside a waiting a.zip, want %q", got, want)
	}
	g.release()
	for _, id := range []string{a.ID, b.ID} {
		if j := waitSettled(t, m, sub, id); j.State != JobCompleted {
			t.Errorf("job %s ended %s", j.Name, j.State)
		}
	}
	assertFile(t, a.Files[0].Path, data)
}

// Naming 10,000 files of one name, three orders over, looks at the disk a
// bounded number of times per file: a search from " (1)" for each made
// the third order 10,000 × 20,000 looks.
func TestManyFilesOfOneNameCostAFewDiskLooksEach(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Settings.MaxActiveFiles = 1
	g := newGate(t)
	srv := faultserver.New(t, []byte("x"), g.option())
	cfg.StallTimeout = g.config(t).StallTimeout
	m := newTestManager(t, cfg)
	var looks atomic.Int64
	onDisk := m.place.names.onDisk
	m.place.names.onDisk = func(rel string) bool { looks.Add(1); return onDisk(rel) }
	files := make([]FileSpec, MaxFilesPerJob)
	for i := range files {
		files[i] = FileSpec{URL: srv.URL(), Name: "a.zip"}
	}
	for order := range 3 {
		before := looks.Load()
		j, err := m.Add(JobSpec{Name: "x", Files: files})
		if err != nil {
			t.Fatal(err)
		}
		if n := looks.Load() - before; n > 2*int64(len(files))+2 {
			t.Errorf("order %d: %d disk looks for %d files, want at most 2 a file", order, n, len(files))
		}
		if got, want := filepath.Base(j.Files[len(files)-1].Path), "a ("+strconv.Itoa((order+1)*len(files)-1)+").zip"; got != want {
			t.Errorf("order %d: last file named %q, want %q", order, got, want)
		}
	}
}
