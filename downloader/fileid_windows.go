package downloader

import (
	"os"
	"syscall"
)

// idOf returns the volume serial number and file index of an open file.
func idOf(f *os.File) (fileID, bool) {
	var info syscall.ByHandleFileInformation
	if err := syscall.GetFileInformationByHandle(syscall.Handle(f.Fd()), &info); err != nil {
		return fileID{}, false
	}
	return fileID{Dev: uint64(info.VolumeSerialNumber), Ino: uint64(info.FileIndexHigh)<<32 | uint64(info.FileIndexLow)}, true
}
