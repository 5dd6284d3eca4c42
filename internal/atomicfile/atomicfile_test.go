package atomicfile

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestWriteFileReplacesTheContentWhole(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	for _, content := range []string{"first\n", "second, longer\n", ""} {
		if err := WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatalf("WriteFile(%q): %v", content, err)
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != content {
			t.Errorf("after WriteFile(%q) the file holds %q, %v", content, got, err)
		}
	}
	assertOnly(t, dir, "token")
}

func TestWriteFileSetsTheMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no group and other mode bits")
	}
	t.Parallel()
	dir := t.TempDir()
	for _, perm := range []os.FileMode{0o600, 0o644, 0o755} {
		path := filepath.Join(dir, perm.String())
		if err := WriteFile(path, []byte("x"), perm); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != perm {
			t.Errorf("WriteFile(..., %v) made mode %v, %v", perm, st.Mode().Perm(), err)
		}
	}
}

func TestWriteFileLeavesNothingWhenItFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The rename fails: a folder holds the name. The temp file, written by
	// then, must go.
	taken := filepath.Join(dir, "taken")
	if err := os.Mkdir(taken, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(taken, "inside"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(taken, []byte("x"), 0o600); err == nil {
		t.Error("WriteFile over a folder succeeded")
	}
	assertOnly(t, dir, "taken")
	if err := WriteFile(filepath.Join(dir, "missing", "file"), []byte("x"), 0o600); err == nil {
		t.Error("WriteFile into a missing folder succeeded")
	}
}

// assertOnly fails unless dir holds exactly the named entry: no temp file
// is left behind.
func assertOnly(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("%s holds %q, want only %q", dir, names, name)
	}
}
