//go:build unix

package downloader

import "golang.org/x/sys/unix"

// volumeSpace asks the file system holding dir; Free is what an
// unprivileged user may still write (blocks reserved for root excluded).
func volumeSpace(dir string) (DiskSpace, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return DiskSpace{}, err
	}
	bs := int64(st.Bsize) // uint32 on darwin
	return DiskSpace{Free: int64(st.Bavail) * bs, Total: int64(st.Blocks) * bs}, nil
}
