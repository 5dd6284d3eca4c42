package downloader

import (
	"path/filepath"
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
	}
	for _, name := range good {
		if err := CheckName(name); err != nil {
			t.Errorf("CheckName(%q) = %v, want nil", name, err)
		}
	}
}

func TestUniquePathAddsANumber(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	taken := map[string]bool{filepath.Join(dir, "a.zip"): true, filepath.Join(dir, "a (1).zip"): true}
	got := uniquePath(filepath.Join(dir, "a.zip"), func(p string) bool { return taken[p] })
	if want := filepath.Join(dir, "a (2).zip"); got != want {
		t.Errorf("uniquePath = %q, want %q", got, want)
	}
}
