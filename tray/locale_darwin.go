//go:build darwin

package tray

import (
	"os"
	"os/exec"
)

// SystemLang is the first of the user's preferred languages (System
// Settings › Language & Region, the AppleLanguages default). An app
// started from Finder or at login has no LANG, so that comes first; the
// locale variables are asked only when defaults cannot answer.
func SystemLang() Lang {
	if out, err := exec.Command("defaults", "read", "-g", "AppleLanguages").Output(); err == nil {
		if l, ok := langFromAppleLanguages(string(out)); ok {
			return l
		}
	}
	l, _ := langFromEnv(os.Getenv)
	return l
}
