//go:build windows

package tray

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

var procGetUserDefaultLocaleName = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetUserDefaultLocaleName")

// SystemLang is the user's display language (Settings › Time & language),
// which is what menus are written in; the user's locale, which sets
// formats, answers only when the display language cannot be read.
func SystemLang() Lang {
	if langs, err := windows.GetUserPreferredUILanguages(windows.MUI_LANGUAGE_NAME); err == nil && len(langs) > 0 {
		if l, ok := langFromTag(langs[0]); ok {
			return l
		}
	}
	return langFromLocaleName()
}

// langFromLocaleName asks GetUserDefaultLocaleName ("zh-CN"), which
// golang.org/x/sys/windows does not wrap.
func langFromLocaleName() Lang {
	const localeNameMaxLength = 85
	var buf [localeNameMaxLength]uint16
	n, _, _ := procGetUserDefaultLocaleName.Call(uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
	if n == 0 {
		return English
	}
	l, _ := langFromTag(windows.UTF16ToString(buf[:]))
	return l
}
