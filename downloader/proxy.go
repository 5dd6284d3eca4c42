package downloader

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpproxy"
)

// ProxySettings say how requests reach the servers. The zero value is the
// system's way: HTTPS_PROXY/HTTP_PROXY/NO_PROXY when set, else the
// operating system's proxy settings (Windows and macOS with their PAC
// files and WPAD; GNOME's or KDE's on Linux), else no proxy.
type ProxySettings struct {
	// URL is a proxy every request goes through ("http://proxy:3128");
	// it wins over the rest. "direct" means no proxy at all.
	URL string `json:"url,omitempty"`
	// PAC is the address of a proxy auto-config file (http, https or
	// file), used when URL is empty (pac.go).
	PAC string `json:"pac,omitempty"`
	// User and Password answer a proxy that asks (407) when the proxy's
	// address carries no credentials of its own: Basic, or NTLM (a
	// Windows user as DOMAIN\user) when Auth says so.
	User     string `json:"user,omitempty"`
	Password string `json:"password,omitempty"`
	// Auth is "" (Basic) or ProxyAuthNTLM (proxy_ntlm.go).
	Auth string `json:"auth,omitempty"`
}

const (
	// CodeProxyAuth is the FileError code of a proxy that refused dlhelper.
	CodeProxyAuth = "proxy_auth"
)

// errProxyAuth is a proxy's 407 answer to a CONNECT.
var errProxyAuth = &HTTPError{Status: http.StatusProxyAuthRequired, Message: "Proxy Authentication Required"}

// Check reports settings that cannot work, naming the field.
func (p ProxySettings) Check() error {
	if p.Auth != "" && p.Auth != ProxyAuthNTLM {
		return fmt.Errorf("%w: proxy auth %q: use %q or leave it empty for Basic", ErrInvalid, p.Auth, ProxyAuthNTLM)
	}
	_, err := p.finder()
	return err
}

// apply makes t find its proxy by p and report a proxy's refusal as an
// HTTPError, which Go's transport would otherwise flatten into the text
// "Proxy Authentication Required". Settings that fail Check fail every
// request with Check's error rather than going around the proxy.
func (p ProxySettings) apply(t *http.Transport) {
	find, err := p.finder()
	if err != nil {
		find = func(*http.Request) (*url.URL, error) { return nil, err }
	}
	if p.Auth == ProxyAuthNTLM && p.User != "" {
		p.useNTLM(t, find)
	} else {
		t.Proxy = p.withCredentials(find)
	}
	t.OnProxyConnectResponse = func(_ context.Context, _ *url.URL, _ *http.Request, resp *http.Response) error {
		if resp.StatusCode == http.StatusProxyAuthRequired {
			return errProxyAuth
		}
		return nil
	}
}

// finder picks where proxies come from, in the order ProxySettings says.
func (p ProxySettings) finder() (func(*http.Request) (*url.URL, error), error) {
	switch {
	case strings.EqualFold(p.URL, "direct"):
		return func(*http.Request) (*url.URL, error) { return nil, nil }, nil
	case p.URL != "":
		u, err := parseProxyURL(p.URL)
		if err != nil {
			return nil, err
		}
		return func(*http.Request) (*url.URL, error) { return u, nil }, nil
	case p.PAC != "":
		return pacFinder(p.PAC)
	}
	if env := httpproxy.FromEnvironment(); env.HTTPProxy != "" || env.HTTPSProxy != "" {
		f := env.ProxyFunc()
		return func(r *http.Request) (*url.URL, error) { return f(r.URL) }, nil
	}
	return systemProxy(), nil
}

// withCredentials adds User and Password to a proxy address without its own.
func (p ProxySettings) withCredentials(find func(*http.Request) (*url.URL, error)) func(*http.Request) (*url.URL, error) {
	if p.User == "" {
		return find
	}
	return func(r *http.Request) (*url.URL, error) {
		u, err := find(r)
		if u == nil || err != nil || u.User != nil {
			return u, err
		}
		c := *u
		c.User = url.UserPassword(p.User, p.Password)
		return &c, nil
	}
}

// parseProxyURL reads a proxy address; "host:port" means an HTTP proxy.
func parseProxyURL(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w: proxy %q is not an address like http://proxy.example.com:3128", ErrInvalid, s)
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
		return u, nil
	}
	return nil, fmt.Errorf("%w: proxy %q: use http, https or socks5", ErrInvalid, s)
}

// proxyAware sends requests through t, calling a proxy's 401 what it is.
func proxyAware(t *http.Transport) http.RoundTripper { return &proxyTransport{t} }

// proxyTransport makes a proxy's refusal a 407 whatever status it chose:
// some proxies (tinyproxy) refuse a forwarded request with 401, which
// would read as the server refusing the file. S3 and MinIO never answer
// 401 (they refuse with 403), so a 401 to a proxied request is the proxy's.
type proxyTransport struct{ *http.Transport }

func (p *proxyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := p.Transport.RoundTrip(withNTLMTarget(r))
	if err != nil || resp.StatusCode != http.StatusUnauthorized || r.URL.Scheme != "http" || p.Proxy == nil {
		return resp, err
	}
	if u, perr := p.Proxy(r); perr == nil && u != nil {
		resp.StatusCode, resp.Status = http.StatusProxyAuthRequired, "407 Proxy Authentication Required"
	}
	return resp, nil
}
