package tray

import (
	"fmt"

	"github.com/gen2brain/beeep"

	"dlhelper/downloader"
)

// Notifier shows a desktop notification.
type Notifier func(title, message string) error

// Beeep returns the Notifier that shows notifications the platform's way
// (D-Bus or notify-send on Linux, toasts on Windows, Notification Center on
// macOS) under appName, with the active icon.
func Beeep(appName string) Notifier {
	beeep.AppName = appName
	return func(title, message string) error {
		return beeep.Notify(title, message, IconPNG(IconActive))
	}
}

func (m *Menu) notify(title, message string) {
	if m.o.Notify == nil {
		return
	}
	if err := m.o.Notify(title, message); err != nil {
		m.log.Warn("tray could not show a notification", "err", err)
	}
}

func completedMessage(j *downloader.JobInfo) string {
	if j == nil {
		return "An order has finished downloading."
	}
	return fmt.Sprintf("%s: %s in %s", j.Name, plural(len(j.Files), "file"), j.Dir)
}

func failedMessage(j *downloader.JobInfo) string {
	if j == nil {
		return "An order stopped with errors. Open the status page to retry."
	}
	failed := 0
	for _, f := range j.Files {
		if f.State == downloader.FileFailed {
			failed++
		}
	}
	return fmt.Sprintf("%s: %d of %s failed. Open the status page to see why and retry.",
		j.Name, failed, plural(len(j.Files), "file"))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
