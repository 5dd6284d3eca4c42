package downloader

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"
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
// space (Windows would silently strip them). Names that would disguise what
// a file is (invisible or reordering characters, an extension pushed out of
// sight by spaces) and files Windows' shell acts on by themselves
// (desktop.ini, .lnk, …) are refused too; see the names section of
// bridge/API.md.
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("the name is empty")
	case !utf8.ValidString(name) || strings.ContainsRune(name, utf8.RuneError):
		// encoding/json turns invalid UTF-8 into U+FFFD: refusing that
		// character is what refuses a name that was not UTF-8.
		return fmt.Errorf("the name is not valid UTF-8 (or holds U+FFFD, which stands for bytes that were not)")
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
	case shellFile(part):
		return fmt.Errorf("is %q, a kind of file Windows runs or reads by itself (shortcut, folder settings), which a download must not be", part)
	}
	for _, r := range part {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			return fmt.Errorf("contains a control character")
		}
		if invisible(r) {
			return fmt.Errorf("contains the invisible character U+%04X, which can disguise a name", r)
		}
		if strings.ContainsRune(`\<>:"|?*`, r) {
			return fmt.Errorf("contains the character %q, which Windows forbids", r)
		}
	}
	return checkSpaces(part)
}

// invisible reports characters that show as nothing or reorder the text
// around them: format characters (Cf: zero-width spaces and joiners,
// U+FEFF, the bidi controls that make "chip\u202Epiz.exe" display as
// "chipexe.zip"), line and paragraph separators, variation selectors and
// the other default-ignorable code points (Hangul fillers such as U+3164,
// which render blank).
func invisible(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point) ||
		r == 0x2800 // braille blank, drawn as a space but not one
}

// checkSpaces refuses spacing that hides what a name is: leading spaces,
// a run of spaces, spaces just before the extension ("report   .exe"
// pushes ".exe" out of a narrow column), and spaces other than U+0020 and
// the ideographic space U+3000 (non-breaking and fixed-width spaces look
// like U+0020 but make a different name).
func checkSpaces(part string) error {
	prevSpace := false
	for i, r := range part {
		space := unicode.IsSpace(r) || unicode.Is(unicode.Zs, r)
		switch {
		case space && r != ' ' && r != 0x3000:
			return fmt.Errorf("contains the space character U+%04X; use a plain space", r)
		case space && i == 0:
			return fmt.Errorf("has an element starting with a space")
		case space && prevSpace:
			return fmt.Errorf("has more than one space in a row, which can hide an extension")
		case r == '.' && prevSpace && i == strings.LastIndexByte(part, '.'):
			return fmt.Errorf("has a space before its extension, which can hide it")
		}
		prevSpace = space
	}
	return nil
}

// shellFile reports files Windows' shell acts on without being asked:
// desktop.ini and autorun.inf configure a folder or drive, and shortcuts
// (.lnk, .url, .pif), .scf and library or search descriptions run or reach
// out to other paths as soon as Explorer shows the folder.
func shellFile(part string) bool {
	lower := strings.ToLower(part)
	switch lower {
	case "desktop.ini", "autorun.inf", "folder.htt":
		return true
	}
	switch filepath.Ext(lower) {
	case ".lnk", ".url", ".scf", ".pif", ".library-ms", ".searchconnector-ms", ".settingcontent-ms":
		return true
	}
	return false
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

// joinName joins a checked folder and a checked name with "/".
func joinName(folder, name string) string {
	if folder == "" {
		return name
	}
	return folder + "/" + name
}

// partSuffix marks a file that is still being downloaded.
const partSuffix = ".part"

// exists reports that something, a link included, is at path.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
