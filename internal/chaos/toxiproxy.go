package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"sync"
	"time"

	"dlhelper/internal/testenv"
)

// Toxiproxy is a toxiproxy server on loopback, driven over its HTTP API.
//
// Toxics are never changed while a proxy has links: in v2.12 deleting a
// toxic while a link's destination has gone (which a downloader cutting
// stalled connections causes all the time) can block forever with the
// proxy collection's lock held, freezing the whole API
// (Shopify/toxiproxy#558, fix pending in #760), and adding one behind a
// timeout or bandwidth toxic that holds its link's data was seen to hang
// the same way. Restart instead kills the server and starts a
// fresh one on the same ports with the proxies and toxics it should have:
// that is also how a cut is made, since a killed proxy refuses and resets
// exactly like a dropped network.
type Toxiproxy struct {
	// API is the server's control address, host:port.
	API string

	bin    string
	hc     *http.Client
	output tailWriter

	// mu serialises changes: faults run concurrently, and a restart must
	// not interleave with a toxic being added.
	mu      sync.Mutex
	proxies []*Proxy
	proc    *toxiproxyProc
}

type toxiproxyProc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// StartToxiproxy runs the server bin on a free 127.0.0.1 port and waits
// until its API answers; ctx bounds the start only.
func StartToxiproxy(ctx context.Context, bin string) (*Toxiproxy, error) {
	api, err := freeAddr()
	if err != nil {
		return nil, fmt.Errorf("start toxiproxy: %w", err)
	}
	tp := &Toxiproxy{API: api, bin: bin, hc: &http.Client{Timeout: 10 * time.Second}}
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if err := tp.start(ctx); err != nil {
		return nil, err
	}
	return tp, nil
}

// start runs the server; tp.mu must be held.
func (tp *Toxiproxy) start(ctx context.Context) error {
	host, port, _ := net.SplitHostPort(tp.API)
	cmd := exec.Command(tp.bin, "-host", host, "-port", port)
	cmd.Env = append(cmd.Environ(), "LOG_LEVEL=error")
	cmd.Stdout, cmd.Stderr = &tp.output, &tp.output
	cmd.SysProcAttr = testenv.DieWithTest()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start toxiproxy: %w", err)
	}
	p := &toxiproxyProc{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	tp.proc = p
	if err := tp.waitAPI(ctx, p); err != nil {
		tp.kill()
		return fmt.Errorf("start toxiproxy on %s: %w\n%s", tp.API, err, tp.Output())
	}
	return nil
}

func (tp *Toxiproxy) waitAPI(ctx context.Context, p *toxiproxyProc) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if err := tp.call(ctx, http.MethodGet, "/version", nil); err == nil {
			return nil
		}
		select {
		case <-p.done:
			return errors.New("the server exited before it answered")
		case <-ctx.Done():
			return fmt.Errorf("no answer from /version: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Kill ends the server with SIGKILL and waits for it: every connection
// through it drops and its ports refuse until Restart.
func (tp *Toxiproxy) Kill() {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	tp.kill()
}

func (tp *Toxiproxy) kill() {
	if tp.proc == nil {
		return
	}
	tp.proc.cmd.Process.Kill()
	<-tp.proc.done
	tp.proc = nil
}

// Restart kills the server if it runs and starts it again on the same
// ports with the same proxies and their toxics. Each proxy is created
// disabled, given its toxics and only then enabled: a client reconnecting
// at once must never hold a link while toxics are added, which is what
// freezes the API (see the type's comment).
func (tp *Toxiproxy) Restart(ctx context.Context) error {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	tp.kill()
	if err := tp.start(ctx); err != nil {
		return err
	}
	for _, p := range tp.proxies {
		if err := p.create(ctx, len(p.toxics) == 0); err != nil {
			return err
		}
		if len(p.toxics) == 0 {
			continue
		}
		for _, t := range p.toxics {
			if err := p.addToxic(ctx, t); err != nil {
				return err
			}
		}
		if err := tp.call(ctx, http.MethodPost, "/proxies/"+p.Name, map[string]any{"enabled": true}); err != nil {
			return fmt.Errorf("enable proxy %s: %w", p.Name, err)
		}
	}
	return nil
}

// Output is the tail of what the server printed.
func (tp *Toxiproxy) Output() string { return tp.output.String() }

// Proxy is one listener of the server forwarding to an upstream.
type Proxy struct {
	tp   *Toxiproxy
	Name string
	// Listen is the address clients dial, host:port on 127.0.0.1; it
	// stays the same across restarts, so presigned URLs stay valid.
	Listen   string
	upstream string
	toxics   []Toxic
}

// CreateProxy makes a proxy from a free loopback port to upstream.
func (tp *Toxiproxy) CreateProxy(ctx context.Context, name, upstream string) (*Proxy, error) {
	listen, err := freeAddr()
	if err != nil {
		return nil, fmt.Errorf("create proxy %s: %w", name, err)
	}
	p := &Proxy{tp: tp, Name: name, Listen: listen, upstream: upstream}
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if err := p.create(ctx, true); err != nil {
		return nil, err
	}
	tp.proxies = append(tp.proxies, p)
	return p, nil
}

func (p *Proxy) create(ctx context.Context, enabled bool) error {
	body := map[string]any{"name": p.Name, "listen": p.Listen, "upstream": p.upstream, "enabled": enabled}
	if err := p.tp.call(ctx, http.MethodPost, "/proxies", body); err != nil {
		return fmt.Errorf("create proxy %s: %w", p.Name, err)
	}
	return nil
}

// SetEnabled turns the proxy off and on as a network that disappears and
// comes back: off closes its listener and every connection through it
// (a reset), so new ones are refused until it is on again.
func (p *Proxy) SetEnabled(ctx context.Context, enabled bool) error {
	if err := p.tp.call(ctx, http.MethodPost, "/proxies/"+p.Name, map[string]any{"enabled": enabled}); err != nil {
		return fmt.Errorf("enable proxy %s (%v): %w", p.Name, enabled, err)
	}
	return nil
}

// Toxic is one toxic as the API takes it. Attributes depend on Type:
// reset_peer {timeout}, timeout {timeout}, slicer {average_size,
// size_variation, delay}, bandwidth {rate}, latency {latency, jitter}.
// Toxicity is the share of connections it applies to.
type Toxic struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream"`
	Toxicity   float32        `json:"toxicity"`
	Attributes map[string]any `json:"attributes"`
}

// SetToxics makes toxics the proxy's whole set from the next Restart on.
// Toxics are only ever put on a fresh server, before its proxies accept
// anything; see Restart.
func (p *Proxy) SetToxics(toxics []Toxic) {
	p.tp.mu.Lock()
	defer p.tp.mu.Unlock()
	p.toxics = slices.Clone(toxics)
}

func (p *Proxy) addToxic(ctx context.Context, t Toxic) error {
	if err := p.tp.call(ctx, http.MethodPost, "/proxies/"+p.Name+"/toxics", t); err != nil {
		return fmt.Errorf("add toxic %s: %w", t.Name, err)
	}
	return nil
}

// call sends one API request; any answer but 2xx is an error carrying
// the server's message.
func (tp *Toxiproxy) call(ctx context.Context, method, path string, body any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+tp.API+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := tp.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// freeAddr asks the kernel for a free loopback port.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// tailWriter keeps the last 64 KiB the server printed; exec writes to it
// from its own goroutines, hence the lock.
type tailWriter struct {
	mu  sync.Mutex
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - 64<<10; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	return len(p), nil
}

func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}
