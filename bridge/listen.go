package bridge

import (
	"fmt"
	"net"
	"strconv"
)

// The ports a portal page probes for the helper: DefaultPort and the next
// PortTries-1 ones.
const (
	DefaultPort = 17315
	PortTries   = 5
)

// Listen listens on addr, which must name a loopback host dlhelper answers
// at (127.0.0.1, [::1] or localhost) and a port. If the port is taken the
// next ones are tried, tries ports in all; port 0 lets the system choose.
// Any other host is refused: the helper must never be reachable from the
// network.
func Listen(addr string, tries int) (net.Listener, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("the address %q is not HOST:PORT; use 127.0.0.1:%d", addr, DefaultPort)
	}
	switch host {
	case "127.0.0.1", "::1":
	case "localhost":
		// Bind one definite address: a broken hosts file could map
		// localhost elsewhere.
		host = "127.0.0.1"
	default:
		return nil, fmt.Errorf("the address %s is not a loopback address; use 127.0.0.1:PORT", addr)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("the port in %s is not a number from 0 to 65535; use 127.0.0.1:%d", addr, DefaultPort)
	}
	if port == 0 || tries < 1 {
		tries = 1
	}
	last := min(port+tries-1, 65535)
	var lastErr error
	for p := port; p <= last; p++ {
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err == nil {
			return l, nil
		}
		lastErr = err
	}
	if last == port {
		return nil, fmt.Errorf("cannot listen on %s (%v); stop the program using that port or choose another with --addr", addr, lastErr)
	}
	return nil, fmt.Errorf("no port from %d to %d is free on %s (%v); stop the programs using them or choose another with --addr", port, last, host, lastErr)
}
