// Package tray is dlhelper's menu in the system tray: a thin face over the
// same Manager calls the bridge makes.
//
// A Menu shows a status line ("3 downloading · 42 MiB/s", "Paused", "Idle"),
// Pause all and Resume all, Open download folder, Open status page, a Start
// at login checkbox and Quit. Its icon follows the jobs: idle, active,
// paused, or error when a job has a failed file. When an order completes or
// fails the Menu sends a desktop notification. The menu and notifications
// are written in English or Chinese, as Options.Lang says; SystemLang reads
// it from the OS locale (LC_ALL, LC_MESSAGES, LANG; AppleLanguages on macOS;
// the display language on Windows).
//
// The Menu knows nothing of the tray library. It draws through a UI, a small
// seam: RunSystray hands its onReady the real one, drawn with
// getlantern/systray, and tests pass a fake; it acts through a Controller, which
// *downloader.Manager implements; it notifies through a Notifier, which
// DesktopNotifier implements. So the whole menu is tested against a real Manager
// without a display.
//
// The caller keeps this contract: Run the Menu on its own goroutine with a
// context it cancels to stop it, and on the desktop call RunSystray from the
// main goroutine (GTK and Cocoa need the main thread), after checking
// Available; QuitSystray makes RunSystray return.
package tray
