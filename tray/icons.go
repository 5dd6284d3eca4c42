package tray

import (
	"embed"
	"runtime"
)

//go:generate go run ./internal/gen -out icons -winres ../cmd/dlhelper/winres

// IconState is what the tray icon shows.
type IconState int

// Icon states, from calm to alarming.
const (
	IconIdle   IconState = iota // nothing to do
	IconActive                  // downloading
	IconPaused                  // paused, or waiting for a fresh link
	IconError                   // some file failed
)

var iconNames = [...]string{"idle", "active", "paused", "error"}

// String is the state's name, also the base name of its icon files.
func (s IconState) String() string {
	if s < 0 || int(s) >= len(iconNames) {
		return "unknown"
	}
	return iconNames[s]
}

// The icons are drawn by internal/gen at development time and committed.
//
//go:embed icons/*.png icons/*.ico
var icons embed.FS

// Icon returns the 32×32 PNG of s, or on Windows the ICO (16×16 and 32×32)
// that the Windows tray needs.
func Icon(s IconState) []byte {
	if runtime.GOOS == "windows" {
		return IconICO(s)
	}
	return IconPNG(s)
}

// IconPNG returns the 32×32 PNG of s.
func IconPNG(s IconState) []byte { return mustRead("icons/" + s.String() + ".png") }

// IconICO returns the ICO of s, with 16×16 and 32×32 images.
func IconICO(s IconState) []byte { return mustRead("icons/" + s.String() + ".ico") }

func mustRead(name string) []byte {
	b, err := icons.ReadFile(name)
	if err != nil {
		// Unreachable for a valid state: the files are embedded at build.
		b, _ = icons.ReadFile("icons/idle.png")
	}
	return b
}
