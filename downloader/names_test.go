package downloader

import (
	"slices"
	"strings"
	"testing"
)

func TestCheckNameRefusesHostileNames(t *testing.T) {
	t.Parallel()
	bad := []string{
		"", ".", "..", "../x", "a/../../x", "/etc/passwd", "a//b", "a/./b",
		`C:\x`, "C:x", `a\b`, `\\server\share`, "CON", "con.txt", "NUL.tar.gz",
		"COM1", "lpt9.zip", "AUX", "PRN.", "COM¹", "name\x00", "tab\there", "del\x7f",
		"trailing.", "trailing ", "c1\u0085", "chip\u202epiz.exe", "x\u2066y", "a:b", "a*b", "a?b", `a"b`, "a<b", "a>b", "a|b",
		strings.Repeat("x", 256), strings.Repeat("a/", 600) + "x", "\xff\xfe",
		// invisible and reordering characters
		"a\u200bb.zip", "\ufeffa.zip", "a\u200d.zip", "a\u00adb", "\u3164.zip", "a\u115fb", "a\uffa0", "a\u2028b", "a\u2029b", "a\ufe0fb", "a\u034fb", "a\u2800b",
		// U+FFFD, what invalid UTF-8 became in JSON
		"a\ufffd.zip",
		// spacing that hides an extension
		"a   .zip", "a .zip", " a.zip", "a  b.zip", "a\u00a0b.zip", "a\u2003b", "dir/ x", "a\u3000\u3000b",
		// files Windows' shell acts on
		"desktop.ini", "sub/Desktop.INI", "autorun.inf", "x.lnk", "x.URL", "x.scf", "x.pif", "x.library-ms", "x.searchConnector-ms",
	}
	for _, name := range bad {
		if err := CheckName(name); err == nil {
			t.Errorf("CheckName(%q) = nil, want an error", name)
		}
	}
}

func TestCheckNameAcceptsOrdinaryNames(t *testing.T) {
	t.Parallel()
	good := []string{
		"chip-001.zip", "芯片-01.zip", "order 42/chip 1.zip", "a/b/c.dloc",
		".hidden", "CONSOLE.txt", "COM10", "file.with.dots.zip", strings.Repeat("x", 255),
		"芯片\u300001.zip", "a.b c.zip", "desktop.ini.txt", "links/x.lnk.zip", "caf\u00e9.txt", "cafe\u0301.txt",
	}
	for _, name := range good {
		if err := CheckName(name); err != nil {
			t.Errorf("CheckName(%q) = %v, want nil", name, err)
		}
	}
}

func TestTheNameBookNumbersTakenNames(t *testing.T) {
	t.Parallel()
	onDisk := map[string]bool{"a.zip": true, "a (1).zip.part": true, "d/b.zip": true}
	b := newNameBook(func(rel string) bool { return onDisk[rel] })
	got := b.reserveAll([]string{"a.zip", "a.zip", "A.ZIP", "d/b.zip", "b.zip", "x.zip", "x.zip.part", "caf\u00e9.txt", "cafe\u0301.txt"})
	// a.zip is on disk and a (1).zip's .part is; x.zip.part is x.zip's
	// .part, held; the NFD é is the NFC one on macOS.
	want := []string{"a (2).zip", "a (3).zip", "A (4).ZIP", "d/b (1).zip", "b.zip", "x.zip", "x.zip (1).part", "caf\u00e9.txt", "cafe\u0301 (1).txt"}
	if !slices.Equal(got, want) {
		t.Errorf("reserved %q, want %q", got, want)
	}
	b.release([]string{"b.zip"})
	if got := b.reserve("b.zip"); got != "b (1).zip" {
		t.Errorf("after release: %q, want b (1).zip (numbers move on)", got)
	}
}

func TestIsNumbered(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rel, want string
		ok        bool
	}{
		{"d/a.zip", "d/a.zip", true}, {"d/a (3).zip", "d/a.zip", true}, {"d/a (12).zip", "d/a.zip", true},
		{"d/a (0).zip", "d/a.zip", false}, {"d/a ().zip", "d/a.zip", false}, {"d/a (1)x.zip", "d/a.zip", false},
		{"e/a (1).zip", "d/a.zip", false}, {"../a (1).zip", "a.zip", false}, {"d/a (1/../../x).zip", "d/a.zip", false},
	} {
		if got := isNumbered(tt.rel, tt.want); got != tt.ok {
			t.Errorf("isNumbered(%q, %q) = %v, want %v", tt.rel, tt.want, got, tt.ok)
		}
	}
}
