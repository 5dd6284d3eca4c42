package downloader

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

// TestHashSetSumsEveryFileOfASet hashes sets below laneMinSet (crypto/md5)
// and above it (md5-simd), up to more files than lanes, of sizes around
// MD5's 64-byte block.
func TestHashSetSumsEveryFileOfASet(t *testing.T) {
	t.Parallel()
	sizes := []int{1, 55, 56, 63, 64, 65, 4095, 100_000, 1<<20 + 7}
	for _, n := range []int{1, 2, laneMinSet, laneCount, laneCount + 4} {
		t.Run(fmt.Sprintf("a set of %d", n), func(t *testing.T) {
			t.Parallel()
			set := make([]*laneFile, n)
			data := make([][]byte, n)
			for i := range set {
				data[i] = testenv.RandomData(int64(100+i), sizes[i%len(sizes)])
				set[i] = &laneFile{ctx: context.Background(), part: bytes.NewReader(data[i]), size: int64(len(data[i])), hashed: make(chan struct{})}
			}
			hashSet(set)
			for i, lf := range set {
				<-lf.hashed
				want := md5.Sum(data[i])
				if lf.err != nil || !bytes.Equal(lf.sum, want[:]) {
					t.Errorf("file %d of %d bytes: sum %x, err %v; want %x", i, len(data[i]), lf.sum, lf.err, want)
				}
			}
		})
	}
}

// TestHashSetStopsOnlyTheFileThatStopped gives one file of a set a
// stopped context and another a .part shorter than its size.
func TestHashSetStopsOnlyTheFileThatStopped(t *testing.T) {
	t.Parallel()
	errPausedHere := errors.New("paused")
	stopped, stop := context.WithCancelCause(context.Background())
	stop(errPausedHere)
	data := testenv.RandomData(7, 300_000)
	set := []*laneFile{
		{ctx: context.Background(), part: bytes.NewReader(data), size: int64(len(data))},
		{ctx: stopped, part: bytes.NewReader(data), size: int64(len(data))},
		{ctx: context.Background(), part: bytes.NewReader(data[:1000]), size: int64(len(data))},
		{ctx: context.Background(), part: bytes.NewReader(data), size: int64(len(data))},
	}
	for _, lf := range set {
		lf.hashed = make(chan struct{})
	}
	hashSet(set)
	want := md5.Sum(data)
	for _, i := range []int{0, 3} {
		if lf := set[i]; lf.err != nil || !bytes.Equal(lf.sum, want[:]) {
			t.Errorf("file %d: sum %x, err %v; want %x", i, lf.sum, lf.err, want)
		}
	}
	if err := set[1].err; !errors.Is(err, errPausedHere) {
		t.Errorf("stopped file: err %v, want its context's cause", err)
	}
	if err := set[2].err; !isDiskError(err) {
		t.Errorf("short file: err %v, want a disk error", err)
	}
}

func TestLaneEligible(t *testing.T) {
	t.Parallel()
	fin := &finisher{minPiece: 1 << 20, lanes: lanes{enabled: true}}
	const etag = `"0123456789abcdef0123456789abcdef"`
	tests := []struct {
		name    string
		spec    FileSpec
		etag    string
		size    int64
		enabled bool
		want    bool
	}{
		{"an 8 MiB file verified by its ETag", FileSpec{}, etag, 8 << 20, true, true},
		{"a file verified by the caller's MD5", FileSpec{MD5: "0123456789abcdef0123456789abcdef"}, "", 8 << 20, true, true},
		{"a file of one piece hashes as it lands", FileSpec{}, etag, 1 << 20, true, false},
		{"a file larger than laneMaxFile", FileSpec{}, etag, laneMaxFile + 1, true, false},
		{"the largest file a set takes", FileSpec{}, etag, laneMaxFile, true, true},
		{"a file with a SHA-256", FileSpec{SHA256: "ab"}, etag, 8 << 20, true, false},
		{"a file with a multipart ETag has nothing to verify", FileSpec{}, `"0123456789abcdef0123456789abcdef-3"`, 8 << 20, true, false},
		{"a CPU without AVX2", FileSpec{}, etag, 8 << 20, false, false},
	}
	for _, tt := range tests {
		fin.lanes.enabled = tt.enabled
		if got := fin.hashesInSet(&transfer{}, digests(tt.spec, tt.etag, false), tt.size); got != tt.want {
			t.Errorf("%s: eligible %v, want %v", tt.name, got, tt.want)
		}
	}
}

// newLanesManager opens a Manager that hashes its eligible files in sets,
// whatever the CPU, waiting at most wait for a set to fill.
func newLanesManager(t *testing.T, cfg Config, wait time.Duration) *Manager {
	t.Helper()
	m := newTestManager(t, cfg)
	m.fin.lanes.enabled, m.fin.lanes.wait = true, wait
	return m
}

// setSizes records the size of every set a Manager hashes.
type setSizes struct {
	mu    sync.Mutex
	sizes []int
}

func recordSets(m *Manager) *setSizes {
	s := &setSizes{}
	m.fin.mu.Lock()
	m.fin.lanes.onHash = func(n int) { s.mu.Lock(); s.sizes = append(s.sizes, n); s.mu.Unlock() }
	m.fin.mu.Unlock()
	return s
}

func (s *setSizes) list() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.sizes...)
}

func (s *setSizes) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprint(s.sizes)
}

// lanesIdle reports an empty set and no candidate left.
func lanesIdle(m *Manager) bool {
	m.fin.mu.Lock()
	defer m.fin.mu.Unlock()
	return len(m.fin.lanes.set) == 0 && m.fin.lanes.freed == 0 && m.fin.lanes.candidates == 0 && m.fin.lanes.timer == nil
}

// TestAnOrderIsVerifiedInSetsOfSixteen: the first sixteen files wait for
// each other, the last four go as soon as nothing else downloads, never
// after a time (the wait is an hour).
func TestAnOrderIsVerifiedInSetsOfSixteen(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(41, 200<<10)
	srv := faultserver.New(t, data)
	m := newLanesManager(t, testConfig(t), time.Hour)
	sets := recordSets(m)
	var files []FileSpec
	for i := range laneCount + 4 {
		files = append(files, FileSpec{URL: srv.URL(), Name: fmt.Sprintf("chip-%02d.zip", i)})
	}
	j := runJob(t, m, JobSpec{Name: "order", Files: files})
	if j.State != JobCompleted {
		t.Fatalf("job ended %s", j.State)
	}
	for _, f := range j.Files {
		assertFile(t, f.Path, data)
		assertNoPart(t, f.Path)
	}
	if got, want := sets.String(), fmt.Sprint([]int{laneCount, 4}); got != want {
		t.Errorf("sets hashed %s, want %s", got, want)
	}
	if !lanesIdle(m) {
		t.Errorf("lanes not idle after the job: %+v", &m.fin.lanes)
	}
}

// TestABadFileFailsAloneInItsSet: one file of a set does not match the
// portal's MD5; it fails and is deleted, the others of its set complete.
func TestABadFileFailsAloneInItsSet(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(42, 300<<10)
	good := faultserver.New(t, data)
	m := newLanesManager(t, testConfig(t), time.Hour)
	sets := recordSets(m)
	files := []FileSpec{{URL: good.URL(), Name: "a.zip"}, {URL: good.URL(), Name: "b.zip"}, {URL: good.URL(), Name: "c.zip", MD5: "0123456789abcdef0123456789abcdef"}, {URL: good.URL(), Name: "d.zip"}}
	j := runJob(t, m, JobSpec{Name: "order", Files: files})
	for i, f := range j.Files {
		if i == 2 {
			if f.State != FileFailed || f.Error == nil || f.Error.Code != CodeChecksum {
				t.Errorf("c.zip ended %s with %+v, want failed with %s", f.State, f.Error, CodeChecksum)
			}
			if _, err := os.Stat(f.Path); err == nil {
				t.Errorf("a failed file has its final name %s", f.Path)
			}
			assertNoPart(t, f.Path)
			continue
		}
		if f.State != FileCompleted {
			t.Errorf("%s ended %s (%+v), want completed", f.Name, f.State, f.Error)
			continue
		}
		assertFile(t, f.Path, data)
	}
	// c.zip is fetched once more by itself and hashed alone the second time.
	if got, want := sets.String(), fmt.Sprint([]int{len(files), 1}); got != want {
		t.Errorf("sets hashed %s, want %s", got, want)
	}
}

// gate holds every request to a server until it is opened.
type gate struct {
	open    chan struct{}
	opening sync.Once
}

func newGate(t *testing.T) *gate {
	g := &gate{open: make(chan struct{})}
	t.Cleanup(g.release) // before the Manager's Close, which waits for its transfers
	return g
}

func (g *gate) release() { g.opening.Do(func() { close(g.open) }) }

// config is testConfig for a Manager whose requests the gate may hold:
// a held request must not be cut as a stall, retried and given up on.
func (g *gate) config(t *testing.T) Config {
	cfg := testConfig(t)
	cfg.StallTimeout = time.Hour
	return cfg
}

func (g *gate) option() faultserver.Option {
	return faultserver.Handler(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		select {
		case <-g.open:
			next.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	})
}

// TestAFileWaitsForItsSetNoLongerThanTheWait: b.zip may still join a's set
// while its server holds it, so only the wait lets a.zip finish first.
func TestAFileWaitsForItsSetNoLongerThanTheWait(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(43, 200<<10)
	g := newGate(t)
	srv := faultserver.New(t, data)
	held := faultserver.New(t, data, g.option())
	m := newLanesManager(t, g.config(t), 20*time.Millisecond)
	sub := m.Subscribe()
	defer sub.Close()
	j, err := m.Add(JobSpec{Name: "order", Files: []FileSpec{{URL: srv.URL(), Name: "a.zip"}, {URL: held.URL(), Name: "b.zip"}}})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, func(ev Event) bool {
		return ev.Type == EventFileState && ev.File.Name == "a.zip" && ev.File.State.final()
	})
	info, err := m.Job(j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := info.Files[0], info.Files[1]; a.State != FileCompleted || b.State != FileDownloading {
		t.Fatalf("a.zip %s, b.zip %s; want a.zip completed while b.zip downloads", a.State, b.State)
	}
	assertFile(t, info.Files[0].Path, data)
	g.release()
	if info = waitSettled(t, m, sub, j.ID); info.State != JobCompleted {
		t.Fatalf("job ended %s", info.State)
	}
	assertFile(t, info.Files[1].Path, data)
}

// TestPausingAFileWaitingForItsSetKeepsItsBytes: a.zip waits for b.zip,
// held by its server, to join its set; a pause takes it out of the set,
// with its .part whole, and a resume verifies and completes it.
func TestPausingAFileWaitingForItsSetKeepsItsBytes(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(44, 200<<10)
	g := newGate(t)
	srv := faultserver.New(t, data)
	held := faultserver.New(t, data, g.option())
	m := newLanesManager(t, g.config(t), time.Hour)
	sub := m.Subscribe()
	defer sub.Close()
	j, err := m.Add(JobSpec{Name: "order", Files: []FileSpec{{URL: srv.URL(), Name: "a.zip"}, {URL: held.URL(), Name: "b.zip"}}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { m.fin.mu.Lock(); defer m.fin.mu.Unlock(); return len(m.fin.lanes.set) == 1 })
	if err := m.PauseJob(j.ID); err != nil {
		t.Fatal(err)
	}
	info := waitJobState(t, m, sub, j.ID, JobPaused)
	if a := info.Files[0]; a.State != FilePaused {
		t.Fatalf("a.zip %s after the pause, want paused", a.State)
	}
	waitFor(t, func() bool { return lanesIdle(m) })
	path := info.Files[0].Path
	if _, err := os.Stat(path); err == nil {
		t.Fatalf("a paused file has its final name %s", path)
	}
	assertFile(t, path+partSuffix, data)
	sent := srv.BytesSent()
	g.release()
	if err := m.ResumeJob(j.ID); err != nil {
		t.Fatal(err)
	}
	if info = waitSettled(t, m, sub, j.ID); info.State != JobCompleted {
		t.Fatalf("job ended %s", info.State)
	}
	for _, f := range info.Files {
		assertFile(t, f.Path, data)
	}
	if extra := srv.BytesSent() - sent; extra != 0 {
		t.Errorf("a.zip was fetched again (%d bytes) although its .part was whole", extra)
	}
	if !lanesIdle(m) {
		t.Errorf("lanes not idle after the job: %+v", &m.fin.lanes)
	}
}

// TestFilesVerifiedTogetherStillWaitForTheDisk is the twin of
// TestAFileThatIsFinishingLetsTheNextOneStart for files hashed in sets.
// With every sync held and one file at a time, a full set gives its slots
// back while it waits (it waits for downloads, not for the disk), but the
// file after it finds the set's sixteen files syncing and keeps its slot:
// at most a set and MaxActiveFiles files wait on the disk.
func TestFilesVerifiedTogetherStillWaitForTheDisk(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(45, 100<<10)
	srv := faultserver.New(t, data)
	cfg := testConfig(t)
	cfg.Settings.MaxActiveFiles = 1
	m := newLanesManager(t, cfg, time.Hour)
	sets := recordSets(m)
	n := laneCount + 3
	syncing, release := holdSyncs(t, m, n)
	sub := m.Subscribe()
	defer sub.Close()
	var files []FileSpec
	for i := range n {
		files = append(files, FileSpec{URL: srv.URL(), Name: fmt.Sprintf("chip-%02d.zip", i)})
	}
	j, err := m.Add(JobSpec{Name: "order", Files: files})
	if err != nil {
		t.Fatal(err)
	}
	began := map[string]bool{}
	for range laneCount + 1 {
		select {
		case name := <-syncing:
			began[name] = true
		case <-time.After(30 * time.Second):
			t.Fatalf("only %d syncs began, want %d: %s", len(began), laneCount+1, sets)
		}
	}
	for i := range laneCount + 1 {
		if name := files[i].Name + partSuffix; !began[name] {
			t.Errorf("%s did not begin its sync", name)
		}
	}
	info, err := m.Job(j.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range info.Files[laneCount+1:] {
		if f.State != FileQueued {
			t.Errorf("with %d files syncing and the only slot held by one of them, %s is %s, want queued", laneCount+1, f.Name, f.State)
		}
	}
	release()
	if info = waitSettled(t, m, sub, j.ID); info.State != JobCompleted {
		t.Fatalf("job ended %s", info.State)
	}
	for _, f := range info.Files {
		assertFile(t, f.Path, data)
	}
	// The last two files come after the syncs were released: whether
	// they make one set or two depends on how fast the disk is.
	got, total := sets.list(), 0
	for _, k := range got {
		total += k
	}
	if len(got) < 2 || got[0] != laneCount || got[1] != 1 || total != n {
		t.Errorf("sets hashed %v, want %d, 1 and then the last two files", got, laneCount)
	}
}

// TestAFileWaitingForItsSetIsSyncedAndRecordedWhole: with no checkpoint
// to save it, a.zip's bytes reach the state database while it waits for
// b.zip (held by its server), after its .part was synced; a crash then
// costs none of them.
func TestAFileWaitingForItsSetIsSyncedAndRecordedWhole(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(46, 200<<10)
	g := newGate(t)
	srv := faultserver.New(t, data)
	held := faultserver.New(t, data, g.option())
	cfg := g.config(t)
	cfg.CheckpointInterval = time.Hour
	m := newLanesManager(t, cfg, time.Hour)
	var synced atomic.Bool
	m.fin.sync = func(f *os.File, _ int64) error {
		err := f.Sync()
		synced.Store(true)
		return err
	}
	if _, err := m.Add(JobSpec{Name: "order", Files: []FileSpec{{URL: srv.URL(), Name: "a.zip"}, {URL: held.URL(), Name: "b.zip"}}}); err != nil {
		t.Fatal(err)
	}
	var rec fileRecord
	waitFor(t, func() bool {
		_, files, err := m.store.load()
		if err != nil {
			t.Fatal(err)
		}
		for _, fs := range files {
			for _, r := range fs {
				if r.Index == 0 {
					rec = r
				}
			}
		}
		return rec.Done.size() == int64(len(data))
	})
	if !synced.Load() {
		t.Error("a.zip's bytes were recorded before its .part was synced")
	}
	m.fin.mu.Lock()
	waiting := len(m.fin.lanes.set)
	m.fin.mu.Unlock()
	if waiting != 1 || rec.State.final() {
		t.Errorf("a.zip recorded %s with %d file(s) waiting for a set; want it still waiting", rec.State, waiting)
	}
}

// TestAFileVerifiedInASetIsNotFetchedAgainAfterACrash: a file that waited
// for its set has its bytes committed, so its completed record need not
// be: a crash before that commit costs no byte, and no duplicate.
func TestAFileVerifiedInASetIsNotFetchedAgainAfterACrash(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(47, 200<<10)
	srv := faultserver.New(t, data)
	cfg := testConfig(t)
	m := newHeldCommitsManager(t, cfg) // no checkpoint, trailing records held
	m.fin.lanes.enabled = true
	first := runJob(t, m, JobSpec{Name: "x", Files: []FileSpec{{URL: srv.URL(), Name: "a.zip"}, {URL: srv.URL(), Name: "b.zip"}}})
	if first.State != JobCompleted {
		t.Fatalf("job ended %s", first.State)
	}
	crash(t, m, cfg)
	sent := srv.BytesSent()

	m = newTestManager(t, cfg)
	sub := m.Subscribe()
	defer sub.Close()
	got := waitSettled(t, m, sub, first.ID)
	if got.State != JobCompleted {
		t.Fatalf("job ended %s after the crash", got.State)
	}
	for i, f := range got.Files {
		if f.Path != first.Files[i].Path {
			t.Errorf("%s is at %s after the crash, want %s", f.Name, f.Path, first.Files[i].Path)
		}
		assertFile(t, f.Path, data)
	}
	if extra := srv.BytesSent() - sent; extra != 0 {
		t.Errorf("%d bytes fetched again after the crash, want none", extra)
	}
}
