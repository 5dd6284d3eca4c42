package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"dlhelper/internal/testenv"
	"dlhelper/internal/wan"
)

// selfCheckTolerance is how far a measured figure may be from its
// expectation before --wan-selfcheck calls the emulator off its profile.
const selfCheckTolerance = 0.05

// check is one figure --wan-selfcheck measures.
type check struct {
	name     string
	profile  wan.Profile
	expected time.Duration
	measure  func(ctx context.Context, r *wan.Relay) (time.Duration, error)
	tls      bool // the upstream answers over TLS
}

// selfCheck measures the WAN emulator against what its profiles promise
// and prints a table; it returns 1 when a figure is off by more than 5%.
// These are timings, so they live here, run by hand on an idle machine,
// rather than in go test, where a shared CI machine would make them flaky.
func selfCheck(ctx context.Context, stdout, log io.Writer) int {
	p60, p200 := wan.RTT60, wan.RTT200
	const oneStream, perStream, streams = 64 << 20, 16 << 20, 20
	checks := []check{
		{name: "one stream of 64 MiB, capped per connection", profile: p60,
			expected: rateTime(oneStream, p60.ConnRate) + 2*p60.RTT, measure: streamsTook(1, oneStream)},
		{name: "20 streams of 16 MiB share the line", profile: p60,
			expected: rateTime(streams*perStream, p60.LineRate) + 2*p60.RTT, measure: streamsTook(streams, perStream)},
		{name: "first byte of a tiny object: 2 round trips", profile: p60, expected: 2 * p60.RTT, measure: firstByte(false)},
		{name: "first byte of a tiny object: 2 round trips", profile: p200, expected: 2 * p200.RTT, measure: firstByte(false)},
		{name: "first byte over TLS 1.3: 3 round trips", profile: p60, expected: 3 * p60.RTT, measure: firstByte(true), tls: true},
	}
	cert, err := selfCheckCertificate()
	if err != nil {
		fmt.Fprintf(log, "dlbench: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "| check | profile | expected (s) | measured (s) | off by | within 5% |")
	fmt.Fprintln(stdout, "|---|---|--:|--:|--:|---|")
	code := 0
	for _, c := range checks {
		took, err := runCheck(ctx, c, cert)
		if err != nil {
			fmt.Fprintf(log, "dlbench: %s: %v\n", c.name, err)
			return 1
		}
		off := took.Seconds()/c.expected.Seconds() - 1
		ok := "yes"
		if off > selfCheckTolerance || off < -selfCheckTolerance {
			ok, code = "**no**", 1
		}
		fmt.Fprintf(stdout, "| %s | %s | %.3f | %.3f | %+.1f%% | %s |\n", c.name, c.profile.Name, c.expected.Seconds(), took.Seconds(), 100*off, ok)
	}
	return code
}

func rateTime(bytes, rate int64) time.Duration {
	return time.Duration(float64(bytes) / float64(rate) * float64(time.Second))
}

// runCheck starts a sender (plain or TLS) and a relay in front of it.
func runCheck(ctx context.Context, c check, cert tls.Certificate) (time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	if c.tls {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13})
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer ln.Close()
	wg.Go(func() { serveSender(ln) })
	r, err := wan.Start(ln.Addr().String(), c.profile)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	return c.measure(ctx, r)
}

// serveSender answers each line "N" with N zero bytes, then closes.
func serveSender(ln net.Listener) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		wg.Go(func() {
			defer c.Close()
			line, err := bufio.NewReader(c).ReadString('\n')
			n, _ := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
			if err == nil {
				io.CopyN(c, zeros{}, n)
			}
		})
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// streamsTook is the time from the first dial until n connections, each
// asking for size bytes, have all read them.
func streamsTook(n int, size int64) func(context.Context, *wan.Relay) (time.Duration, error) {
	return func(ctx context.Context, r *wan.Relay) (time.Duration, error) {
		start := time.Now()
		errs := make(chan error, n)
		for range n {
			go func() { errs <- fetch(r.Addr(), size, nil) }()
		}
		for range n {
			if err := <-errs; err != nil {
				return 0, err
			}
		}
		return time.Since(start), nil
	}
}

// firstByte is the median of 5 times from dial to the first byte of a
// one-byte answer, over a new connection each time.
func firstByte(overTLS bool) func(context.Context, *wan.Relay) (time.Duration, error) {
	return func(ctx context.Context, r *wan.Relay) (time.Duration, error) {
		var times []time.Duration
		for range 5 {
			var conf *tls.Config
			if overTLS {
				conf = &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13} // the check's own server
			}
			start := time.Now()
			if err := fetch(r.Addr(), 1, conf); err != nil {
				return 0, err
			}
			times = append(times, time.Since(start))
		}
		slices.Sort(times)
		return times[len(times)/2], nil
	}
}

// fetch dials addr (through TLS when conf is set), asks for size bytes
// and reads them.
func fetch(addr string, size int64, conf *tls.Config) error {
	var c net.Conn
	var err error
	if conf != nil {
		c, err = tls.Dial("tcp", addr, conf)
	} else {
		c, err = net.Dial("tcp", addr)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := fmt.Fprintf(c, "%d\n", size); err != nil {
		return err
	}
	got, err := io.Copy(io.Discard, c)
	if err == nil && got != size {
		err = fmt.Errorf("got %d bytes, want %d", got, size)
	}
	return err
}

// selfCheckCertificate is a throw-away certificate for the TLS check.
func selfCheckCertificate() (tls.Certificate, error) {
	dir, err := os.MkdirTemp("", "dlbench-selfcheck-")
	if err != nil {
		return tls.Certificate{}, err
	}
	defer os.RemoveAll(dir)
	c, err := testenv.NewCertificate(dir)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.LoadX509KeyPair(c.CAFile, filepath.Join(dir, "private.key"))
}
