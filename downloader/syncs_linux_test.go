package downloader

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// createFiles makes one empty file per name in a fresh folder.
func createFiles(t *testing.T, names ...string) map[string]*os.File {
	t.Helper()
	dir := t.TempDir()
	files := map[string]*os.File{}
	for _, n := range names {
		f, err := os.Create(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		files[n] = f
	}
	return files
}

// Files that come while a sync runs wait, and are then synced as one
// batch: every write started before the first fsync, the fsyncs run side
// by side, each fsync's error given to its own file only. A file that
// finds nothing syncing is synced at once, on its own, and so is a file
// too large for a batch.
func TestFilesThatComeWhileASyncRunsAreSyncedAsOneBatch(t *testing.T) {
	t.Parallel()
	files := createFiles(t, "a", "b", "c", "d", "e", "large")
	q := newSyncQueue()
	var mu sync.Mutex
	var steps []string
	step := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		steps = append(steps, s)
	}
	aSyncing, releaseA := make(chan struct{}), make(chan struct{})
	var others sync.WaitGroup // c's and d's fsyncs, which b's waits for
	others.Add(2)
	errFull := errors.New("no space left on device")
	q.startWrite = func(f *os.File) { step("start " + filepath.Base(f.Name())) }
	q.fsync = func(f *os.File) error {
		name := filepath.Base(f.Name())
		step("fsync " + name)
		switch name {
		case "a":
			close(aSyncing)
			<-releaseA
		case "b": // synced one after another, c and d would wait for b
			waited := make(chan struct{})
			go func() { others.Wait(); close(waited) }()
			select {
			case <-waited:
			case <-time.After(30 * time.Second):
				t.Error("b's fsync held c's and d's back: a batch's fsyncs do not run side by side")
			}
		case "c":
			others.Done()
			return errFull
		case "d":
			others.Done()
		}
		return f.Sync()
	}
	errs := map[string]error{}
	var wg sync.WaitGroup
	syncFile := func(name string) {
		wg.Go(func() {
			err := q.syncFile(files[name], 64<<10)
			mu.Lock()
			defer mu.Unlock()
			errs[name] = err
		})
	}
	syncFile("a")
	<-aSyncing
	large := make(chan error, 1)
	go func() { large <- q.syncFile(files["large"], syncBatchMaxFile+1) }()
	select {
	case err := <-large:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a file too large for a batch waited for the sync running")
	}
	for i, name := range []string{"b", "c", "d"} { // in this order
		syncFile(name)
		waitFor(t, func() bool {
			q.mu.Lock()
			defer q.mu.Unlock()
			return len(q.waiting) == i+1
		})
	}
	close(releaseA)
	wg.Wait()
	if want := []string{"fsync a", "fsync large", "start b", "start c", "start d"}; len(steps) != 8 || !slices.Equal(steps[:5], want) {
		t.Fatalf("steps %q, want %q and then the three fsyncs", steps, want)
	}
	if fsyncs := slices.Sorted(slices.Values(steps[5:])); !slices.Equal(fsyncs, []string{"fsync b", "fsync c", "fsync d"}) {
		t.Fatalf("steps %q: the batch's fsyncs are %q", steps, fsyncs)
	}
	for _, name := range []string{"a", "b", "c", "d"} {
		if err := errs[name]; (name == "c") != (err == errFull) || (name != "c" && err != nil) {
			t.Errorf("file %s: sync error %v", name, err)
		}
	}

	steps = nil
	if err := q.syncFile(files["e"], 64<<10); err != nil {
		t.Fatal(err)
	}
	if want := []string{"fsync e"}; !slices.Equal(steps, want) {
		t.Fatalf("a lone file: steps %q, want %q", steps, want)
	}
}

// Many files synced at once, over and over: each sync returns, with its
// own file synced, and no batch is left leaderless (the race detector
// watches the hand-overs).
func TestConcurrentSyncsAllReturn(t *testing.T) {
	t.Parallel()
	const writers, rounds = 8, 50
	names := make([]string, writers)
	for i := range names {
		names[i] = fmt.Sprint("f", i)
	}
	files := createFiles(t, names...)
	q := newSyncQueue()
	var mu sync.Mutex
	synced := map[string]int{}
	fsync := q.fsync
	q.fsync = func(f *os.File) error {
		mu.Lock()
		synced[filepath.Base(f.Name())]++
		mu.Unlock()
		return fsync(f)
	}
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Go(func() {
			for i := range rounds {
				if _, err := files[name].WriteAt([]byte{byte(i)}, int64(i)); err != nil {
					t.Error(err)
					return
				}
				if err := q.sync(files[name]); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, name := range names {
		if synced[name] != rounds {
			t.Errorf("%s synced %d times, want %d", name, synced[name], rounds)
		}
	}
	if q.syncing != 0 || len(q.waiting) > 0 {
		t.Fatalf("queue left with %d files syncing and %d waiting", q.syncing, len(q.waiting))
	}
}
