package netstate

import (
	"context"
	"fmt"

	"github.com/godbus/dbus/v5"
)

// NetworkManager reads NetworkManager's Metered property on the system
// bus (Addr, when set, names another bus, for tests).
type NetworkManager struct{ Addr string }

const (
	nmName  = "org.freedesktop.NetworkManager"
	nmPath  = dbus.ObjectPath("/org/freedesktop/NetworkManager")
	propsIf = "org.freedesktop.DBus.Properties"
)

// System is the system's watcher: NetworkManager.
func System() Watcher { return NetworkManager{} }

// metered reads NMMetered: 1 yes and 3 guessed yes are metered; 0
// unknown, 2 no and 4 guessed no are not.
func metered(v dbus.Variant) bool {
	u, _ := v.Value().(uint32)
	return u == 1 || u == 3
}

func (n NetworkManager) Watch(ctx context.Context, out chan<- bool) error {
	conn, err := n.connect()
	if err != nil {
		return fmt.Errorf("system bus: %w", err)
	}
	defer conn.Close()
	if err := conn.AddMatchSignal(dbus.WithMatchObjectPath(nmPath), dbus.WithMatchInterface(propsIf),
		dbus.WithMatchMember("PropertiesChanged")); err != nil {
		return err
	}
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	v, err := conn.Object(nmName, nmPath).GetProperty(nmName + ".Metered")
	if err != nil {
		return fmt.Errorf("NetworkManager Metered: %w", err)
	}
	send := func(m bool) bool {
		select {
		case out <- m:
			return true
		case <-ctx.Done():
			return false
		}
	}
	if !send(metered(v)) {
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case s, ok := <-signals:
			if !ok {
				return fmt.Errorf("the system bus closed")
			}
			if len(s.Body) < 2 || s.Body[0] != nmName {
				continue
			}
			changed, _ := s.Body[1].(map[string]dbus.Variant)
			if v, ok := changed["Metered"]; ok && !send(metered(v)) {
				return nil
			}
		}
	}
}

func (n NetworkManager) connect() (*dbus.Conn, error) {
	if n.Addr == "" {
		return dbus.ConnectSystemBus()
	}
	return dbus.Connect(n.Addr)
}
