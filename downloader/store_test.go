package downloader

import (
	"sync"
	"testing"
	"time"
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

// Records nobody waits for share one commit: with a delay longer than the
// test, only close commits them, all at once.
func TestLaterRecordsShareOneCommitAndCloseWritesThem(t *testing.T) {
	dir := t.TempDir()
	st, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	st.lazyDelay = time.Hour
	var batches []int
	st.beforeCommit = func(n int) { batches = append(batches, n) }
	const records = 100
	for i := range records {
		if err := st.putFileLater("job", fileRecord{Index: i, State: FileCompleted}); err != nil {
			t.Fatal(err)
		}
	}
	if len(batches) != 0 {
		t.Fatalf("commits of %v records before close, want none", batches)
	}
	files := closeAndLoad(t, st, dir)
	if len(batches) != 1 || batches[0] != records {
		t.Errorf("commits of %v records, want [%d]", batches, records)
	}
	if got := len(files["job"]); got != records {
		t.Errorf("%d records stored, want %d", got, records)
	}
}

// A record nobody waits for is committed by itself after the delay.
func TestALaterRecordIsCommittedWithoutAnotherCommit(t *testing.T) {
	st, err := openStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	st.lazyDelay = time.Millisecond
	if err := st.putFileLater("job", fileRecord{Index: 7, State: FileCompleted}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		_, files, err := st.load()
		return err == nil && len(files["job"]) == 1 && files["job"][0].Index == 7
	})
}

// Removing a job drops its records still waiting for a commit, so a later
// commit does not write them back; other jobs' records stay.
func TestDeleteJobDropsItsWaitingRecords(t *testing.T) {
	dir := t.TempDir()
	st, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	st.lazyDelay = time.Hour
	if err := st.putJob(&jobRecord{ID: "gone"}, []fileRecord{{Index: 0}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"gone", "kept"} {
		if err := st.putFileLater(id, fileRecord{Index: 1, State: FileCompleted}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.deleteJob("gone"); err != nil {
		t.Fatal(err)
	}
	files := closeAndLoad(t, st, dir)
	if len(files["gone"]) != 0 || len(files["kept"]) != 1 {
		t.Errorf("records after deleting job gone: %d of it, %d of kept; want 0 and 1", len(files["gone"]), len(files["kept"]))
	}
}

// closeAndLoad closes st, opens the store in dir again and returns the
// file records it holds, by job.
func closeAndLoad(t *testing.T, st *store, dir string) map[string][]fileRecord {
	t.Helper()
	if err := st.close(); err != nil {
		t.Fatal(err)
	}
	st, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	_, files, err := st.load()
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// A completed record never trails its file by more than a checkpoint
// interval, the most a crash may cost.
func TestLaterRecordsWaitNoLongerThanACheckpoint(t *testing.T) {
	for _, tc := range []struct{ checkpoint, want time.Duration }{
		{0, lazyCommitDelay}, // the default, 2 s
		{50 * time.Millisecond, 50 * time.Millisecond},
	} {
		cfg := testConfig(t)
		cfg.CheckpointInterval = tc.checkpoint
		m, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.store.lazyDelay; got != tc.want {
			t.Errorf("checkpoint interval %v: records wait up to %v, want %v", tc.checkpoint, got, tc.want)
		}
		m.Close()
	}
}
