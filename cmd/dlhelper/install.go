package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"dlhelper/internal/atomicfile"
)

// "dlhelper install" registers the helper for the current user only, with
// no administrator rights: it starts at login, and dlhelper:// links (which
// a portal page uses to start a helper that is not running) open it. The
// files or registry values it writes are those of install_<os>.go;
// "dlhelper uninstall" removes exactly them.

func runInstall(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dlhelper install", flag.ContinueOnError)
	fs.SetOutput(stderr)
	noLogin := fs.Bool("no-autostart", false, "register dlhelper:// links only; do not start at login")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: dlhelper install [-no-autostart]\n\nRegisters, for you alone, start at login and dlhelper:// links.")
		fs.PrintDefaults()
	}
	if err := parseNoArgs(fs, args); err != nil {
		return exitParse(err)
	}
	exe, err := executablePath()
	if err == nil {
		err = register(exe, !*noLogin, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "dlhelper install: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "dlhelper is installed for your user; \"dlhelper uninstall\" removes it.")
	return 0
}

func runUninstall(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dlhelper uninstall", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: dlhelper uninstall\n\nRemoves what \"dlhelper install\" registered. Downloads, state and logs stay.")
	}
	if err := parseNoArgs(fs, args); err != nil {
		return exitParse(err)
	}
	if err := unregister(stdout); err != nil {
		fmt.Fprintf(stderr, "dlhelper uninstall: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "dlhelper is uninstalled; your downloads, its state and its logs are kept.")
	return 0
}

// parseNoArgs parses flags and refuses arguments.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s takes no arguments; got %q\n", fs.Name(), fs.Arg(0))
		return errors.New("arguments given")
	}
	return nil
}

// exitParse is the exit code for a flag error: 0 for -h, else 2.
func exitParse(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// executablePath is the absolute path of this program, links resolved, as
// start-at-login entries and link handlers must name it.
func executablePath() (string, error) {
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return "", fmt.Errorf("find this program's path: %w", err)
	}
	return filepath.Abs(exe)
}

// setAutostart turns start at login on or off, for the tray's checkbox.
func setAutostart(on bool) error {
	if !on {
		return removeAutostart()
	}
	exe, err := executablePath()
	if err != nil {
		return err
	}
	return addAutostart(exe)
}

// writeFileAtomic creates path's folder when needed, then writes the file
// atomically.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, perm)
}

// removeFile removes path; one that is not there is already removed.
func removeFile(path string) (removed bool, err error) {
	err = os.Remove(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
