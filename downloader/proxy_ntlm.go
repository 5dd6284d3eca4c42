package downloader

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/go-ntlmssp"
)

// ProxyAuthNTLM is the ProxySettings.Auth of a proxy that wants Windows
// sign-in (NTLM, or Negotiate carrying NTLM), as corporate proxies do.
const ProxyAuthNTLM = "ntlm"

// NTLM signs in a connection, not a request: its two steps must travel on
// one TCP connection, which Go's transport cannot promise (a retry may take
// another from its pool). So the transport's dialers talk to the proxy
// themselves and hand the transport a connection already signed in:
//   - to an https server, DialTLSContext opens a tunnel (CONNECT), signs
//     it in, and does TLS through it; the transport sees a direct
//     connection to the server;
//   - to an http server, DialContext signs in a connection to the proxy
//     with a HEAD of the same address; the transport then sends its
//     request through the proxy as usual.
type ntlmProxy struct {
	t              *http.Transport
	find           func(*http.Request) (*url.URL, error)
	user, password string
	dial           func(ctx context.Context, network, addr string) (net.Conn, error)
}

// ntlmTarget carries a request's address to DialContext, which Go's
// transport calls with the request's context but only a host:port.
type ntlmTarget struct{}

// useNTLM makes t sign in to its proxies with NTLM.
func (p ProxySettings) useNTLM(t *http.Transport, find func(*http.Request) (*url.URL, error)) {
	n := &ntlmProxy{t: t, find: find, user: p.User, password: p.Password, dial: t.DialContext}
	if n.dial == nil {
		n.dial = (&net.Dialer{}).DialContext
	}
	t.Proxy = func(r *http.Request) (*url.URL, error) {
		u, err := find(r)
		if err != nil || u == nil || r.URL.Scheme != "https" || !isHTTPProxy(u) {
			return u, err
		}
		return nil, nil // DialTLSContext tunnels
	}
	t.DialContext = n.dialContext
	t.DialTLSContext = n.dialTLSContext
}

func isHTTPProxy(u *url.URL) bool { return u.Scheme == "http" || u.Scheme == "" }

// withNTLMTarget tells DialContext which address r is for.
func withNTLMTarget(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), ntlmTarget{}, r.URL))
}

func (n *ntlmProxy) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	target, _ := ctx.Value(ntlmTarget{}).(*url.URL)
	if target == nil || target.Scheme != "http" {
		return n.dial(ctx, network, addr)
	}
	proxy, err := n.find(&http.Request{URL: target, Host: target.Host})
	if err != nil || proxy == nil || !isHTTPProxy(proxy) || canonicalAddr(proxy) != addr {
		return n.dial(ctx, network, addr)
	}
	return n.signIn(ctx, addr, "HEAD", target.String(), target.Host)
}

func (n *ntlmProxy) dialTLSContext(ctx context.Context, network, addr string) (net.Conn, error) {
	target, _ := ctx.Value(ntlmTarget{}).(*url.URL)
	if target == nil {
		target = &url.URL{Scheme: "https", Host: addr}
	}
	proxy, err := n.find(&http.Request{URL: target, Host: target.Host})
	if err != nil {
		return nil, err
	}
	var raw net.Conn
	if proxy == nil || !isHTTPProxy(proxy) {
		raw, err = n.dial(ctx, network, addr)
	} else {
		raw, err = n.signIn(ctx, canonicalAddr(proxy), "CONNECT", addr, addr)
	}
	if err != nil {
		return nil, err
	}
	conf := &tls.Config{}
	if n.t.TLSClientConfig != nil {
		conf = n.t.TLSClientConfig.Clone()
	}
	if conf.ServerName == "" {
		conf.ServerName, _, _ = net.SplitHostPort(addr)
	}
	c := tls.Client(raw, conf)
	if err := c.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, err
	}
	return c, nil
}

// signIn dials the proxy and runs the handshake with method and uri: an
// offer (type 1), the proxy's challenge (type 2) in a 407, the answer
// (type 3). A proxy that needs no sign-in answers the offer at once.
func (n *ntlmProxy) signIn(ctx context.Context, proxyAddr, method, uri, host string) (net.Conn, error) {
	conn, err := n.dial(ctx, "tcp", proxyAddr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, err := n.handshake(conn, method, uri, host)
	if !stop() || err != nil {
		conn.Close()
		return nil, errors.Join(err, ctx.Err())
	}
	_ = conn.SetDeadline(time.Time{})
	return c, nil
}

func (n *ntlmProxy) handshake(conn net.Conn, method, uri, host string) (net.Conn, error) {
	br := bufio.NewReader(conn)
	offer, err := ntlmssp.NewNegotiateMessage("", "")
	if err != nil {
		return nil, err
	}
	resp, err := ask(conn, br, method, uri, host, "NTLM", offer)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusProxyAuthRequired {
		scheme, challenge, ok := ntlmChallenge(resp)
		if !ok {
			return nil, errProxyAuth
		}
		answer, err := ntlmssp.NewAuthenticateMessage(challenge, n.user, n.password, nil)
		if err != nil {
			return nil, fmt.Errorf("proxy NTLM challenge: %w", err)
		}
		if resp, err = ask(conn, br, method, uri, host, scheme, answer); err != nil {
			return nil, err
		}
	}
	switch {
	case resp.StatusCode == http.StatusProxyAuthRequired:
		return nil, errProxyAuth
	case method == "CONNECT" && resp.StatusCode/100 != 2:
		return nil, &HTTPError{Status: resp.StatusCode, Message: "proxy CONNECT: " + resp.Status}
	case method != "CONNECT" && resp.Close: // a tunnel's answer has no length: it always "closes"
		return nil, fmt.Errorf("proxy %s: the proxy closed the connection it signed in", method)
	}
	return &bufferedConn{conn, br}, nil
}

// ask sends one request of the handshake and reads the proxy's answer
// whole, so the connection is ready for the next.
func ask(conn net.Conn, br *bufio.Reader, method, uri, host, scheme string, token []byte) (*http.Response, error) {
	req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: %s %s\r\nProxy-Connection: Keep-Alive\r\n\r\n",
		method, uri, host, scheme, base64.StdEncoding.EncodeToString(token))
	if _, err := conn.Write([]byte(req)); err != nil {
		return nil, fmt.Errorf("proxy %s: %w", method, err)
	}
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return nil, fmt.Errorf("proxy %s: %w", method, err)
	}
	if method != "CONNECT" || resp.StatusCode/100 != 2 { // a tunnel's body is the server's
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}
	return resp, nil
}

// ntlmChallenge finds the proxy's type-2 message, under NTLM or Negotiate.
func ntlmChallenge(resp *http.Response) (scheme string, challenge []byte, ok bool) {
	for _, h := range resp.Header.Values("Proxy-Authenticate") {
		s, tok, _ := strings.Cut(h, " ")
		if !strings.EqualFold(s, "NTLM") && !strings.EqualFold(s, "Negotiate") {
			continue
		}
		if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(tok)); err == nil && len(b) > 0 {
			return s, b, true
		}
	}
	return "", nil, false
}

// bufferedConn keeps what the handshake's reader read ahead.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// canonicalAddr is u's host:port, with the scheme's port when it has none.
func canonicalAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443"}[u.Scheme]
		if port == "" {
			port = "80"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}
