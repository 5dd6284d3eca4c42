package wan

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

const (
	// chunkSize is the most a pump reads at once: small next to what a
	// connection sends in a round trip, large enough that 50 MiB/s is a
	// few thousand timer wake-ups a second, not tens of thousands.
	chunkSize = 32 << 10
	// minBurst is the least a bucket lets through at once after an idle
	// spell; see burst.
	minBurst = 64 << 10
)

// burst is what a bucket of rate lets through at once: the bytes of a
// spell of the given length, at least minBurst. It is also how late a
// starved pump may wake without losing rate for good (the debt it left
// is paid from the tokens that piled up meanwhile), which matters on a
// busy machine. A connection gets a round trip's worth, a full window, as
// TCP sends after an idle spell; the line 20 ms, a router's queue.
func burst(rate int64, spell time.Duration) int64 {
	return max(minBurst, int64(float64(rate)*spell.Seconds()))
}

const lineSpell = 20 * time.Millisecond

// Relay is a listener on 127.0.0.1 that relays every connection to an
// upstream address through the emulated link of its profile.
type Relay struct {
	profile  Profile
	upstream string
	ln       net.Listener
	up, down *bucket // the line, shared by every connection

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Start listens on a free port of 127.0.0.1 and relays to upstream
// (host:port) through p until Close.
func Start(upstream string, p Profile) (*Relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("wan relay: %w", err)
	}
	now := time.Now()
	r := &Relay{profile: p, upstream: upstream, ln: ln, conns: make(map[net.Conn]struct{}),
		up: newBucket(p.LineRate, burst(p.LineRate, lineSpell), now), down: newBucket(p.LineRate, burst(p.LineRate, lineSpell), now)}
	r.wg.Add(1)
	go r.serve()
	return r, nil
}

// Addr is the relay's host:port, the address clients dial instead of the
// upstream's.
func (r *Relay) Addr() string { return r.ln.Addr().String() }

// Profile is the link the relay emulates.
func (r *Relay) Profile() Profile { return r.profile }

// Close stops accepting, cuts every relayed connection and waits until
// all of the relay's goroutines have ended.
func (r *Relay) Close() error {
	err := r.ln.Close()
	r.mu.Lock()
	r.closed = true
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
	return err
}

func (r *Relay) serve() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return // closed
		}
		if !r.track(c) {
			c.Close()
			return
		}
		r.wg.Add(1)
		go r.handle(c)
	}
}

// track records a live connection so Close can cut it; false once closed.
func (r *Relay) track(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.conns[c] = struct{}{}
	return true
}

func (r *Relay) untrack(c net.Conn) {
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
	c.Close()
}

// handle relays one client connection until both directions have ended.
func (r *Relay) handle(client net.Conn) {
	defer r.wg.Done()
	defer r.untrack(client)
	opened := time.Now()
	server, err := net.Dial("tcp", r.upstream)
	if err != nil || !r.track(server) {
		if server != nil {
			server.Close()
		}
		return // the client sees its connection closed, as on a refused connect
	}
	defer r.untrack(server)
	p := r.profile
	window := burst(p.ConnRate, p.RTT)
	up := pump{src: client, dst: server, conn: newBucket(p.ConnRate, window, opened), line: r.up, rtt: p.RTT, notBefore: opened.Add(p.RTT)}
	down := pump{src: server, dst: client, conn: newBucket(p.ConnRate, window, opened), line: r.down, rtt: p.RTT}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); up.run() }()
	go func() { defer wg.Done(); down.run() }()
	wg.Wait()
}

// pump carries one direction of one connection.
type pump struct {
	src, dst   net.Conn
	conn, line *bucket
	rtt        time.Duration
	// notBefore holds back the client's first bytes until the handshake's
	// round trip is over (zero for the server's direction).
	notBefore time.Time
}

// chunk is what the reader took from src, due at dst at a given time.
type chunk struct {
	data []byte
	due  time.Time
}

// run reads, shapes and delays in one goroutine and delivers in order in
// another, so the link holds up to a round trip of data in flight. A
// clean end of src half-closes dst, as TCP would pass the FIN on; any
// failure cuts both sides.
func (p pump) run() {
	ch := make(chan chunk, pipeChunks(p))
	var readErr error
	go func() {
		defer close(ch)
		readErr = p.read(ch)
	}()
	for c := range ch {
		time.Sleep(time.Until(c.due))
		if _, err := p.dst.Write(c.data); err != nil {
			p.src.Close()
			p.dst.Close()
			for range ch { // let the reader end
			}
			return
		}
	}
	if readErr != nil {
		p.src.Close()
		p.dst.Close()
		return
	}
	if tc, ok := p.dst.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
}

// read takes chunks from src until it ends; nil at a clean end of file.
func (p pump) read(ch chan<- chunk) error {
	for {
		buf := make([]byte, chunkSize)
		n, err := p.src.Read(buf)
		if n > 0 {
			time.Sleep(p.conn.take(time.Now(), n))
			time.Sleep(p.line.take(time.Now(), n))
			ch <- chunk{data: buf[:n], due: deliverAt(time.Now(), p.notBefore, p.rtt)}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// deliverAt is when bytes that left the sender at sent reach the other
// side: half a round trip later, and never before notBefore's half round
// trip (the handshake) is over. It never decreases as sent grows, so
// chunks stay in order.
func deliverAt(sent, notBefore time.Time, rtt time.Duration) time.Time {
	if sent.Before(notBefore) {
		sent = notBefore
	}
	return sent.Add(rtt / 2)
}

// pipeChunks is room for twice what the link carries in half a round
// trip, so that the queue is never what limits the rate.
func pipeChunks(p pump) int {
	rate := int64(64 << 20)
	if p.conn != nil {
		rate = int64(p.conn.rate)
	} else if p.line != nil {
		rate = int64(p.line.rate)
	}
	inFlight := float64(rate) * p.rtt.Seconds() / 2
	return 8 + 2*int(inFlight/chunkSize)
}
