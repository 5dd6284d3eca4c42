package downloader

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

func TestOnlyErrorsALostDriveGivesAreTakenForOne(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"a write that met a lost drive", &diskError{fmt.Errorf("write: %w", goneErrnos[0])}, true},
		{"a .part that can no longer be seen", &FileError{CodePartMissing, "gone"}, true},
		{"another disk error", &diskError{errors.New("create folder: no such file")}, true},
		{"a checksum that does not match", &FileError{CodeChecksum, "bad"}, false},
		{"a server error", &HTTPError{Status: 503}, false},
		{"a network error", errors.New("read tcp: connection reset by peer"), false},
	} {
		if got := goneKind(tt.err); got != tt.want {
			t.Errorf("%s (%v): goneKind = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
	for _, errno := range goneErrnos {
		if err := fmt.Errorf("lstat: %w", errno); !goneKind(err) {
			t.Errorf("goneKind(%v) = false, want true", err)
		}
	}
}

func TestAnEmptyMountPointIsNotTheLostFolderComingBack(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := &place{dir: filepath.Join(dir, "share")}
	if r := p.reopen(nil); r != nil {
		r.Close()
		t.Fatal("a folder that does not exist was taken for back")
	}
	if err := os.Mkdir(p.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if r := p.reopen([]string{"a.zip", "sub/b.zip"}); r != nil {
		r.Close()
		t.Fatal("a folder without any of the parked files' .parts was taken for back")
	}
	if r := p.reopen(nil); r == nil {
		t.Fatal("a folder back, with no .part to look for, was not taken for back")
	} else {
		r.Close()
	}
	if err := os.WriteFile(filepath.Join(p.dir, "a.zip"+partSuffix), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := p.reopen([]string{"a.zip", "sub/b.zip"}); r == nil {
		t.Fatal("a folder back with a parked file's .part was not taken for back")
	} else {
		r.Close()
	}
}

func TestAPartMovesToTheDeviceItsFolderIsMountedOnAgain(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		id          *fileID
		old, dev    uint64
		want        *fileID
		wantChanged bool
	}{
		{"a .part on its folder's device", &fileID{Dev: 40, Ino: 7}, 40, 41, &fileID{Dev: 41, Ino: 7}, true},
		{"a .part on another device than its folder", &fileID{Dev: 9, Ino: 7}, 40, 41, &fileID{Dev: 9, Ino: 7}, false},
		{"a folder whose device was unknown", &fileID{Dev: 40, Ino: 7}, 0, 41, &fileID{Dev: 40, Ino: 7}, false},
		{"a file without a .part", nil, 40, 41, nil, false},
	} {
		got := movedPart(tt.id, tt.old, tt.dev)
		if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) || (got != tt.id) != tt.wantChanged {
			t.Errorf("%s: movedPart(%v, %d, %d) = %v, want %v", tt.name, tt.id, tt.old, tt.dev, got, tt.want)
		}
	}
}

func TestAFileParkedWhenTheHelperStopsResumesAtTheNextStart(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(91, 4<<20)
	srv := faultserver.New(t, data, faultserver.RateLimit(1<<20))
	cfg := testConfig(t)
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sub := m.Subscribe()
	j, err := m.Add(JobSpec{Name: "x", Files: []FileSpec{{URL: srv.URL(), Name: "f.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, func(ev Event) bool { return ev.Type == EventJobProgress && ev.Progress.Done > 256<<10 })
	m.mu.Lock()
	m.place.poll = time.Hour // the watcher must end with Close, not find the folder
	m.park(m.place)
	m.mu.Unlock()
	if got := waitSettled(t, m, sub, j.ID); got.State != JobPaused || got.Files[0].Error == nil || got.Files[0].Error.Code != CodeFolderUnavailable {
		t.Fatalf("parked, the job is %s with %+v", got.State, got.Files[0].Error)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	m = newTestManager(t, cfg)
	got := waitSettled(t, m, m.Subscribe(), j.ID)
	if got.State != JobCompleted {
		t.Fatalf("after a restart with its folder there, the parked job is %s", got.State)
	}
	assertFile(t, got.Files[0].Path, data)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// A parked file the user pauses stays paused when its folder comes back:
// the pause clears the folder's error, which is what the watcher resumes.
func TestAPauseOutlastsTheLostFolder(t *testing.T) {
	t.Parallel()
	m, j := newStateManager(2)
	for _, f := range j.files {
		m.setState(f, FilePaused, folderError("/media/usb/orders"))
	}
	m.store = nil // no records: saveFile is not reached for a job that is gone
	j.gone = true
	if err := m.PauseFile("job", 0); err != nil {
		t.Fatal(err)
	}
	if j.files[0].parked() {
		t.Error("a parked file the user paused is still parked: the folder's return would resume it")
	}
	if !j.files[1].parked() {
		t.Error("pausing one file unparked another")
	}
}
