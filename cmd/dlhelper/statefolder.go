package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"dlhelper/bridge"
)

// The state folder holds what the helper trusts: its database (which says
// where files go), the token and the port local tools use. Another user
// who could swap one of them could send the token to a listener of theirs
// ("dlhelper status" reads the port file) or make the helper write where
// they choose. So the folder and its files must be the user's own, real
// (no symbolic links) and not writable by others, or the helper refuses
// to start and says what to do.
//
// On Unix that is the owner's uid and the mode's group and other write
// bits, read with Lstat. On Windows it is the owner in the file's security
// descriptor (this user, or Administrators or SYSTEM, who could change any
// file anyway) and the absence of links; the folder's ACL, inherited from
// %LocalAppData%, is not inspected.

// stateFiles are the files in the state folder the helper trusts.
var stateFiles = []string{"state.db", bridge.TokenFile, bridge.PortFile, lockName, logName}

// checkStateFolder checks dir and the state files in it (those that exist).
func checkStateFolder(dir string) error {
	if err := checkTrusted(dir, true); err != nil {
		return fmt.Errorf("the state folder %w; or choose another folder with --state", err)
	}
	for _, name := range stateFiles {
		if err := checkTrusted(filepath.Join(dir, name), false); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("the state file %w", err)
		}
	}
	return nil
}

// checkTrusted checks one path: a real folder (wantDir) or file, the
// user's own, not writable by others. Its errors start with the path, to
// follow "the state folder …".
func checkTrusted(path string, wantDir bool) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return err
	case err != nil:
		return fmt.Errorf("%s cannot be read (%v); check its permissions", path, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link, which another user could point elsewhere; replace it with a real %s", path, kind(wantDir))
	case fi.IsDir() != wantDir || (!wantDir && !fi.Mode().IsRegular()):
		return fmt.Errorf("%s is not a %s; move it away", path, kind(wantDir))
	}
	return checkOwner(path, fi)
}

func kind(dir bool) string {
	if dir {
		return "folder"
	}
	return "file"
}
