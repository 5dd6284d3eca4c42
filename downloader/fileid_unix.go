//go:build unix

package downloader

import (
	"os"
	"syscall"
)

// idOf returns the device and inode of an open file.
func idOf(f *os.File) (fileID, bool) {
	st, err := f.Stat()
	if err != nil {
		return fileID{}, false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{Dev: uint64(sys.Dev), Ino: uint64(sys.Ino)}, true
}
