package downloader

import (
	"sync"
	"testing"
)

// Records put while a commit runs share the next commit, and every caller
// returns only once its own record is committed.
func TestPutFileGroupCommits(t *testing.T) {
	st, err := openStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	release := make(chan struct{})
	var batches []int
	st.beforeCommit = func(n int) {
		batches = append(batches, n) // commits never overlap
		if len(batches) == 1 {
			<-release
		}
	}
	const callers = 20
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	put := func(i int) {
		wg.Go(func() { errs <- st.putFile("job", fileRecord{Index: i, Size: int64(i)}) })
	}
	put(0)
	waitFor(t, func() bool { st.mu.Lock(); defer st.mu.Unlock(); return st.running })
	for i := 1; i < callers; i++ {
		put(i)
	}
	waitFor(t, func() bool { st.mu.Lock(); defer st.mu.Unlock(); return len(st.filling.records) == callers-1 })
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(batches) != 2 || batches[0] != 1 || batches[1] != callers-1 {
		t.Errorf("commits of %v records, want [1 %d]", batches, callers-1)
	}
	_, files, err := st.load()
	if err != nil {
		t.Fatal(err)
	}
	if got := files["job"]; len(got) != callers {
		t.Fatalf("%d records stored, want %d", len(got), callers)
	}
	for i, f := range files["job"] {
		if f.Index != i || f.Size != int64(i) {
			t.Errorf("record %d is %+v", i, f)
		}
	}
}
