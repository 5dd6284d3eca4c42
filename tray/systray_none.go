//go:build !windows && !cgo

package tray

// Without cgo there is no tray on Linux or macOS: Available says so and the
// caller runs headless, so these are never reached.

// RunSystray returns at once: this build has no tray.
func RunSystray(onReady func(UI), onExit func()) {
	if onExit != nil {
		onExit()
	}
}

// QuitSystray does nothing: this build has no tray.
func QuitSystray() {}
