//go:build !windows && !darwin

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"dlhelper/tray"
)

// On Linux and the BSDs, install follows the freedesktop.org specs:
//
//	$XDG_DATA_HOME/applications/dlhelper.desktop         menu entry, handler of x-scheme-handler/dlhelper
//	$XDG_DATA_HOME/icons/hicolor/32x32/apps/dlhelper.png  its icon
//	$XDG_CONFIG_HOME/autostart/dlhelper.desktop          start at login
//	$XDG_DATA_HOME/dlhelper/bin/dlhelper                 a link to the program, when its path needs quoting
//
// and, when xdg-mime is installed, makes the entry the default handler of
// dlhelper:// links ("xdg-mime default", which writes
// $XDG_CONFIG_HOME/mimeapps.list); uninstall takes that line out again.

const (
	desktopName = "dlhelper.desktop"
	schemeMIME  = "x-scheme-handler/dlhelper"
)

func xdgDir(env string, fallback ...string) string {
	// The spec says a relative path in these variables is to be ignored.
	if d := os.Getenv(env); filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(append([]string{homeDir()}, fallback...)...)
}

func dataHome() string   { return xdgDir("XDG_DATA_HOME", ".local", "share") }
func configHome() string { return xdgDir("XDG_CONFIG_HOME", ".config") }

func desktopPath() string { return filepath.Join(dataHome(), "applications", desktopName) }
func iconPath() string {
	return filepath.Join(dataHome(), "icons", "hicolor", "32x32", "apps", "dlhelper.png")
}
func autostartPath() string { return filepath.Join(configHome(), "autostart", desktopName) }
func launcherPath() string  { return filepath.Join(dataHome(), "dlhelper", "bin", "dlhelper") }
func mimeappsPath() string  { return filepath.Join(configHome(), "mimeapps.list") }

// desktopEntry is the menu entry for the program prog (see execProgram):
// started by a link it runs "dlhelper open --single-argument URL", from
// the menu "dlhelper open --single-argument" (an empty %u is dropped).
func desktopEntry(prog string) string {
	return `[Desktop Entry]
Type=Application
Name=dlhelper
GenericName=Download helper
Comment=Downloads your portal orders with resumable, parallel transfers
Exec=` + prog + ` open ` + singleArgument + ` %u
Icon=dlhelper
Terminal=false
Categories=Network;FileTransfer;
MimeType=` + schemeMIME + `;
StartupNotify=false
`
}

func autostartEntry(prog string) string {
	return `[Desktop Entry]
Type=Application
Name=dlhelper
Comment=Download helper for your portal orders
Exec=` + prog + `
Icon=dlhelper
Terminal=false
X-GNOME-Autostart-enabled=true
`
}

// execReserved are the characters the Desktop Entry spec reserves in an
// Exec argument, which must then be quoted, and % (field codes).
const execReserved = " \t\n\"'\\><~|&;$*?#()`%"

// execProgram is the program an Exec line names for exe: exe itself when
// it needs no quoting, else a link to it at launcherPath. Quoting is what
// the spec asks, but xdg-open's generic path (xdg-utils 1.1, used outside
// GNOME and KDE) takes the first word of Exec as it stands, quotes and
// all, and a link then started nothing (issue 19). When the launcher's own
// path needs quoting too, exe is quoted as the spec says.
func execProgram(exe string) (string, error) {
	if !strings.ContainsAny(exe, execReserved) {
		return exe, nil
	}
	l := launcherPath()
	if strings.ContainsAny(l, execReserved) {
		return execQuote(exe), nil
	}
	if err := symlinkAtomic(exe, l); err != nil {
		return "", fmt.Errorf("link %s to the program: %w", l, err)
	}
	return l, nil
}

// symlinkAtomic makes link point at target, replacing what was there.
func symlinkAtomic(target, link string) error {
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return err
	}
	tmp := link + ".new"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, link)
}

// execQuote quotes a path for an Exec key: double quotes, with ", `, $ and
// \ escaped by a backslash, then every backslash doubled again because the
// key's value is itself an escaped string; % is doubled (field codes).
func execQuote(s string) string {
	inner := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", `$`, `\$`).Replace(s)
	inner = strings.NewReplacer(`\`, `\\`, `%`, `%%`).Replace(inner)
	return `"` + inner + `"`
}

func register(exe string, autostart bool, out io.Writer) error {
	if strings.ContainsFunc(exe, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("the path %q has control characters; move dlhelper to a plain folder", exe)
	}
	if err := writeFileAtomic(iconPath(), tray.IconPNG(tray.IconActive), 0o644); err != nil {
		return fmt.Errorf("write the icon: %w", err)
	}
	prog, err := execProgram(exe)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(desktopPath(), []byte(desktopEntry(prog)), 0o644); err != nil {
		return fmt.Errorf("write the menu entry: %w", err)
	}
	fmt.Fprintf(out, "wrote %s (menu entry and dlhelper:// handler)\n", desktopPath())
	if autostart {
		if err := addAutostart(exe); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote %s (start at login)\n", autostartPath())
	}
	return setDefaultHandler(out)
}

// setDefaultHandler runs xdg-mime when there is one; without it the
// MimeType line still registers the handler with desktops that read it.
func setDefaultHandler(out io.Writer) error {
	xdgMime, err := exec.LookPath("xdg-mime")
	if err != nil {
		fmt.Fprintln(out, "xdg-mime is not installed, so dlhelper:// is not made the default handler; the menu entry still declares it")
		return nil
	}
	if msg, err := exec.Command(xdgMime, "default", desktopName, schemeMIME).CombinedOutput(); err != nil {
		return fmt.Errorf("xdg-mime default %s %s: %v: %s", desktopName, schemeMIME, err, bytes.TrimSpace(msg))
	}
	fmt.Fprintf(out, "made dlhelper the handler of dlhelper:// links (xdg-mime, %s)\n", mimeappsPath())
	return nil
}

func unregister(out io.Writer) error {
	var errs []error
	for _, p := range []string{desktopPath(), iconPath(), autostartPath(), launcherPath()} {
		removed, err := removeFile(p)
		if removed {
			fmt.Fprintf(out, "removed %s\n", p)
		}
		errs = append(errs, err)
	}
	removed, err := dropMIMEDefault(mimeappsPath())
	if removed {
		fmt.Fprintf(out, "removed the dlhelper:// handler from %s\n", mimeappsPath())
	}
	return errors.Join(append(errs, err)...)
}

// dropMIMEDefault takes the dlhelper:// lines out of a mimeapps.list, and
// removes the file when nothing but section headers is left (as when
// xdg-mime created it for us).
func dropMIMEDefault(path string) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	var kept []string
	removed, entries := false, 0
	for _, line := range strings.SplitAfter(string(data), "\n") {
		key, _, isKey := strings.Cut(line, "=")
		switch {
		case isKey && strings.TrimSpace(key) == schemeMIME:
			removed = true
			continue
		case isKey && !strings.HasPrefix(strings.TrimSpace(line), "#"):
			entries++
		}
		kept = append(kept, line)
	}
	switch {
	case !removed:
		return false, nil
	case entries == 0:
		_, err = removeFile(path)
	default:
		err = writeFileAtomic(path, []byte(strings.Join(kept, "")), 0o644)
	}
	if err != nil {
		return false, fmt.Errorf("update %s: %w", path, err)
	}
	return true, nil
}

func addAutostart(exe string) error {
	prog, err := execProgram(exe)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(autostartPath(), []byte(autostartEntry(prog)), 0o644); err != nil {
		return fmt.Errorf("write the start-at-login entry: %w", err)
	}
	return nil
}

func removeAutostart() error {
	_, err := removeFile(autostartPath())
	return err
}

// autostartEnabled reports whether our start-at-login entry is there.
func autostartEnabled() bool {
	_, err := os.Stat(autostartPath())
	return err == nil
}
