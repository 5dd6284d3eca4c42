package downloader

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
)

// pacHelpers are the functions a PAC file may call (Netscape's list, less
// the date and time ones, which corporate PAC files hardly use).
const pacHelpers = `
function isPlainHostName(h) { return h.indexOf('.') < 0; }
function dnsDomainIs(h, d) { return h.length >= d.length && h.substring(h.length - d.length) === d; }
function localHostOrDomainIs(h, hd) { return h === hd || (isPlainHostName(h) && hd.indexOf(h + '.') === 0); }
function dnsDomainLevels(h) { return h.split('.').length - 1; }
function isResolvable(h) { return dnsResolve(h) !== null; }
function shExpMatch(s, p) {
  var re = p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp('^' + re + '$').test(s);
}
function ip4(a) { var p = a.split('.'); return ((+p[0] << 24) | (+p[1] << 16) | (+p[2] << 8) | +p[3]) >>> 0; }
function isInNet(h, pat, mask) {
  var a = /^\d+\.\d+\.\d+\.\d+$/.test(h) ? h : dnsResolve(h);
  if (a === null) return false;
  return ((ip4(a) & ip4(mask)) >>> 0) === ((ip4(pat) & ip4(mask)) >>> 0);
}
`

// pac evaluates one PAC file. A goja runtime serves one goroutine at a
// time, so calls are serialised; answers are kept per scheme and host.
type pac struct {
	src   string
	mu    sync.Mutex
	vm    *goja.Runtime
	find  goja.Callable
	cache sync.Map // "scheme://host" -> *url.URL (nil for DIRECT)
}

// pacFinder loads the PAC file at addr lazily: dlhelper may start before
// the network is up, so a PAC server that cannot be reached is asked
// again at the next request rather than failing the program.
func pacFinder(addr string) (func(*http.Request) (*url.URL, error), error) {
	if _, err := url.Parse(addr); err != nil {
		return nil, fmt.Errorf("%w: PAC address %q: %v", ErrInvalid, addr, err)
	}
	p := &pac{src: addr}
	return p.proxyFor, nil
}

func (p *pac) proxyFor(r *http.Request) (*url.URL, error) {
	key := r.URL.Scheme + "://" + r.URL.Host
	if u, ok := p.cache.Load(key); ok {
		return u.(*url.URL), nil
	}
	// Like browsers, the script sees no path or query: the signature of
	// a presigned URL is none of the PAC server's business.
	answer, err := p.eval(key+"/", r.URL.Hostname())
	if err != nil {
		return nil, fmt.Errorf("proxy auto-config %s: %w", p.src, err)
	}
	u, err := pacProxy(answer)
	if err != nil {
		return nil, fmt.Errorf("proxy auto-config %s: %w", p.src, err)
	}
	p.cache.Store(key, u)
	return u, nil
}

func (p *pac) eval(rawURL, host string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.find == nil {
		if err := p.load(); err != nil {
			return "", err
		}
	}
	v, err := p.find(goja.Undefined(), p.vm.ToValue(rawURL), p.vm.ToValue(host))
	if err != nil {
		return "", err
	}
	return v.String(), nil
}

// load fetches and compiles the script; p.mu is held.
func (p *pac) load() error {
	src, err := fetchPAC(p.src)
	if err != nil {
		return err
	}
	vm := goja.New()
	_ = vm.Set("dnsResolve", func(h string) any {
		ips, err := net.LookupIP(h)
		for _, ip := range ips {
			if ip4 := ip.To4(); ip4 != nil && err == nil {
				return ip4.String()
			}
		}
		return nil
	})
	_ = vm.Set("myIpAddress", myIPAddress)
	if _, err := vm.RunString(pacHelpers); err != nil {
		return err
	}
	if _, err := vm.RunScript(p.src, src); err != nil {
		return fmt.Errorf("the script does not run: %w", err)
	}
	find, ok := goja.AssertFunction(vm.Get("FindProxyForURL"))
	if !ok {
		return fmt.Errorf("the script has no FindProxyForURL function")
	}
	p.vm, p.find = vm, find
	return nil
}

// fetchPAC reads a PAC file from a file:// or http(s):// address, directly:
// the PAC file says which proxy to use, so it cannot be fetched through one.
func fetchPAC(addr string) (string, error) {
	u, err := url.Parse(addr)
	if err != nil {
		return "", err
	}
	var body io.Reader
	switch u.Scheme {
	case "file":
		f, err := os.Open(u.Path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		body = f
	case "http", "https":
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr, nil)
		if err != nil {
			return "", err
		}
		resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("http %d", resp.StatusCode)
		}
		body = resp.Body
	default:
		return "", fmt.Errorf("a PAC address must be file, http or https")
	}
	raw, err := io.ReadAll(io.LimitReader(body, 1<<20))
	return string(raw), err
}

// pacProxy reads the first entry of a PAC answer ("PROXY p:3128; DIRECT").
// Later entries, the fallbacks, are not tried.
func pacProxy(answer string) (*url.URL, error) {
	first, _, _ := strings.Cut(answer, ";")
	kind, addr, _ := strings.Cut(strings.TrimSpace(first), " ")
	addr = strings.TrimSpace(addr)
	switch strings.ToUpper(kind) {
	case "", "DIRECT":
		return nil, nil
	case "PROXY", "HTTP":
		return &url.URL{Scheme: "http", Host: addr}, nil
	case "HTTPS":
		return &url.URL{Scheme: "https", Host: addr}, nil
	case "SOCKS", "SOCKS5":
		return &url.URL{Scheme: "socks5", Host: addr}, nil
	}
	return nil, fmt.Errorf("the answer %q names no proxy this program can use", answer)
}

// myIPAddress is the address of the interface that reaches the Internet,
// found by a UDP "connection" that sends nothing.
func myIPAddress() string {
	c, err := net.Dial("udp4", "192.0.2.1:9") // TEST-NET-1: no packet leaves
	if err != nil {
		return "127.0.0.1"
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP.String()
}
