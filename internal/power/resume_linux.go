package power

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/godbus/dbus/v5"
)

// logind's signal, sent with true just before the computer sleeps and
// with false as soon as it has resumed.
const (
	login1Manager   = "org.freedesktop.login1.Manager"
	prepareForSleep = "PrepareForSleep"
)

func watchResume(ctx context.Context, addr string, w Waker, log *slog.Logger) error {
	conn, err := (&logind{addr: addr}).connect()
	if err != nil {
		return fmt.Errorf("system bus: %w", err)
	}
	defer conn.Close()
	sigs, err := subscribeResume(conn)
	if err != nil {
		return err
	}
	followResume(ctx, sigs, w, log)
	return nil
}

// subscribeResume asks the bus for logind's PrepareForSleep signals.
func subscribeResume(conn *dbus.Conn) (<-chan *dbus.Signal, error) {
	err := conn.AddMatchSignal(dbus.WithMatchInterface(login1Manager), dbus.WithMatchMember(prepareForSleep),
		dbus.WithMatchObjectPath("/org/freedesktop/login1"))
	if err != nil {
		return nil, fmt.Errorf("logind PrepareForSleep: %w", err)
	}
	sigs := make(chan *dbus.Signal, 8)
	conn.Signal(sigs)
	return sigs, nil
}

// followResume calls w.Woke on each PrepareForSleep(false) until ctx
// ends or the bus goes away (godbus then closes sigs).
func followResume(ctx context.Context, sigs <-chan *dbus.Signal, w Waker, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case s, ok := <-sigs:
			if !ok {
				return
			}
			if s.Name != login1Manager+"."+prepareForSleep || len(s.Body) != 1 {
				continue
			}
			if sleeping, _ := s.Body[0].(bool); sleeping {
				log.Debug("the computer is going to sleep")
			} else {
				w.Woke()
			}
		}
	}
}
