package downloader

import "golang.org/x/sys/windows"

// volumeSpace asks Windows; Free is what this user may still write, after
// quotas.
func volumeSpace(dir string) (DiskSpace, error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return DiskSpace{}, err
	}
	var free, total, totalFree uint64
	if err := windows.GetDiskFreeSpaceEx(p, &free, &total, &totalFree); err != nil {
		return DiskSpace{}, err
	}
	return DiskSpace{Free: int64(free), Total: int64(total)}, nil
}
