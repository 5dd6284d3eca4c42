package bridge

import (
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// Limits bound what callers, even allowed ones, can make the helper hold:
// connections, event streams (each holds a snapshot while it is written),
// jobs and files (a snapshot grows with them), and time spent reading a
// request. Without them, WebSocket clients that never read grow the
// helper's memory without bound, and requests that announce a body and
// never send it hold their connections open for good.
type Limits struct {
	Conns   int // connections open at once; more wait in the kernel's queue
	Streams int // event streams open at once; more are answered 503 busy
	Jobs    int // jobs kept (any state); more are answered 409 too_many_jobs
	Files   int // files over all jobs kept; more are answered 409 too_many_jobs
	// ReadHeaderTimeout and ReadTimeout bound reading a request's headers
	// and the whole request; IdleTimeout a kept-alive connection between
	// requests. Event streams leave them behind once upgraded.
	ReadHeaderTimeout, ReadTimeout, IdleTimeout time.Duration
}

// DefaultLimits leave room for every real use: an order of 200 archives is
// 200 files, the largest job is downloader.MaxFilesPerJob files, a user has
// a few portal tabs and the status page open.
var DefaultLimits = Limits{
	Conns: 256, Streams: 32, Jobs: 1000, Files: 50000,
	ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	pick := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	pickD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	pick(&l.Conns, d.Conns)
	pick(&l.Streams, d.Streams)
	pick(&l.Jobs, d.Jobs)
	pick(&l.Files, d.Files)
	pickD(&l.ReadHeaderTimeout, d.ReadHeaderTimeout)
	pickD(&l.ReadTimeout, d.ReadTimeout)
	pickD(&l.IdleTimeout, d.IdleTimeout)
	return l
}

// maxHeaderBytes bounds a request's headers: no request of the API needs
// more, and net/http's default (1 MB) lets a client make the helper hold
// and log a megabyte per request.
const maxHeaderBytes = 64 << 10

// HTTPServer is the http.Server to serve Handler with, on listeners made
// by Guard: its timeouts close requests that trickle in, however allowed
// their sender.
func (s *Server) HTTPServer(errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: s.limits.ReadHeaderTimeout,
		ReadTimeout:       s.limits.ReadTimeout,
		IdleTimeout:       s.limits.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          errorLog,
	}
}

// Guard wraps a listener of the helper. Connections from another user of
// this computer are closed as they are accepted, before a byte is read,
// where the system tells who is on the other end (peer_*.go): that covers
// HTTP and WebSocket alike. And at most Limits.Conns connections are open
// at once over all of the Server's listeners; more wait to be accepted.
func (s *Server) Guard(l net.Listener) net.Listener {
	return &guarded{Listener: l, s: s, done: make(chan struct{})}
}

type guarded struct {
	net.Listener
	s    *Server
	once sync.Once
	done chan struct{}
}

func (g *guarded) Accept() (net.Conn, error) {
	for {
		select {
		case g.s.conns <- struct{}{}:
		case <-g.done:
			return nil, net.ErrClosed
		}
		c, err := g.Listener.Accept()
		if err != nil {
			<-g.s.conns
			return nil, err
		}
		if err := checkPeer(c); err != nil {
			g.s.log.Warn("refused a connection", "remote", c.RemoteAddr().String(), "err", err)
			c.Close()
			<-g.s.conns
			continue
		}
		return &slotConn{Conn: c, free: g.s.conns}, nil
	}
}

func (g *guarded) Close() error {
	g.once.Do(func() { close(g.done) })
	return g.Listener.Close()
}

// slotConn gives its slot back when closed, once, whoever closes it (the
// http.Server, or an event stream after the upgrade).
type slotConn struct {
	net.Conn
	free chan struct{}
	once sync.Once
}

func (c *slotConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { <-c.free })
	return err
}
