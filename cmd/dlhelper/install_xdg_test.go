//go:build !windows && !darwin

package main

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// installedFiles lists the files below root, relative, sorted.
func installedFiles(t *testing.T, root string) []string {
	t.Helper()
	var list []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, path)
			list = append(list, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(list)
	return list
}

// fakeHome points HOME at a new folder and empties the variables that
// would move what install writes, or what xdg-mime does, out of it.
func fakeHome(t *testing.T) string {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, k := range []string{"XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION", "GNOME_DESKTOP_SESSION_ID"} {
		t.Setenv(k, "")
	}
	return home
}

func TestInstallWritesAndUninstallRemovesExactlyItsFiles(t *testing.T) {
	home := fakeHome(t)
	_, hasXDGMime := exec.LookPath("xdg-mime")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"install"}, &stdout, &stderr); code != 0 {
		t.Fatalf("install exited %d: %s", code, stderr.String())
	}
	want := []string{
		".config/autostart/dlhelper.desktop",
		".local/share/applications/dlhelper.desktop",
		".local/share/icons/hicolor/32x32/apps/dlhelper.png",
	}
	if hasXDGMime == nil {
		want = append(want, ".config/mimeapps.list")
		slices.Sort(want)
	} else {
		t.Log("xdg-mime is not installed: checking the files install writes itself")
	}
	if got := installedFiles(t, home); !slices.Equal(got, want) {
		t.Errorf("install wrote %q, want %q", got, want)
	}

	exe, _ := executablePath()
	entry, _ := os.ReadFile(filepath.Join(home, ".local/share/applications/dlhelper.desktop"))
	for _, line := range []string{"Exec=" + exe + " open --single-argument %u", "MimeType=x-scheme-handler/dlhelper;", "Type=Application"} {
		if !strings.Contains(string(entry), line+"\n") {
			t.Errorf("the menu entry lacks %q:\n%s", line, entry)
		}
	}
	if hasXDGMime == nil {
		mime, _ := os.ReadFile(filepath.Join(home, ".config/mimeapps.list"))
		if !strings.Contains(string(mime), "x-scheme-handler/dlhelper=dlhelper.desktop") {
			t.Errorf("mimeapps.list does not make dlhelper the handler:\n%s", mime)
		}
	}
	if !autostartEnabled() {
		t.Error("after install, start at login is off")
	}

	stdout.Reset()
	if code := run([]string{"uninstall"}, &stdout, &stderr); code != 0 {
		t.Fatalf("uninstall exited %d: %s", code, stderr.String())
	}
	if got := installedFiles(t, home); len(got) != 0 {
		t.Errorf("uninstall left %q", got)
	}
	if code := run([]string{"uninstall"}, &stdout, &stderr); code != 0 {
		t.Errorf("a second uninstall exited %d: %s", code, stderr.String())
	}
}

func TestInstallFollowsXDGFoldersAndTheCheckbox(t *testing.T) {
	home := fakeHome(t)
	data, config := filepath.Join(home, "d"), filepath.Join(home, "c")
	t.Setenv("XDG_DATA_HOME", data)
	t.Setenv("XDG_CONFIG_HOME", config)
	var out bytes.Buffer
	if code := run([]string{"install", "-no-autostart"}, &out, &out); code != 0 {
		t.Fatalf("install exited %d: %s", code, out.String())
	}
	if _, err := os.Stat(filepath.Join(data, "applications", "dlhelper.desktop")); err != nil {
		t.Errorf("the menu entry is not in $XDG_DATA_HOME: %v", err)
	}
	if autostartEnabled() {
		t.Error("install -no-autostart turned start at login on")
	}
	if err := setAutostart(true); err != nil || !autostartEnabled() {
		t.Fatalf("setAutostart(true) = %v; enabled %v", err, autostartEnabled())
	}
	if _, err := os.Stat(filepath.Join(config, "autostart", "dlhelper.desktop")); err != nil {
		t.Errorf("the autostart entry is not in $XDG_CONFIG_HOME: %v", err)
	}
	if err := setAutostart(false); err != nil || autostartEnabled() {
		t.Fatalf("setAutostart(false) = %v; enabled %v", err, autostartEnabled())
	}
	if code := run([]string{"uninstall"}, &out, &out); code != 0 {
		t.Fatalf("uninstall exited %d: %s", code, out.String())
	}
	if got := installedFiles(t, home); len(got) != 0 {
		t.Errorf("uninstall left %q", got)
	}
}

func TestDropMIMEDefaultKeepsOtherEntries(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mimeapps.list")
	orig := "[Default Applications]\ntext/html=firefox.desktop\nx-scheme-handler/dlhelper=dlhelper.desktop\n\n[Added Associations]\nx-scheme-handler/dlhelper=dlhelper.desktop;\n"
	os.WriteFile(path, []byte(orig), 0o644)
	if removed, err := dropMIMEDefault(path); !removed || err != nil {
		t.Fatalf("dropMIMEDefault = %v, %v", removed, err)
	}
	got, _ := os.ReadFile(path)
	if want := "[Default Applications]\ntext/html=firefox.desktop\n\n[Added Associations]\n"; string(got) != want {
		t.Errorf("mimeapps.list = %q, want %q", got, want)
	}
}

func TestExecQuote(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"/usr/bin/dlhelper", `"/usr/bin/dlhelper"`},
		{"/home/a b/dlhelper", `"/home/a b/dlhelper"`},
		{`/x/$HOME"q"/100%`, `"/x/\\$HOME\\"q\\"/100%%"`},
		{`/x/a\b`, `"/x/a\\\\b"`},
	}
	for _, tt := range tests {
		if got := execQuote(tt.in); got != tt.want {
			t.Errorf("execQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestALinkStartsTheHandlerThroughGenericXDGOpen registers a program whose
// path has a space and opens a link with xdg-open's generic path, the one
// desktops other than GNOME and KDE get: the program must start with the
// link as its one argument after the marker.
func TestALinkStartsTheHandlerThroughGenericXDGOpen(t *testing.T) {
	home := fakeHome(t)
	xdgOpen, err := exec.LookPath("xdg-open")
	if err != nil {
		t.Fatal("xdg-open is not installed (.ci/setup installs xdg-utils)")
	}
	// The handler is a script that writes its arguments, one per line.
	exe := filepath.Join(t.TempDir(), "My Programs", "dlhelper")
	got := filepath.Join(t.TempDir(), "args")
	os.MkdirAll(filepath.Dir(exe), 0o755)
	if err := os.WriteFile(exe, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$ARGS_OUT\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := register(exe, true, io.Discard); err != nil {
		t.Fatalf("register: %v", err)
	}
	link := "dlhelper://start?order=42 --allow-origin=https://evil.example"
	cmd := exec.Command(xdgOpen, link)
	// X-Generic makes xdg-open use its own parser of desktop entries; it
	// only asks whether there is a display, so a name is enough.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "DISPLAY=:99",
		"XDG_CURRENT_DESKTOP=X-Generic", "ARGS_OUT=" + got}
	if out, err := cmd.CombinedOutput(); err != nil {
		entry, _ := os.ReadFile(desktopPath())
		t.Fatalf("xdg-open %q: %v: %s\nthe entry:\n%s", link, err, out, entry)
	}
	args, err := os.ReadFile(got)
	if want := "open\n--single-argument\n" + link + "\n"; string(args) != want {
		t.Errorf("the handler got the arguments %q (%v), want %q", args, err, want)
	}
	if entry, _ := os.ReadFile(autostartPath()); !strings.Contains(string(entry), "Exec="+launcherPath()+"\n") {
		t.Errorf("the start-at-login entry does not start %s:\n%s", launcherPath(), entry)
	}
	if err := unregister(io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(launcherPath()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("uninstall left %s (%v)", launcherPath(), err)
	}
}
