//go:build darwin

package tray

import (
	"fmt"
	"os/exec"
)

// notifyDesktop shows a notification with osascript. The texts are the
// script's arguments, read by its run handler, never part of its source:
// quoting them into the script is how AppleScript gets injected.
func notifyDesktop(appName, title, message string) error {
	cmd := exec.Command("osascript",
		"-e", "on run argv",
		"-e", "display notification (item 2 of argv) with title (item 1 of argv)",
		"-e", "end run",
		title, message)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("osascript: %v: %s", err, out)
	}
	return nil
}
