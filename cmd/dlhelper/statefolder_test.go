//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dlhelper/bridge"
)

// newStateFolder is a state folder as the helper leaves it.
func newStateFolder(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "dlhelper")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := bridge.LoadOrCreateToken(dir); err != nil {
		t.Fatal(err)
	}
	if err := bridge.WritePort(dir, 17315); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestStateFolderOthersCouldChangeIsRefused(t *testing.T) {
	t.Parallel()
	if err := checkStateFolder(newStateFolder(t)); err != nil {
		t.Fatalf("a fresh state folder is refused: %v", err)
	}
	tests := []struct {
		name, want string
		spoil      func(t *testing.T, dir string)
	}{
		{"a folder anyone may write to", "chmod go-w", func(t *testing.T, dir string) { os.Chmod(dir, 0o777) }},
		{"a group-writable port file", "chmod go-w", func(t *testing.T, dir string) { os.Chmod(filepath.Join(dir, bridge.PortFile), 0o620) }},
		{"a port file that is a link", "symbolic link", func(t *testing.T, dir string) {
			other := filepath.Join(t.TempDir(), "port")
			os.WriteFile(other, []byte("4444\n"), 0o600)
			os.Remove(filepath.Join(dir, bridge.PortFile))
			if err := os.Symlink(other, filepath.Join(dir, bridge.PortFile)); err != nil {
				t.Fatal(err)
			}
		}},
		{"a state database that is a folder", "not a file", func(t *testing.T, dir string) { os.Mkdir(filepath.Join(dir, "state.db"), 0o700) }},
		{"a folder that is a link", "symbolic link", func(t *testing.T, dir string) {
			real := dir + ".real"
			os.Rename(dir, real)
			os.Symlink(real, dir)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newStateFolder(t)
			tt.spoil(t, dir)
			err := checkStateFolder(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("checkStateFolder with %s = %v, want an error saying %q", tt.name, err, tt.want)
			}
		})
	}
}

func TestStateFileOfAnotherUserIsRefused(t *testing.T) {
	t.Parallel()
	dir := newStateFolder(t)
	token := filepath.Join(dir, bridge.TokenFile)
	fi, err := os.Lstat(token)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkOwnerUID(token, fi, os.Getuid()); err != nil {
		t.Errorf("the user's own token is refused: %v", err)
	}
	// Root makes the token another user's; anyone else checks their own
	// token as another user would.
	viewer := 4242
	if os.Getuid() == 0 {
		if err := os.Chown(token, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		viewer = 0
	}
	if err := checkOwnerUID(token, mustLstat(t, token), viewer); err == nil || !strings.Contains(err.Error(), "another user") {
		t.Errorf("a token of another user = %v, want refused", err)
	}
}

func mustLstat(t *testing.T, path string) os.FileInfo {
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

func TestPortFileIsTheUsersAlone(t *testing.T) {
	t.Parallel()
	dir := newStateFolder(t)
	if perm := mustLstat(t, filepath.Join(dir, bridge.PortFile)).Mode().Perm(); perm != 0o600 {
		t.Errorf("the port file has mode %#o, want 0600", perm)
	}
}

func TestStatusRefusesAStateFolderOthersCouldChange(t *testing.T) {
	t.Parallel()
	dir := newStateFolder(t)
	os.Chmod(dir, 0o777)
	err := printStatus(dir, nil)
	if err == nil || !strings.Contains(err.Error(), "chmod go-w") {
		t.Errorf("printStatus on a folder anyone may write = %v, want refused", err)
	}
}
