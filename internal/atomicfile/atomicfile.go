// Package atomicfile writes small files (state, settings, registrations) so
// that a reader, or the next start after a crash or a power cut, finds the
// old content or the new, never a part of either.
//
// The caller keeps this contract: the file's folder exists, and one writer
// at a time writes a given path (two writers each win whole, in some order).
package atomicfile

import (
	"os"
	"path/filepath"
	"runtime"
)

// WriteFile writes data to path with perm: a temp file in the same folder
// (so the rename stays on one file system), write, sync, close, rename. The
// temp file is removed on failure.
func WriteFile(path string, data []byte, perm os.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	// Windows has no mode bits to set; its folder ACLs protect the file.
	if err := f.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
