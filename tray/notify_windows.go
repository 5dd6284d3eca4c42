//go:build windows

package tray

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"git.sr.ht/~jackmordaunt/go-toast/wintoast"
)

// notifyDesktop shows a toast through the WinRT API alone. wintoast.Push
// without options never takes go-toast's PowerShell fallback, which pastes
// the XML into a script's here-string: a job name holding "]]>" and "$(…)"
// ran code there (issue 16). A failed toast is an error, not a retry.
func notifyDesktop(appName, title, message string) error {
	icon := toastIcon()
	if err := wintoast.SetAppData(wintoast.AppData{AppID: appName, IconPath: icon}); err != nil {
		return fmt.Errorf("register %s for notifications: %w", appName, err)
	}
	if err := wintoast.Push(toastXML(title, message, icon)); err != nil {
		return fmt.Errorf("show a notification: %w", err)
	}
	return nil
}

var toastIconPath = sync.OnceValue(func() string {
	// %TEMP% is the user's own folder on Windows.
	p := filepath.Join(os.TempDir(), "dlhelper-notification.png")
	if err := os.WriteFile(p, IconPNG(IconActive), 0o600); err != nil {
		return ""
	}
	return p
})

// toastIcon is the path of the icon file a toast shows, or "" without one.
func toastIcon() string { return toastIconPath() }
