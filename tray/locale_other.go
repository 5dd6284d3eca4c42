//go:build !windows && !darwin

package tray

import "os"

// SystemLang is the language the user's locale names (LC_ALL, then
// LC_MESSAGES, then LANG); English when none is set or it is not Chinese.
func SystemLang() Lang {
	l, _ := langFromEnv(os.Getenv)
	return l
}
