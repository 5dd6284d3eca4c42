package tray

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// ErrNoDisplay means there is no desktop to put a tray icon on; the helper
// then runs headless.
var ErrNoDisplay = errors.New("no display")

// Available reports whether a tray icon can be shown, or why not (wrapping
// ErrNoDisplay). It must be asked before RunSystray: on Linux GTK ends the
// process when it cannot open the display, so an X display is dialled first.
func Available() error {
	if !cgoEnabled && runtime.GOOS != "windows" {
		return fmt.Errorf("%w: this build has no tray (built without cgo)", ErrNoDisplay)
	}
	switch runtime.GOOS {
	case "windows", "darwin":
		return nil
	}
	if w := os.Getenv("WAYLAND_DISPLAY"); w != "" {
		if !filepath.IsAbs(w) {
			w = filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), w)
		}
		if _, err := os.Stat(w); err == nil {
			return nil
		}
	}
	d := os.Getenv("DISPLAY")
	if d == "" {
		return fmt.Errorf("%w: neither DISPLAY nor WAYLAND_DISPLAY is set", ErrNoDisplay)
	}
	if err := dialX(d); err != nil {
		return fmt.Errorf("%w: the X display %q does not answer (%v)", ErrNoDisplay, d, err)
	}
	return nil
}

// dialX connects to the X server named by display ("[host]:N[.S]") the way
// Xlib does: a local socket for ":N" or "unix:N", TCP port 6000+N otherwise.
func dialX(display string) error {
	host, rest, ok := strings.Cut(display, ":")
	if !ok {
		return errors.New("not of the form [host]:N")
	}
	num, _, _ := strings.Cut(rest, ".")
	n, err := strconv.Atoi(num)
	if err != nil {
		return errors.New("not of the form [host]:N")
	}
	const timeout = 2 * time.Second
	var c net.Conn
	if host == "" || host == "unix" {
		sock := "/tmp/.X11-unix/X" + num
		if c, err = net.DialTimeout("unix", sock, timeout); err != nil && runtime.GOOS == "linux" {
			c, err = net.DialTimeout("unix", "@"+sock, timeout) // abstract socket
		}
	} else {
		c, err = net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(6000+n)), timeout)
	}
	if err != nil {
		return err
	}
	return c.Close()
}
