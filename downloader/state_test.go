package downloader

import (
	"log/slog"
	"math/rand/v2"
	"testing"
)

var fileStates = []FileState{FileQueued, FileDownloading, FileVerifying, FilePaused, FileURLExpired, FileCompleted, FileFailed, FileCanceled}

// newStateManager returns a Manager with one job of n queued files and
// no transfers: enough for setState.
func newStateManager(n int) (*Manager, *job) {
	m := &Manager{hub: newHub(), byID: map[string]*job{}}
	m.log = slog.New(slog.DiscardHandler)
	j := &job{rec: jobRecord{ID: "job"}}
	for i := range n {
		j.addFile(&file{job: j, rec: fileRecord{Index: i, State: FileQueued, Size: 1 << 20}})
	}
	j.state = j.derive()
	m.jobs = []*job{j}
	m.byID[j.rec.ID] = j
	return m, j
}

// scanState derives a job's state by a pass over its files, as derive
// did before it kept counts: the reference it must agree with.
func scanState(files []*file) JobState {
	n := make([]int, len(fileStates))
	for _, f := range files {
		for i, s := range fileStates {
			if f.rec.State == s {
				n[i]++
			}
		}
	}
	switch {
	case n[1] > 0 || n[2] > 0:
		return JobRunning
	case n[0] > 0:
		return JobQueued
	case n[4] > 0:
		return JobWaiting
	case n[3] > 0:
		return JobPaused
	case n[6] > 0:
		return JobFailed
	case n[7] > 0:
		return JobCanceled
	}
	return JobCompleted
}

// A job's state follows its files through any run of changes: the counts
// setState keeps agree with a pass over the files after every change.
func TestAJobsStateFollowsItsFiles(t *testing.T) {
	t.Parallel()
	m, j := newStateManager(5) // few files, so every job state comes up
	rng := rand.New(rand.NewPCG(6, 2026))
	seen := map[JobState]bool{}
	for step := range 5000 {
		f := j.files[rng.IntN(len(j.files))]
		s := fileStates[rng.IntN(len(fileStates))]
		if rng.IntN(2) == 0 { // else all five are rarely completed at once
			s = FileCompleted
		}
		m.setState(f, s, nil)
		if want := scanState(j.files); j.state != want {
			t.Fatalf("step %d: file %d to %s: job %s, its files say %s", step, f.rec.Index, s, j.state, want)
		}
		seen[j.state] = true
	}
	if len(seen) != 7 {
		t.Fatalf("only job states %v came up; the test needs every one", seen)
	}
}

// BenchmarkFinishFile moves each file of a 2,000-file order through the
// states of a download as the Manager does, the next file starting while
// one verifies: the cost per file must not grow with the order.
func BenchmarkFinishFile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m, j := newStateManager(2000)
		m.setState(j.files[0], FileDownloading, nil)
		for i, f := range j.files {
			m.setState(f, FileVerifying, nil)
			if i+1 < len(j.files) {
				m.setState(j.files[i+1], FileDownloading, nil)
			}
			m.setState(f, FileCompleted, nil)
		}
	}
}
