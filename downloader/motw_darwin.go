package downloader

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// markFile sets the com.apple.quarantine attribute on the file at name,
// opened through the root so the attribute lands on that file only.
func markFile(root *os.Root, name, origin, _ string) error {
	f, err := root.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Fsetxattr(int(f.Fd()), "com.apple.quarantine", []byte(quarantineValue(origin, time.Now())), 0)
}
