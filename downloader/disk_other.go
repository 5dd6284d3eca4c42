//go:build !linux

package downloader

import (
	"os"
	"runtime"
)

// preallocate sizes f; without fallocate the file may be sparse.
func preallocate(f *os.File, size int64) error {
	st, err := f.Stat()
	if err != nil || st.Size() >= size {
		return err
	}
	return f.Truncate(size)
}

// syncDir makes a rename in dir durable where the OS allows syncing a
// folder; Windows does not, and its renames are journaled.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// newSyncFile returns how a finished .part is synced: one by one, as only
// Linux can start a file's write without waiting for it (syncs_linux.go).
func newSyncFile() func(f *os.File, size int64) error {
	return func(f *os.File, _ int64) error { return f.Sync() }
}
