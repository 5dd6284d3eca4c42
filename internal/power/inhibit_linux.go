package power

import (
	"fmt"

	"github.com/godbus/dbus/v5"
	"golang.org/x/sys/unix"
)

// System returns logind's inhibitor on the system bus.
func System() Inhibitor { return &logind{} }

// logind takes a "sleep:idle" block lock from systemd-logind (or elogind);
// the lock lasts as long as the file descriptor it hands out stays open,
// so closing it is the release, and a crash releases it too.
type logind struct {
	addr string // bus address; "" is the system bus
	fd   int
}

func (l *logind) Inhibit() error {
	conn, err := l.connect()
	if err != nil {
		return fmt.Errorf("system bus: %w", err)
	}
	defer conn.Close()
	var fd dbus.UnixFD
	err = conn.Object("org.freedesktop.login1", "/org/freedesktop/login1").
		Call("org.freedesktop.login1.Manager.Inhibit", 0,
			"sleep:idle", "dlhelper", "Downloading files", "block").Store(&fd)
	if err != nil {
		return fmt.Errorf("logind Inhibit: %w", err)
	}
	l.fd = int(fd)
	return nil
}

func (l *logind) Release() { _ = unix.Close(l.fd) }

func (l *logind) connect() (*dbus.Conn, error) {
	if l.addr == "" {
		return dbus.ConnectSystemBus()
	}
	return dbus.Connect(l.addr)
}
