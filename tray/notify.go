package tray

import (
	"strings"
	"unicode"

	"dlhelper/downloader"
)

// Notifier shows a desktop notification. title is the helper's own text;
// message carries names a web page chose (a job's name), so a Notifier
// treats both as plain text and escapes them for whatever markup or script
// its platform reads: they are never run or parsed as markup.
type Notifier func(title, message string) error

// DesktopNotifier returns the Notifier that shows notifications the
// platform's way, under appName: on Windows a toast through the WinRT API
// (never the PowerShell fallback, which pastes the text into a script); on
// macOS osascript, with the text passed as arguments, not as script; and
// elsewhere the freedesktop.org notification service on the D-Bus session
// bus, with the body escaped for its markup.
func DesktopNotifier(appName string) Notifier {
	return func(title, message string) error {
		return notifyDesktop(appName, plainText(title), plainText(message))
	}
}

// plainText replaces control characters and bidirectional overrides with
// spaces: a name may not break a notification's lines or show its text
// backwards ("Order 42‮fdp.exe").
func plainText(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

func (m *Menu) notify(title, message string) {
	if m.o.Notify == nil {
		return
	}
	if err := m.o.Notify(title, message); err != nil {
		m.log.Warn("tray could not show a notification", "err", err)
	}
}

func completedMessage(l Lang, j *downloader.JobInfo) string {
	if j == nil {
		return l.text(msgCompletedAny)
	}
	return l.text(msgCompleted, j.Name, l.files(len(j.Files)), j.Dir)
}

func failedMessage(l Lang, j *downloader.JobInfo) string {
	if j == nil {
		return l.text(msgFailedAny)
	}
	failed := 0
	for _, f := range j.Files {
		if f.State == downloader.FileFailed {
			failed++
		}
	}
	return l.text(msgFailed, j.Name, failed, l.files(len(j.Files)))
}
