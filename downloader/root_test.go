package downloader

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	bolt "go.etcd.io/bbolt"

	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

// assertUntouched fails when dir holds anything but the files of want.
func assertUntouched(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("outside the root: %q, want only %d files", names, len(want))
	}
	for name, content := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != content {
			t.Errorf("outside the root, %s now holds %d bytes (%v), want %q", name, len(got), err, content)
		}
	}
}

func TestAJobFolderThatIsALinkOutOfTheRootIsNotFollowed(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	data := testenv.RandomData(40, 100<<10)
	srv := faultserver.New(t, data)
	cfg := testConfig(t)
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(cfg.Root, "evil")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(cfg.Root, "ok"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(cfg.Root, "ok", "deeper")); err != nil {
		t.Fatal(err)
	}
	m := newTestManager(t, cfg)
	for _, folder := range []string{"evil", "ok/deeper/sub"} {
		j := runJob(t, m, JobSpec{Name: "x", Folder: folder, Files: []FileSpec{{URL: srv.URL(), Name: "a.zip"}}})
		if j.State != JobFailed || j.Files[0].Error == nil {
			t.Errorf("folder %s: job ended %s, file %+v; want failed", folder, j.State, j.Files[0])
		}
	}
	assertUntouched(t, outside, nil)
}

// A link planted as NAME.part in a shared download folder while the file
// waits its turn must not have its target overwritten, nor be renamed
// into place.
func TestALinkPlantedAsThePartIsNotWrittenThrough(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(41, 100<<10)
	g := newGate(t)
	held := faultserver.New(t, data, g.option())
	srv := faultserver.New(t, data)
	cfg := g.config(t)
	cfg.Settings.MaxActiveFiles = 1
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("victim"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := newTestManager(t, cfg)
	sub := m.Subscribe()
	defer sub.Close()
	first, err := m.Add(JobSpec{Name: "first", Files: []FileSpec{{URL: held.URL(), Name: "held.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	j, err := m.Add(JobSpec{Name: "x", Files: []FileSpec{{URL: srv.URL(), Name: "b.zip"}}})
	if err != nil {
		t.Fatal(err)
	}
	path := j.Files[0].Path
	if err := os.Symlink(victim, path+partSuffix); err != nil {
		t.Fatal(err)
	}
	g.release()
	waitSettled(t, m, sub, first.ID)
	got := waitSettled(t, m, sub, j.ID)
	if got.State != JobCompleted {
		t.Fatalf("job ended %s: %+v", got.State, got.Files[0])
	}
	if st, err := os.Lstat(got.Files[0].Path); err != nil || !st.Mode().IsRegular() {
		t.Errorf("%s is not a regular file: %v %v", got.Files[0].Path, st, err)
	}
	assertFile(t, got.Files[0].Path, data)
	assertUntouched(t, outside, map[string]string{"victim": "victim"})
}

// A .part replaced while dlhelper was not running (a link, here) is not
// the file the record describes: the file starts over, and the link's
// target is left alone.
func TestAReplacedPartIsNotResumed(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(42, 4<<20)
	srv := faultserver.New(t, data, faultserver.RateLimit(4<<20))
	cfg := testConfig(t)
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, make([]byte, 8<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	j := stopMidway(t, cfg, srv.URL())
	part := j.Files[0].Path + partSuffix
	if err := os.Remove(part); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, part); err != nil {
		t.Fatal(err)
	}
	got := resumeToEnd(t, cfg, j.ID)
	assertFile(t, got.Files[0].Path, data)
	assertFile(t, victim, make([]byte, 8<<20))
}

// The state database is not trusted to say where to write: a record whose
// path leads elsewhere gets its path rebuilt from the job's folder and the
// file's name, or fails when it names another file.
func TestARecordPointingElsewhereWritesNothingThere(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		edit     func(r map[string]any, outside string)
		complete bool
	}{
		{"an old record with an absolute path elsewhere", func(r map[string]any, outside string) {
			r["path"] = filepath.Join(outside, "f.bin")
			delete(r, "rel")
		}, true},
		{"a relative name that climbs out", func(r map[string]any, outside string) {
			r["rel"] = "../" + filepath.Base(outside) + "/f.bin"
		}, false},
		{"another file's name", func(r map[string]any, outside string) { r["rel"] = "other.bin" }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := testenv.RandomData(43, 2<<20)
			srv := faultserver.New(t, data, faultserver.RateLimit(4<<20))
			cfg := testConfig(t)
			// outside sits beside the root, so "../outside" leads there.
			parent := t.TempDir()
			cfg.Root = filepath.Join(parent, "root")
			outside := filepath.Join(parent, "outside")
			if err := os.Mkdir(outside, 0o755); err != nil {
				t.Fatal(err)
			}
			m, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			sub := m.Subscribe()
			j, _ := m.Add(JobSpec{Name: "x", Files: []FileSpec{{URL: srv.URL(), Name: "f.bin"}}})
			waitEvent(t, sub, func(ev Event) bool { return ev.Type == EventJobProgress && ev.Progress.Done > 256<<10 })
			m.Close()
			editRecords(t, cfg.StateDir, func(r map[string]any) { tt.edit(r, outside) })

			m = newTestManager(t, cfg)
			got := waitSettled(t, m, m.Subscribe(), j.ID)
			assertUntouched(t, outside, nil)
			if !tt.complete {
				if got.State != JobFailed || got.Files[0].Error == nil || got.Files[0].Error.Code != CodeDisk {
					t.Errorf("job ended %s, file %+v; want failed with %s", got.State, got.Files[0], CodeDisk)
				}
				return
			}
			if got.State != JobCompleted || got.Files[0].Path != filepath.Join(cfg.Root, "f.bin") {
				t.Fatalf("job ended %s at %s", got.State, got.Files[0].Path)
			}
			assertFile(t, got.Files[0].Path, data)
		})
	}
}

// editRecords rewrites every file record of the state in dir.
func editRecords(t *testing.T, dir string, edit func(map[string]any)) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "state.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFiles)
		edited := map[string][]byte{}
		err := b.ForEach(func(k, v []byte) error {
			var r map[string]any
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			edit(r)
			out, err := json.Marshal(r)
			edited[string(k)] = out
			return err
		})
		for k, v := range edited { // a bucket must not change during ForEach
			if err == nil {
				err = b.Put([]byte(k), v)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
