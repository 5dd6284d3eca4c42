package downloader

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/sys/windows"
)

// On Windows, a file opened without FILE_SHARE_DELETE (as antivirus
// scanners do) cannot be renamed until it is closed; the rename is retried
// and goes through once the holder lets go.
func TestARenameWaitsForAProgramHoldingTheFile(t *testing.T) {
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if err := os.WriteFile(filepath.Join(dir, "a.zip.part"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, _ := windows.UTF16PtrFromString(filepath.Join(dir, "a.zip.part"))
	h, err := windows.CreateFile(p, windows.GENERIC_READ, 0, nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	calls := 0
	err = retryBusy(func() error {
		calls++
		err := root.Rename("a.zip.part", "a.zip")
		if isBusy(err) {
			once.Do(func() { windows.CloseHandle(h) }) // the scan ends
		}
		return err
	})
	if err != nil || calls < 2 {
		t.Fatalf("rename: %v after %d attempts; want success after a busy one", err, calls)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.zip")); err != nil {
		t.Fatal(err)
	}
}
