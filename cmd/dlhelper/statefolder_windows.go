//go:build windows

package main

import (
	"fmt"
	"io/fs"

	"golang.org/x/sys/windows"
)

// checkOwner wants path owned by this user, or by Administrators or SYSTEM
// (who could change any file anyway: an elevated process makes files the
// Administrators group owns).
func checkOwner(path string, _ fs.FileInfo) error {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("%s: its owner cannot be read (%v); check its permissions", path, err)
	}
	owner, _, err := sd.Owner()
	if err != nil || owner == nil {
		return fmt.Errorf("%s has no owner that can be read (%v); check its permissions", path, err)
	}
	user, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return fmt.Errorf("find who you are: %w", err)
	}
	if owner.Equals(user.User.Sid) || owner.IsWellKnown(windows.WinBuiltinAdministratorsSid) || owner.IsWellKnown(windows.WinLocalSystemSid) {
		return nil
	}
	return fmt.Errorf("%s belongs to another user (%s), who could change it; remove it if you trust nothing in it", path, owner)
}
