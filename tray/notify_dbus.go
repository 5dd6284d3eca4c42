//go:build !windows && !darwin

package tray

import (
	"fmt"

	"github.com/godbus/dbus/v5"
)

// notifyDesktop asks the freedesktop.org notification service on the
// session bus. Nothing else is tried: notify-send and kdialog, beeep's
// fallbacks, take the text as command-line options or rich text.
func notifyDesktop(appName, title, message string) error {
	// A connection per notification: they are rare, and a shared one
	// would outlive a session bus that restarts.
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return fmt.Errorf("connect to the session bus: %w", err)
	}
	defer conn.Close()
	obj := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
	// The summary is plain text by the spec; the body may be markup.
	call := obj.Call("org.freedesktop.Notifications.Notify", 0, appName, uint32(0), "dlhelper",
		title, markupBody(message), []string{}, map[string]dbus.Variant{}, int32(-1))
	if call.Err != nil {
		return fmt.Errorf("show a notification: %w", call.Err)
	}
	return nil
}
