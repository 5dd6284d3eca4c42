package bridge

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
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
//
// Whatever loopback host addr names, the helper takes the port on both
// 127.0.0.1 and [::1]: it answers to the Hosts localhost and [::1] and
// trusts its own pages there, so another user holding [::1]:PORT would
// receive requests (and presigned URLs) meant for it. A port free on one
// family only counts as taken. On a machine without IPv6 only 127.0.0.1 is
// bound, and ListensOnIPv6 says so: the server must then refuse the [::1]
// Host (Options.IPv4Only).
func Listen(addr string, tries int) (net.Listener, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("the address %q is not HOST:PORT; use 127.0.0.1:%d", addr, DefaultPort)
	}
	switch host {
	case "127.0.0.1", "::1", "localhost":
		// Bind definite addresses, never a resolved name: a broken hosts
		// file could map localhost elsewhere.
	default:
		return nil, fmt.Errorf("the address %s is not a loopback address; use 127.0.0.1:PORT", addr)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("the port in %s is not a number from 0 to 65535; use 127.0.0.1:%d", addr, DefaultPort)
	}
	if tries < 1 {
		tries = 1
	}
	if port == 0 {
		// The system picks a port free on 127.0.0.1; it may be taken on
		// [::1], so pick again a few times.
		tries = max(tries, 8)
	}
	last := min(port+tries-1, 65535)
	ipv6 := hasIPv6Loopback()
	var lastErr error
	for p, n := port, 0; n < tries && p <= last; n++ {
		l, err := listenLoopback(p, ipv6)
		if err == nil {
			return l, nil
		}
		lastErr = err
		if port != 0 {
			p++
		}
	}
	if last == port || port == 0 {
		return nil, fmt.Errorf("cannot listen on %s (%v); stop the program using that port or choose another with --addr", addr, lastErr)
	}
	return nil, fmt.Errorf("no port from %d to %d is free on 127.0.0.1 and [::1] (%v); stop the programs using them or choose another with --addr", port, last, lastErr)
}

// hasIPv6Loopback reports whether [::1] can be bound at all here. Asking
// once, on a port the system picks, tells "no IPv6" apart from "that port
// is taken", which differ by error code from one OS to the next.
func hasIPv6Loopback() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// listenLoopback takes port on 127.0.0.1 and, with ipv6, the same port on
// [::1]; it holds both or neither.
func listenLoopback(port int, ipv6 bool) (net.Listener, error) {
	v4, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil || !ipv6 {
		return v4, err
	}
	p := v4.Addr().(*net.TCPAddr).Port
	v6, err := net.Listen("tcp6", net.JoinHostPort("::1", strconv.Itoa(p)))
	if err != nil {
		v4.Close()
		return nil, fmt.Errorf("port %d is taken on [::1]: %w", p, err)
	}
	return newDualListener(v4, v6), nil
}

// ListensOnIPv6 reports whether l, from Listen, accepts on [::1] too.
func ListensOnIPv6(l net.Listener) bool {
	_, ok := l.(*dualListener)
	return ok
}

// dualListener accepts on two listeners, one port on 127.0.0.1 and [::1].
// Addr is the 127.0.0.1 one. Close closes both and waits for the two
// goroutines that accept on them.
type dualListener struct {
	v4, v6 net.Listener
	conns  chan accepted
	done   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
}

type accepted struct {
	c   net.Conn
	err error
}

func newDualListener(v4, v6 net.Listener) *dualListener {
	d := &dualListener{v4: v4, v6: v6, conns: make(chan accepted), done: make(chan struct{})}
	d.wg.Go(func() { d.acceptFrom(v4) })
	d.wg.Go(func() { d.acceptFrom(v6) })
	return d
}

// acceptFrom hands l's connections and errors to Accept until l is closed.
func (d *dualListener) acceptFrom(l net.Listener) {
	for {
		c, err := l.Accept()
		select {
		case d.conns <- accepted{c, err}:
		case <-d.done:
			if c != nil {
				c.Close()
			}
			return
		}
		// Other errors (too many open files) pass to the server, which
		// retries or stops; it is Close that ends the loop.
		if errors.Is(err, net.ErrClosed) {
			return
		}
	}
}

func (d *dualListener) Accept() (net.Conn, error) {
	select {
	case a := <-d.conns:
		return a.c, a.err
	case <-d.done:
		return nil, net.ErrClosed
	}
}

func (d *dualListener) Close() error {
	var err error
	d.once.Do(func() {
		close(d.done)
		err = errors.Join(d.v4.Close(), d.v6.Close())
		d.wg.Wait()
	})
	return err
}

func (d *dualListener) Addr() net.Addr { return d.v4.Addr() }
