package chaos

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// Relay is a TCP relay that counts the bytes its upstream sends. Put
// behind toxiproxy (toxiproxy → Relay → MinIO) it measures what the
// server had to send for an order, headers included, whatever happened
// to the client: toxiproxy counts no bytes itself.
type Relay struct {
	// Addr is where the relay listens, host:port on 127.0.0.1.
	Addr string

	upstream string
	ln       net.Listener
	sent     atomic.Int64
	opened   atomic.Int64
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
}

// NewRelay listens on a free loopback port and forwards to upstream.
func NewRelay(upstream string) (*Relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Relay{Addr: ln.Addr().String(), upstream: upstream, ln: ln, conns: map[net.Conn]struct{}{}}
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

// Sent is how many bytes the upstream sent through the relay.
func (r *Relay) Sent() int64 { return r.sent.Load() }

// Conns is how many connections the relay has forwarded.
func (r *Relay) Conns() int64 { return r.opened.Load() }

// Close stops listening, cuts every connection and waits for the copies.
func (r *Relay) Close() {
	r.ln.Close()
	r.mu.Lock()
	for c := range r.conns {
		c.Close()
	}
	r.conns = nil // later pairs are closed at once by track
	r.mu.Unlock()
	r.wg.Wait()
}

func (r *Relay) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return // closed
		}
		r.opened.Add(1)
		r.wg.Add(1)
		go r.serve(c)
	}
}

// serve pipes one connection both ways; when either side ends, both
// are closed, so a killed MinIO reads as a dropped connection downstream.
func (r *Relay) serve(down net.Conn) {
	defer r.wg.Done()
	up, err := net.Dial("tcp", r.upstream)
	if err != nil {
		down.Close()
		return
	}
	if !r.track(down, up) {
		return
	}
	defer r.untrack(down, up)
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, down); done <- struct{}{} }()
	go func() { io.Copy(countingWriter{down, &r.sent}, up); done <- struct{}{} }()
	<-done
	down.Close()
	up.Close()
	<-done
}

// track registers a pair, or closes it if the relay is closing.
func (r *Relay) track(cs ...net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conns == nil {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		r.conns[c] = struct{}{}
	}
	return true
}

func (r *Relay) untrack(cs ...net.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range cs {
		delete(r.conns, c) // a no-op on the nil map of a closed relay
	}
}

type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}
