package downloader

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Limits on names from the portal; they keep paths valid on every desktop OS.
const (
	maxNameBytes      = 1024
	maxComponentBytes = 255
)

// CheckName reports why name is not a safe relative path to put below a
// folder the user chose, or nil. Names use "/" between folders. The rules are
// those of the strictest desktop OS, so an order that works on one works on
// all: no absolute paths, drive letters, "." or "..", backslashes, control
// characters, characters Windows forbids, reserved Windows names (CON, NUL,
// COM1, …, with or without an extension), or components ending in a dot or
// space (Windows would silently strip them).
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("the name is empty")
	case !utf8.ValidString(name):
		return fmt.Errorf("the name is not valid UTF-8")
	case len(name) > maxNameBytes:
		return fmt.Errorf("the name is longer than %d bytes", maxNameBytes)
	case strings.HasPrefix(name, "/"):
		return fmt.Errorf("the name %q is an absolute path", name)
	}
	for _, part := range strings.Split(name, "/") {
		if err := checkComponent(part); err != nil {
			return fmt.Errorf("the name %q: %w", name, err)
		}
	}
	return nil
}

// checkComponent checks one path element.
func checkComponent(part string) error {
	switch {
	case part == "":
		return fmt.Errorf("has an empty path element")
	case part == "." || part == "..":
		return fmt.Errorf("uses %q, which would leave its folder", part)
	case len(part) > maxComponentBytes:
		return fmt.Errorf("has an element longer than %d bytes", maxComponentBytes)
	case strings.HasSuffix(part, ".") || strings.HasSuffix(part, " "):
		return fmt.Errorf("has an element ending in a dot or space")
	case len(part) >= 2 && part[1] == ':':
		return fmt.Errorf("starts with a drive letter")
	case reservedWindowsName(part):
		return fmt.Errorf("uses the reserved Windows name %q", part)
	}
	for _, r := range part {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			return fmt.Errorf("contains a control character")
		}
		if bidiControl(r) {
			return fmt.Errorf("contains an invisible text-direction character, which can disguise a name")
		}
		if strings.ContainsRune(`\<>:"|?*`, r) {
			return fmt.Errorf("contains the character %q, which Windows forbids", r)
		}
	}
	return nil
}

// bidiControl reports the Unicode characters that reorder text as it is
// shown: "chip\u202Epiz.exe" would display as "chipexe.zip".
func bidiControl(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// reservedWindowsName reports CON, PRN, AUX, NUL, COM0-9, LPT0-9 (and their
// superscript-digit forms), with any extension, in any case.
func reservedWindowsName(part string) bool {
	base, _, _ := strings.Cut(part, ".")
	base = strings.ToUpper(strings.TrimRight(base, " "))
	switch base {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(base) < 4 || (base[:3] != "COM" && base[:3] != "LPT") {
		return false
	}
	switch base[3:] {
	case "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³":
		return true
	}
	return false
}

// within joins a checked relative name to root.
func within(root, name string) string {
	if name == "" {
		return root
	}
	return filepath.Join(root, filepath.FromSlash(name))
}

// partSuffix marks a file that is still being downloaded.
const partSuffix = ".part"

// uniquePath returns path, or path with " (1)", " (2)", … before its
// extension, the first that neither exists on disk (with or without
// partSuffix) nor is taken by another file of the Manager.
func uniquePath(path string, taken func(string) bool) string {
	ext := filepath.Ext(path)
	stem := strings.TrimSuffix(path, ext)
	for i := 0; ; i++ {
		p := path
		if i > 0 {
			p = fmt.Sprintf("%s (%d)%s", stem, i, ext)
		}
		if !taken(p) && !exists(p) && !exists(p+partSuffix) {
			return p
		}
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
