package main

import (
	"os"
	"path/filepath"
	"runtime"
)

// stateDir is the per-user folder for dlhelper's state, token and logs:
// $XDG_STATE_HOME/dlhelper (~/.local/state/dlhelper) on Linux,
// %LocalAppData%\dlhelper on Windows, ~/Library/Application Support/dlhelper
// on macOS.
func stateDir() string {
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "dlhelper")
		}
	case "darwin":
		if d, err := os.UserConfigDir(); err == nil {
			return filepath.Join(d, "dlhelper")
		}
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "dlhelper")
	}
	return filepath.Join(homeDir(), ".local", "state", "dlhelper")
}

// downloadDir is the user's download folder: $XDG_DOWNLOAD_DIR, else
// ~/Downloads.
func downloadDir() string {
	if d := os.Getenv("XDG_DOWNLOAD_DIR"); d != "" {
		return d
	}
	return filepath.Join(homeDir(), "Downloads")
}

func homeDir() string {
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return "."
}
