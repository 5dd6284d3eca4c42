package testenv

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// SleepyRelay forwards TCP to a server until Sleep: from then on the
// connections it had carry nothing, silently, as TCP connections do after
// a laptop slept and its Wi-Fi or NAT forgot them, while new ones work.
type SleepyRelay struct {
	// Addr is where clients connect: host:port on 127.0.0.1.
	Addr string
	// Flowed is closed when the server's bytes first reach a client over
	// a connection made after Sleep.
	Flowed <-chan struct{}

	ln      net.Listener
	mu      sync.Mutex
	pairs   []*atomic.Bool // per connection: dead
	conns   []net.Conn
	wg      sync.WaitGroup
	asleep  atomic.Bool
	flowed  chan struct{}
	flowing sync.Once
}

// NewSleepyRelay starts a relay to upstream (host:port), closed with the test.
func NewSleepyRelay(t testing.TB, upstream string) *SleepyRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	flowed := make(chan struct{})
	r := &SleepyRelay{Addr: ln.Addr().String(), Flowed: flowed, ln: ln, flowed: flowed}
	r.wg.Go(func() { r.accept(upstream) })
	t.Cleanup(func() {
		ln.Close()
		r.mu.Lock()
		for _, c := range r.conns {
			c.Close()
		}
		r.mu.Unlock()
		r.wg.Wait()
	})
	return r
}

// Sleep kills every connection open now.
func (r *SleepyRelay) Sleep() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asleep.Store(true)
	for _, d := range r.pairs {
		d.Store(true)
	}
}

func (r *SleepyRelay) accept(upstream string) {
	for {
		down, err := r.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", upstream)
		if err != nil {
			down.Close()
			continue
		}
		dead := new(atomic.Bool)
		r.mu.Lock()
		r.pairs = append(r.pairs, dead)
		r.conns = append(r.conns, up, down)
		r.mu.Unlock()
		fresh := r.asleep.Load()
		r.wg.Go(func() { r.pipe(down, up, dead, fresh) })
		r.wg.Go(func() { r.pipe(up, down, dead, false) })
	}
}

// pipe copies until the pair dies; then it swallows what comes, silently.
func (r *SleepyRelay) pipe(dst, src net.Conn, dead *atomic.Bool, fresh bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !dead.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
			if fresh {
				r.flowing.Do(func() { close(r.flowed) })
			}
		}
		if err != nil {
			if err == io.EOF && !dead.Load() {
				_ = dst.(*net.TCPConn).CloseWrite()
			}
			return
		}
	}
}
