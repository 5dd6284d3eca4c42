//go:build linux

package main

import (
	"testing"

	"dlhelper/tray"
)

// TestNotificationBodyReachesTheBusEscaped shows a notification through a
// real session bus: the body a page named arrives escaped for the
// notification service's markup.
func TestNotificationBodyReachesTheBusEscaped(t *testing.T) {
	bus := startSessionBus(t)
	notes := serveNotifications(t, bus)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus)
	notify := tray.DesktopNotifier("dlhelper")
	if err := notify("Download failed", `Order <b>42</b> & "co": 1 of 2 files failed.`); err != nil {
		t.Fatalf("notify: %v", err)
	}
	if got, want := <-notes, `Download failed: Order &lt;b&gt;42&lt;/b&gt; &amp; "co": 1 of 2 files failed.`; got != want {
		t.Errorf("the notification service got %q, want %q", got, want)
	}
}
