//go:build unix

package main

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkOwner wants fi (of path) owned by this user (or root) and not
// writable by group or others.
func checkOwner(path string, fi fs.FileInfo) error {
	return checkOwnerUID(path, fi, os.Getuid())
}

func checkOwnerUID(path string, fi fs.FileInfo, uid int) error {
	// root may own it: root could change any file anyway.
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != uid && st.Uid != 0 {
		return fmt.Errorf("%s belongs to another user (uid %d), who could change it; remove it if you trust nothing in it", path, st.Uid)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%s can be changed by other users (mode %#o); run \"chmod go-w %s\"", path, perm, path)
	}
	return nil
}
