package wan

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"testing"
	"time"
)

// These tests run real connections, so they assert only what no slow
// machine can break: bytes arrive intact, and the link never delivers
// sooner than its profile allows. How close it comes to the profile is
// measured by `dlbench -wan-selfcheck`, not gated here.

// serve runs handle for every connection to a loopback listener until
// the test ends.
func serve(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); handle(c) }()
		}
	}()
	return ln.Addr().String()
}

func startRelay(t *testing.T, upstream string, p Profile) *Relay {
	t.Helper()
	r, err := Start(upstream, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestRelayCarriesBothDirectionsIntact(t *testing.T) {
	t.Parallel()
	request, answer := randomBytes(t, 300<<10), randomBytes(t, 1<<20)
	got := make(chan []byte, 1)
	addr := serve(t, func(c net.Conn) {
		b, _ := io.ReadAll(c) // until the client's half-close arrives
		got <- b
		c.Write(answer)
	})
	r := startRelay(t, addr, Profile{Name: "test", RTT: 4 * time.Millisecond, ConnRate: 64 * MiB, LineRate: 64 * MiB})
	c, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(request); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	back, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	if b := <-got; !bytes.Equal(b, request) {
		t.Errorf("the server got %d bytes, want the %d sent, unchanged", len(b), len(request))
	}
	if !bytes.Equal(back, answer) {
		t.Errorf("the client got %d bytes, want the %d the server sent, unchanged", len(back), len(answer))
	}
}

// download reads everything the server sends through r and returns how
// long it took from the dial.
func download(t *testing.T, r *Relay) time.Duration {
	t.Helper()
	start := time.Now()
	c, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Error(err)
		return 0
	}
	defer c.Close()
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Error(err)
	}
	return time.Since(start)
}

func sender(n int) func(net.Conn) {
	return func(c net.Conn) { c.Write(make([]byte, n)) }
}

func TestRelayCapsAConnection(t *testing.T) {
	t.Parallel()
	r := startRelay(t, serve(t, sender(1*MiB)), Profile{Name: "test", ConnRate: 1 * MiB})
	// 1 MiB at 1 MiB/s, less the first burst: 0.94 s at the least.
	if took := download(t, r); took < 900*time.Millisecond {
		t.Errorf("1 MiB at 1 MiB/s took %v, want at least 0.9 s", took)
	}
}

func TestRelayConnectionsShareTheLine(t *testing.T) {
	t.Parallel()
	r := startRelay(t, serve(t, sender(256<<10)), Profile{Name: "test", LineRate: 1 * MiB})
	start := time.Now()
	done := make(chan struct{})
	for range 4 {
		go func() { download(t, r); done <- struct{}{} }()
	}
	for range 4 {
		<-done
	}
	// 4 × 256 KiB on a 1 MiB/s line, less its first burst (64 KiB): 0.94 s
	// at least.
	if took := time.Since(start); took < 900*time.Millisecond {
		t.Errorf("4 connections of 256 KiB on a 1 MiB/s line took %v, want at least 0.9 s", took)
	}
}

func TestRelayFirstByteTakesTwoRoundTrips(t *testing.T) {
	t.Parallel()
	addr := serve(t, func(c net.Conn) {
		b := make([]byte, 1)
		if _, err := c.Read(b); err == nil {
			c.Write(b)
		}
	})
	rtt := 100 * time.Millisecond
	r := startRelay(t, addr, Profile{Name: "test", RTT: rtt})
	start := time.Now()
	c, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := []byte{'?'}
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatal(err)
	}
	// The handshake's round trip, then the request's.
	if took := time.Since(start); took < 2*rtt {
		t.Errorf("the first byte came after %v, want at least two round trips (%v)", took, 2*rtt)
	}
}

func TestCloseCutsLiveConnections(t *testing.T) {
	t.Parallel()
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	addr := serve(t, func(c net.Conn) { <-hold }) // a server that never answers
	r, err := Start(addr, Profile{Name: "test", RTT: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("GET"))
	r.Close() // returns only once every goroutine of the relay has ended
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("the client's connection still works after Close, want it cut")
	}
}
