package downloader

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

func TestAJobWithAMissingFileCompletesTheOthers(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(3, 200<<10)
	good := faultserver.New(t, data)
	gone := faultserver.New(t, data, faultserver.StatusStatic(404))
	m := newTestManager(t, testConfig(t))
	j := runJob(t, m, JobSpec{Name: "order", Folder: "order-1", Files: []FileSpec{
		{URL: good.URL(), Name: "a.zip"}, {URL: gone.URL(), Name: "b.zip"}, {URL: good.URL(), Name: "sub/c.zip"},
	}})
	if j.State != JobFailed {
		t.Errorf("job state %s, want failed", j.State)
	}
	assertFile(t, j.Files[0].Path, data)
	assertFile(t, j.Files[2].Path, data)
	if got := j.Files[1].Error; got == nil || got.Code != CodeNotFound {
		t.Errorf("missing file error %+v, want %s", got, CodeNotFound)
	}
	if want := filepath.Join(m.cfg.Root, "order-1", "sub", "c.zip"); j.Files[2].Path != want {
		t.Errorf("path %s, want %s", j.Files[2].Path, want)
	}
}

func TestSameNamesGetANumber(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(4, 1000)
	srv := faultserver.New(t, data)
	cfg := testConfig(t)
	if err := os.WriteFile(filepath.Join(cfg.Root, "a.zip"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := newTestManager(t, cfg)
	j := runJob(t, m, JobSpec{Name: "x", Files: []FileSpec{
		{URL: srv.URL(), Name: "a.zip"}, {URL: srv.URL(), Name: "a.zip"}, {URL: srv.URL(), Name: "B.zip"}, {URL: srv.URL(), Name: "b.zip"},
	}})
	var names []string
	for _, f := range j.Files {
		names = append(names, filepath.Base(f.Path))
		assertFile(t, f.Path, data)
	}
	// b.zip and B.zip would be one file on Windows and macOS.
	if want := []string{"a (1).zip", "a (2).zip", "B.zip", "b (1).zip"}; !slices.Equal(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	assertFile(t, filepath.Join(cfg.Root, "a.zip"), []byte("mine"))
}

func TestAddRefusesBadJobs(t *testing.T) {
	t.Parallel()
	m := newTestManager(t, testConfig(t))
	ok := FileSpec{URL: "http://127.0.0.1:1/x", Name: "x.zip"}
	tests := []struct {
		name string
		spec JobSpec
		says string
	}{
		{"no name", JobSpec{Files: []FileSpec{ok}}, "name"},
		{"no files", JobSpec{Name: "x"}, "files"},
		{"an escaping folder", JobSpec{Name: "x", Folder: "../up", Files: []FileSpec{ok}}, "folder"},
		{"an absolute file name", JobSpec{Name: "x", Files: []FileSpec{{URL: ok.URL, Name: "/etc/passwd"}}}, "files[0]"},
		{"an ftp URL", JobSpec{Name: "x", Files: []FileSpec{ok, {URL: "ftp://h/x", Name: "y"}}}, "files[1]"},
		{"a short sha256", JobSpec{Name: "x", Files: []FileSpec{{URL: ok.URL, Name: "y", SHA256: "abc"}}}, "sha256"},
		{"too many connections", JobSpec{Name: "x", Connections: 65, Files: []FileSpec{ok}}, "connections"},
		{"too many files", JobSpec{Name: "x", Files: make([]FileSpec, MaxFilesPerJob+1)}, "files"},
	}
	for _, tt := range tests {
		_, err := m.Add(tt.spec)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: Add = %v, want ErrInvalid naming %q", tt.name, err, tt.says)
		}
	}
	if len(m.Jobs()) != 0 {
		t.Errorf("refused jobs were kept: %d", len(m.Jobs()))
	}
}

func TestResumeAfterRestartFetchesOnlyWhatIsMissing(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(5, 8<<20)
	srv := faultserver.New(t, data, faultserver.RateLimit(4<<20))
	cfg := testConfig(t)
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sub := m.Subscribe()
	j, err := m.Add(JobSpec{Name: "x", Files: []FileSpec{{URL: srv.URL(), Name: "big.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, func(ev Event) bool {
		return ev.Type == EventJobProgress && ev.Progress.Done > 6<<20
	})
	m.Close()
	before := srv.BytesSent()

	m = newTestManager(t, cfg)
	sub = m.Subscribe()
	got := waitSettled(t, m, sub, j.ID)
	if got.State != JobCompleted {
		t.Fatalf("after restart the job ended %s", got.State)
	}
	assertFile(t, got.Files[0].Path, data)
	// Close checkpoints every written byte, so the second run needs only
	// the rest, plus what was in flight: sent but not yet read by the 8
	// connections when Close cut them (generous under -race). A restart
	// from zero would cost the 6 MiB done before Close.
	if sent, limit := srv.BytesSent(), int64(len(data))+4<<20; sent > limit {
		t.Errorf("server sent %d bytes in all (%d before the restart), want at most %d", sent, before, limit)
	}
}

func TestAPartDeletedAtRestStartsTheFileOver(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(6, 4<<20)
	srv := faultserver.New(t, data, faultserver.RateLimit(4<<20))
	cfg := testConfig(t)
	j := stopMidway(t, cfg, srv.URL())
	if err := os.Remove(j.Files[0].Path + partSuffix); err != nil {
		t.Fatal(err)
	}
	got := resumeToEnd(t, cfg, j.ID)
	assertFile(t, got.Files[0].Path, data)
}

func TestAPartDeletedWhileDownloadingStopsTheFileAndRetryRecovers(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(7, 4<<20)
	srv := faultserver.New(t, data, faultserver.RateLimit(2<<20))
	m := newTestManager(t, testConfig(t))
	sub := m.Subscribe()
	j, _ := m.Add(JobSpec{Name: "x", Files: []FileSpec{{URL: srv.URL(), Name: "f.bin"}}})
	waitEvent(t, sub, func(ev Event) bool { return ev.Type == EventJobProgress && ev.Progress.Done > 256<<10 })
	if err := os.Remove(j.Files[0].Path + partSuffix); err != nil {
		t.Fatal(err)
	}
	got := waitSettled(t, m, sub, j.ID)
	if f := got.Files[0]; f.State != FileFailed || f.Error == nil || f.Error.Code != CodePartMissing {
		t.Fatalf("file ended %s with %+v, want failed with %s", f.State, f.Error, CodePartMissing)
	}
	if err := m.RetryJob(j.ID); err != nil {
		t.Fatal(err)
	}
	got = waitJobState(t, m, sub, j.ID, JobCompleted, JobFailed)
	if got.State != JobCompleted {
		t.Fatalf("after retry the job ended %s", got.State)
	}
	assertFile(t, got.Files[0].Path, data)
}

func TestAnExpiredURLKeepsItsBytesAndContinuesWithANewOne(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(8, 3<<20)
	// Resets make every answer short, so the URL expires with bytes on disk.
	srv := faultserver.New(t, data, faultserver.ExpireAfter(3), faultserver.ResetAfterBytes(512<<10))
	cfg := testConfig(t)
	cfg.Settings.Connections = 1
	m := newTestManager(t, cfg)
	sub := m.Subscribe()
	j, _ := m.Add(JobSpec{Name: "x", Files: []FileSpec{{URL: srv.URL(), Name: "f.bin"}}})
	ev := waitEvent(t, sub, func(ev Event) bool { return ev.Type == EventURLExpired })
	if ev.File == nil || ev.File.Index != 0 || ev.File.State != FileURLExpired {
		t.Fatalf("url_expired event %+v", ev.File)
	}
	kept := ev.File.Done
	if kept == 0 {
		t.Fatal("no bytes were kept when the URL expired")
	}
	sentBefore := srv.BytesSent()
	if err := m.SetURL(j.ID, 0, srv.URLWithToken(srv.FreshToken())); err != nil {
		t.Fatal(err)
	}
	got := waitJobState(t, m, sub, j.ID, JobCompleted, JobFailed)
	if got.State != JobCompleted {
		t.Fatalf("job ended %s: %+v", got.State, got.Files[0].Error)
	}
	assertFile(t, got.Files[0].Path, data)
	if after := srv.BytesSent() - sentBefore; after > int64(len(data))-kept {
		t.Errorf("after the new URL the server sent %d bytes; %d of %d were kept", after, kept, len(data))
	}
}

func TestPauseResumeCancelAndRemove(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(9, 4<<20)
	srv := faultserver.New(t, data, faultserver.RateLimit(2<<20))
	m := newTestManager(t, testConfig(t))
	sub := m.Subscribe()
	j, _ := m.Add(JobSpec{Name: "x", Files: []FileSpec{{URL: srv.URL(), Name: "f.bin"}}})
	waitEvent(t, sub, func(ev Event) bool { return ev.Type == EventJobProgress })

	if err := m.PauseJob(j.ID); err != nil {
		t.Fatal(err)
	}
	waitJobState(t, m, sub, j.ID, JobPaused)
	if err := m.PauseJob(j.ID); err != nil {
		t.Errorf("pausing a paused job: %v, want nil", err)
	}
	if err := m.ResumeJob(j.ID); err != nil {
		t.Fatal(err)
	}
	waitJobState(t, m, sub, j.ID, JobRunning)
	if err := m.CancelJob(j.ID); err != nil {
		t.Fatal(err)
	}
	got := waitJobState(t, m, sub, j.ID, JobCanceled)
	waitFor(t, func() bool { _, err := os.Stat(got.Files[0].Path + partSuffix); return os.IsNotExist(err) })
	if err := m.PauseJob(j.ID); !errors.Is(err, ErrState) {
		t.Errorf("pausing a canceled job: %v, want ErrState", err)
	}
	if err := m.RetryJob(j.ID); err != nil {
		t.Fatal(err)
	}
	got = waitJobState(t, m, sub, j.ID, JobCompleted)
	assertFile(t, got.Files[0].Path, data)
	if err := m.RemoveJob(j.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Job(j.ID); !errors.Is(err, ErrNoJob) {
		t.Errorf("removed job still found: %v", err)
	}
	assertFile(t, got.Files[0].Path, data) // complete files stay
}

func TestPauseAllAndResumeAll(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(10, 2<<20)
	srv := faultserver.New(t, data, faultserver.RateLimit(1<<20))
	m := newTestManager(t, testConfig(t))
	sub := m.Subscribe()
	var ids []string
	for i := range 2 {
		j, err := m.Add(JobSpec{Name: fmt.Sprint(i), Folder: fmt.Sprint(i), Files: []FileSpec{{URL: srv.URL(), Name: "f"}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	m.PauseAll()
	for _, id := range ids {
		waitJobState(t, m, sub, id, JobPaused)
	}
	m.ResumeAll()
	for _, id := range ids {
		if j := waitJobState(t, m, sub, id, JobCompleted); j.Files[0].State != FileCompleted {
			t.Errorf("job %s file %s", id, j.Files[0].State)
		}
	}
}

func TestConnectionsPerHostAreCapped(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(11, 4<<20)
	srv := faultserver.New(t, data, faultserver.RateLimit(8<<20))
	cfg := testConfig(t)
	cfg.MaxConnsPerHost = 3
	ct := withCounting(&cfg)
	m := newTestManager(t, cfg)
	var files []FileSpec
	for i := range 4 {
		files = append(files, FileSpec{URL: srv.URL(), Name: fmt.Sprintf("f%d", i)})
	}
	j := runJob(t, m, JobSpec{Name: "x", Files: files})
	if j.State != JobCompleted {
		t.Fatalf("job ended %s", j.State)
	}
	if got := ct.peak.Load(); got > 3 || got < 2 {
		t.Errorf("%d requests were open at once, want 2 or 3 (the cap)", got)
	}
}

func TestSequentialModeFetchesInOrderOverOneConnection(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(12, 1<<20+5)
	srv := faultserver.New(t, data, faultserver.ResetAfterBytes(200<<10), faultserver.ResetTimes(3))
	cfg := testConfig(t)
	ct := withCounting(&cfg)
	m := newTestManager(t, cfg)
	j := runJob(t, m, JobSpec{Name: "x", Sequential: true, Files: []FileSpec{{URL: srv.URL(), Name: "f"}}})
	if j.State != JobCompleted {
		t.Fatalf("job ended %s", j.State)
	}
	assertFile(t, j.Files[0].Path, data)
	if got := ct.peak.Load(); got != 1 {
		t.Errorf("%d requests at once, want 1", got)
	}
	var last int64 = -1
	for _, r := range srv.RangeRequests() {
		var from int64
		fmt.Sscanf(r, "bytes=%d-", &from)
		if from <= last {
			t.Errorf("ranges out of order: %q", srv.RangeRequests())
			break
		}
		last = from
	}
}

func TestLargeFilesUseManyConnections(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(13, 8<<20)
	srv := faultserver.New(t, data, faultserver.RateLimit(16<<20))
	cfg := testConfig(t)
	ct := withCounting(&cfg)
	m := newTestManager(t, cfg)
	j := runJob(t, m, JobSpec{Name: "x", Connections: 4, Files: []FileSpec{{URL: srv.URL(), Name: "f"}}})
	assertFile(t, j.Files[0].Path, data)
	if got := ct.peak.Load(); got < 2 || got > 4 {
		t.Errorf("%d requests at once, want 2 to 4", got)
	}
}

func TestSetSettingsValidates(t *testing.T) {
	t.Parallel()
	m := newTestManager(t, testConfig(t))
	if _, err := m.SetSettings(Settings{Connections: 65}); !errors.Is(err, ErrInvalid) {
		t.Errorf("65 connections: %v, want ErrInvalid", err)
	}
	s, err := m.SetSettings(Settings{Connections: 4, RateLimit: 1 << 20})
	if err != nil || s.Connections != 4 || s.RateLimit != 1<<20 || s.MaxActiveFiles != 0 { // 0: automatic, kept
		t.Errorf("SetSettings = %+v, %v", s, err)
	}
	if s, err = m.SetSettings(Settings{Connections: -1, MaxActiveFiles: 3, RateLimit: 1 << 20}); err != nil || s.Connections != 0 || s.MaxActiveFiles != 3 {
		t.Errorf("back to automatic connections: SetSettings = %+v, %v; want 0 connections, 3 files", s, err)
	}
	if _, err := m.SetSettings(Settings{MaxActiveFiles: -2}); !errors.Is(err, ErrInvalid) {
		t.Errorf("-2 files at once: %v, want ErrInvalid", err)
	}
}

// A crash after the finisher stored the file as completed but before the
// rename leaves a completed record, a whole verified .part and no final
// file. The next start verifies the .part again and renames it, fetching
// nothing; a .part damaged meanwhile fails verification against its ETag
// and is fetched again by itself, never renamed as it is.
func TestACompletedFileWhoseRenameDidNotHappenIsRenamedAtStart(t *testing.T) {
	t.Parallel()
	for _, damaged := range []bool{false, true} {
		t.Run(fmt.Sprintf("damaged=%v", damaged), func(t *testing.T) {
			t.Parallel()
			data := testenv.RandomData(21, 3<<20)
			srv := faultserver.New(t, data)
			cfg := testConfig(t)
			m, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			first := runJob(t, m, JobSpec{Name: "x", Files: []FileSpec{{URL: srv.URL(), Name: "f.bin"}}})
			m.Close()
			if first.State != JobCompleted {
				t.Fatalf("job ended %s", first.State)
			}
			path := first.Files[0].Path
			if err := os.Rename(path, path+partSuffix); err != nil { // undo the rename
				t.Fatal(err)
			}
			if damaged {
				f, err := os.OpenFile(path+partSuffix, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.WriteAt([]byte("garbage"), 1<<20)
				f.Close()
			}
			sent := srv.BytesSent()

			m = newTestManager(t, cfg)
			sub := m.Subscribe()
			j, err := m.Job(first.ID)
			if err != nil {
				t.Fatal(err)
			}
			if j.State == JobCompleted && !damaged {
				// Queued again: completed only once the rename is done.
				if _, err := os.Stat(path); err != nil {
					t.Fatalf("job reported completed before its file was renamed: %v", err)
				}
			}
			got := waitSettled(t, m, sub, first.ID)
			if damaged {
				// The ETag (an MD5 here) says the .part is damaged: it is
				// fetched once more, and that copy matches.
				if got.State != JobCompleted || got.Files[0].VerifiedBy != VerifiedETag {
					t.Fatalf("damaged .part: job ended %s, file %+v; want completed, verified by %s", got.State, got.Files[0], VerifiedETag)
				}
				assertFile(t, path, data)
				if extra := srv.BytesSent() - sent; extra < int64(len(data)) {
					t.Errorf("damaged .part: %d bytes fetched again, want the whole file (%d)", extra, len(data))
				}
				return
			}
			if got.State != JobCompleted {
				t.Fatalf("job ended %s", got.State)
			}
			assertFile(t, path, data)
			if _, err := os.Stat(path + partSuffix); !errors.Is(err, os.ErrNotExist) {
				t.Errorf(".part left beside the final file: %v", err)
			}
			if extra := srv.BytesSent() - sent; extra != 0 {
				t.Errorf("fetched %d bytes again for a file that was whole", extra)
			}
		})
	}
}

// The finisher leaves the folder sync to RemoveJob: before a job's records
// are deleted, the folder of its completed files is synced, once, while
// the records that would redo a lost rename still exist.
func TestRemoveJobSyncsTheFolderOfCompletedFilesFirst(t *testing.T) {
	t.Parallel()
	srv := faultserver.New(t, testenv.RandomData(31, 100<<10))
	m := newTestManager(t, testConfig(t))
	var synced []string
	m.syncFolder = func(dir string) error {
		_, files, err := m.store.load()
		if err != nil || len(files) == 0 {
			t.Errorf("folder %s synced after the job's records were deleted (err %v)", dir, err)
		}
		synced = append(synced, dir)
		return syncDir(dir)
	}
	got := runJob(t, m, JobSpec{Name: "x", Folder: "order", Files: []FileSpec{{URL: srv.URL(), Name: "a.bin"}, {URL: srv.URL(), Name: "b.bin"}}})
	if got.State != JobCompleted {
		t.Fatalf("job %s, want completed", got.State)
	}
	if len(synced) != 0 {
		t.Fatalf("folders synced before the removal: %v", synced)
	}
	if err := m.RemoveJob(got.ID, false); err != nil {
		t.Fatal(err)
	}
	want := filepath.Dir(got.Files[0].Path)
	if len(synced) != 1 || synced[0] != want {
		t.Errorf("synced %v, want %s once", synced, want)
	}
	if _, files, _ := m.store.load(); len(files) != 0 {
		t.Errorf("records left after RemoveJob: %v", files)
	}
}

// TestAFileThatIsFinishingLetsTheNextOneStart holds every finished file in
// its sync: the next file downloads meanwhile, but only as many files as
// MaxActiveFiles wait on the disk without a slot. The files verify one by
// one here; TestFilesVerifiedTogetherStillWaitForTheDisk is its twin for
// files hashed in a set.
func TestAFileThatIsFinishingLetsTheNextOneStart(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(21, 100<<10)
	srv := faultserver.New(t, data)
	cfg := testConfig(t)
	cfg.Settings.MaxActiveFiles = 1
	m := newTestManager(t, cfg)
	m.fin.lanes.enabled = false
	syncing, release := holdSyncs(t, m, 3)
	sub := m.Subscribe()
	defer sub.Close()
	j, err := m.Add(JobSpec{Name: "order", Files: []FileSpec{
		{URL: srv.URL(), Name: "a.zip"}, {URL: srv.URL(), Name: "b.zip"}, {URL: srv.URL(), Name: "c.zip"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"a.zip" + partSuffix, "b.zip" + partSuffix} {
		select {
		case got := <-syncing:
			if got != want {
				t.Fatalf("%s began its sync, want %s", got, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s never began its sync: the file before it kept its slot while it synced", want)
		}
	}
	info, err := m.Job(j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Files[2].State; got != FileQueued {
		t.Errorf("with a.zip finishing without a slot and b.zip syncing in the only one, c.zip is %s, want queued", got)
	}
	release()
	if info = waitSettled(t, m, sub, j.ID); info.State != JobCompleted {
		t.Fatalf("job ended %s", info.State)
	}
	for _, f := range info.Files {
		assertFile(t, f.Path, data)
	}
}

// newHeldCommitsManager opens a Manager on cfg whose files never
// checkpoint and whose completed records wait for Close to be committed
// (in the test's time), so what a crash would lose stays uncommitted.
// The caller closes it.
func newHeldCommitsManager(t *testing.T, cfg Config) *Manager {
	t.Helper()
	cfg.CheckpointInterval = time.Hour
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.store.lazyDelay = time.Hour
	return m
}

// Files that finish within one checkpoint interval do not wait for their
// completed record's commit: an order of them makes no commit while it
// runs, and Close stores every record.
func TestSmallFilesDoNotWaitForACommitEach(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(31, 10<<10)
	srv := faultserver.New(t, data)
	cfg := testConfig(t)
	m := newHeldCommitsManager(t, cfg)
	var commits atomic.Int64
	m.store.beforeCommit = func(int) { commits.Add(1) }
	var files []FileSpec
	for i := range 20 {
		files = append(files, FileSpec{URL: srv.URL(), Name: fmt.Sprintf("%02d.zip", i)})
	}
	j := runJob(t, m, JobSpec{Name: "order", Files: files})
	if j.State != JobCompleted {
		t.Fatalf("job ended %s", j.State)
	}
	if n := commits.Load(); n != 0 {
		t.Errorf("%d commits while 20 small files downloaded, want none", n)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	sent := srv.BytesSent()
	m = newTestManager(t, cfg)
	got, err := m.Job(j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != JobCompleted || srv.BytesSent() != sent {
		t.Errorf("after Close and New the job is %s and %d bytes were fetched again; want completed and none", got.State, srv.BytesSent()-sent)
	}
}

// A crash after a small file's rename but before its completed record's
// commit leaves the record from before the download. The next start
// fetches the file again and finds a file under its name: with the same
// bytes it is the file's own copy and is replaced; with other bytes it is
// someone else's and is kept. The crash is the state database as it was
// committed just before Close.
func TestAFileRenamedBeforeACrashIsNotDuplicated(t *testing.T) {
	t.Parallel()
	for _, foreign := range []bool{false, true} {
		t.Run(fmt.Sprintf("foreign=%v", foreign), func(t *testing.T) {
			t.Parallel()
			data := testenv.RandomData(32, 50<<10)
			srv := faultserver.New(t, data)
			cfg := testConfig(t)
			m := newHeldCommitsManager(t, cfg)
			first := runJob(t, m, JobSpec{Name: "x", Files: []FileSpec{{URL: srv.URL(), Name: "f.bin"}}})
			if first.State != JobCompleted {
				t.Fatalf("job ended %s", first.State)
			}
			crash(t, m, cfg)
			path := first.Files[0].Path
			want := data
			if foreign {
				want = testenv.RandomData(33, len(data))
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}

			m = newTestManager(t, cfg)
			sub := m.Subscribe()
			defer sub.Close()
			got := waitSettled(t, m, sub, first.ID)
			if got.State != JobCompleted {
				t.Fatalf("job ended %s after the crash", got.State)
			}
			assertFile(t, path, want)
			copyPath := filepath.Join(filepath.Dir(path), "f (1).bin")
			if foreign {
				if got.Files[0].Path != copyPath {
					t.Errorf("with another file under its name, the file went to %s, want %s", got.Files[0].Path, copyPath)
				}
				assertFile(t, copyPath, data)
				return
			}
			if got.Files[0].Path != path || exists(copyPath) {
				t.Errorf("the file is at %s (a copy at %s: %v), want it at %s once", got.Files[0].Path, copyPath, exists(copyPath), path)
			}
		})
	}
}

// crash closes m and puts back its state database as it was committed
// just before: what a crash would have left.
func crash(t *testing.T, m *Manager, cfg Config) {
	t.Helper()
	crashed := filepath.Join(t.TempDir(), "state.db")
	if err := m.store.db.View(func(tx *bolt.Tx) error { return tx.CopyFile(crashed, 0o600) }); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if err := os.Rename(crashed, filepath.Join(cfg.StateDir, "state.db")); err != nil {
		t.Fatal(err)
	}
}

// A file the probe fetches whole is one piece, written in order and
// synced by the finisher: no checkpoint commits it on the way, however slowly
// it comes. (A crash loses that piece, as it loses any piece in flight.)
func TestAFileOfOnePieceIsNotCheckpointed(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t) // 64 KiB pieces, a checkpoint every 50 ms
	data := testenv.RandomData(41, int(cfg.MinPiece)-1000)
	srv := faultserver.New(t, data, faultserver.RateLimit(200<<10)) // about 0.3 s
	m := newTestManager(t, cfg)
	m.store.lazyDelay = time.Hour // the completed record is not counted
	var commits atomic.Int64
	m.store.beforeCommit = func(int) { commits.Add(1) }
	j := runJob(t, m, JobSpec{Name: "x", Files: []FileSpec{{URL: srv.URL(), Name: "one.bin"}}})
	if j.State != JobCompleted {
		t.Fatalf("job ended %s", j.State)
	}
	assertFile(t, j.Files[0].Path, data)
	if n := commits.Load(); n != 0 {
		t.Errorf("%d commits while a one-piece file downloaded, want none", n)
	}
}

// A file of more than one piece waits for its completed record's commit
// before the rename: fetching it again would cost far more.
func TestALargerFileWaitsForItsCompletedRecord(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	data := testenv.RandomData(42, 3*int(cfg.MinPiece))
	srv := faultserver.New(t, data)
	m := newHeldCommitsManager(t, cfg) // no checkpoint, trailing records held
	defer m.Close()
	var batches []int
	var mu sync.Mutex
	m.store.beforeCommit = func(n int) { mu.Lock(); batches = append(batches, n); mu.Unlock() }
	j := runJob(t, m, JobSpec{Name: "x", Files: []FileSpec{{URL: srv.URL(), Name: "three.bin"}}})
	if j.State != JobCompleted {
		t.Fatalf("job ended %s", j.State)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(batches) != 1 {
		t.Errorf("commits of %v records while a three-piece file downloaded, want its completed record's one", batches)
	}
}

// Done lets what watches a Manager on its behalf stop with it.
func TestDoneClosesWithTheManager(t *testing.T) {
	t.Parallel()
	m, err := New(testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.Done():
		t.Fatal("Done is closed before Close")
	default:
	}
	m.Close()
	select {
	case <-m.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done stayed open after Close")
	}
}
