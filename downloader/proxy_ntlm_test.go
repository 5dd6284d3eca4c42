package downloader

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"

	"golang.org/x/crypto/md4"

	"dlhelper/internal/faultserver"
)

// ntlmProxyServer is a proxy that lets a connection through only once it
// has signed in with NTLMv2 as CORP\user: it sends a fixed challenge and
// checks the answer's proof the way a domain controller would. It
// forwards plain requests and CONNECT tunnels; proxiedHost means 127.0.0.1.
type ntlmProxyServer struct {
	addr           string
	user, password string
	signedIn       atomic.Int64 // connections signed in
	refused        atomic.Int64 // answers that did not prove the password
}

var testServerChallenge = [8]byte{1, 2, 3, 4, 5, 6, 7, 8}

func startNTLMProxy(t *testing.T, user, password string) *ntlmProxyServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &ntlmProxyServer{addr: ln.Addr().String(), user: user, password: password}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { p.serve(c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return p
}

func (p *ntlmProxyServer) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	signedIn := false
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if !signedIn {
			msg := ntlmToken(req.Header.Get("Proxy-Authorization"))
			switch {
			case len(msg) > 8 && msg[8] == 1:
				p.deny(c, req, "NTLM "+base64.StdEncoding.EncodeToString(testChallenge()))
				continue
			case len(msg) > 8 && msg[8] == 3 && p.proves(msg):
				signedIn = true
				p.signedIn.Add(1)
			default:
				if len(msg) > 0 {
					p.refused.Add(1)
				}
				p.deny(c, req, "NTLM")
				continue
			}
		}
		if req.Method == http.MethodConnect {
			p.tunnel(c, br, req.Host)
			return
		}
		if !p.forward(c, req) {
			return
		}
	}
}

func ntlmToken(h string) []byte {
	scheme, tok, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "NTLM") {
		return nil
	}
	b, _ := base64.StdEncoding.DecodeString(tok)
	return b
}

func (p *ntlmProxyServer) deny(c net.Conn, req *http.Request, challenge string) {
	_, _ = io.Copy(io.Discard, req.Body)
	resp := &http.Response{StatusCode: http.StatusProxyAuthRequired, ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Proxy-Authenticate": {challenge}}, ContentLength: 0, Body: http.NoBody}
	_ = resp.Write(c)
}

// testChallenge is a type-2 message: no target name, NTLMv2 flags, the
// fixed server challenge, and target info naming the domain.
func testChallenge() []byte {
	info := append([]byte{2, 0}, u16(uint16(len(utf16le("CORP"))))...)
	info = append(info, utf16le("CORP")...)
	info = append(info, 0, 0, 0, 0) // MsvAvEOL
	var b bytes.Buffer
	b.WriteString("NTLMSSP\x00")
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	w(uint32(2))
	w([8]byte{0, 0, 0, 0, 48, 0, 0, 0})                          // TargetName: empty
	w(uint32(0x00000001 | 0x00000200 | 0x00800000 | 0x00080000)) // unicode, NTLM, target info, extended security
	w(testServerChallenge)
	w([8]byte{})
	w(u16(uint16(len(info))))
	w(u16(uint16(len(info))))
	w(uint32(48))
	b.Write(info)
	return b.Bytes()
}

// proves checks a type-3 message's NTLMv2 proof for CORP\user and password.
func (p *ntlmProxyServer) proves(msg []byte) bool {
	field := func(at int) []byte {
		if len(msg) < at+8 {
			return nil
		}
		n, off := int(binary.LittleEndian.Uint16(msg[at:])), int(binary.LittleEndian.Uint32(msg[at+4:]))
		if off+n > len(msg) {
			return nil
		}
		return msg[off : off+n]
	}
	nt, domain, user := field(20), field(28), field(36)
	if len(nt) < 16 || !bytes.Equal(user, utf16le(p.user)) || !bytes.Equal(domain, utf16le("CORP")) {
		return false
	}
	h := md4.New()
	h.Write(utf16le(p.password))
	key := hmacMD5(h.Sum(nil), utf16le(strings.ToUpper(p.user)+"CORP"))
	return hmac.Equal(nt[:16], hmacMD5(key, testServerChallenge[:], nt[16:]))
}

func (p *ntlmProxyServer) tunnel(c net.Conn, br *bufio.Reader, hostport string) {
	_, port, _ := net.SplitHostPort(hostport)
	up, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	defer up.Close()
	_, _ = io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	done := make(chan struct{})
	go func() { _, _ = io.Copy(up, br); up.(*net.TCPConn).CloseWrite(); close(done) }()
	_, _ = io.Copy(c, up)
	c.Close()
	<-done
}

func (p *ntlmProxyServer) forward(c net.Conn, req *http.Request) bool {
	out := req.Clone(req.Context())
	out.RequestURI = ""
	out.URL.Host = "127.0.0.1:" + req.URL.Port()
	out.Header.Del("Proxy-Authorization")
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return false
	}
	defer resp.Body.Close()
	return resp.Write(c) == nil
}

func utf16le(s string) []byte {
	var b []byte
	for _, r := range utf16.Encode([]rune(s)) {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

func u16(v uint16) []byte { return []byte{byte(v), byte(v >> 8)} }

func hmacMD5(key []byte, data ...[]byte) []byte {
	m := hmac.New(md5.New, key)
	for _, d := range data {
		m.Write(d)
	}
	return m.Sum(nil)
}

func TestDownloadsSignInToAnNTLMProxy(t *testing.T) {
	data := proxyTestData(t)
	plain := faultserver.New(t, data)
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(w, r, "a.zip", time.Time{}, bytes.NewReader(data))
	}))
	t.Cleanup(secure.Close)
	tlsConf := secure.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	tlsConf.ServerName = "example.com" // in httptest's certificate

	for _, tc := range []struct {
		name, url string
		tls       *tls.Config
	}{
		{"an http server through the proxy", viaProxiedHost(t, plain.URL()), nil},
		{"an https server through a CONNECT tunnel", viaProxiedHost(t, secure.URL) + "/a.zip", tlsConf},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy := startNTLMProxy(t, "alice", "s3cret")
			f := downloadVia(t, ProxySettings{URL: proxy.addr, User: `CORP\alice`, Password: "s3cret", Auth: ProxyAuthNTLM}, tc.url, tc.tls)
			if f.State != FileCompleted {
				t.Fatalf("file %s (%v); want completed through the proxy", f.State, f.Error)
			}
			assertFile(t, f.Path, data)
			if proxy.signedIn.Load() == 0 {
				t.Errorf("no connection signed in to the proxy")
			}

			f = downloadVia(t, ProxySettings{URL: proxy.addr, User: `CORP\alice`, Password: "wrong", Auth: ProxyAuthNTLM}, tc.url, tc.tls)
			if f.State != FileFailed || f.Error == nil || f.Error.Code != CodeProxyAuth {
				t.Fatalf("with a wrong password: file %s (%+v); want failed with %s", f.State, f.Error, CodeProxyAuth)
			}
			if proxy.refused.Load() == 0 {
				t.Errorf("with a wrong password: the proxy saw no answer to refuse")
			}
		})
	}
}

func TestProxyAuthMustBeKnown(t *testing.T) {
	t.Parallel()
	if err := (ProxySettings{URL: "proxy:3128", Auth: "kerberos"}).Check(); err == nil {
		t.Error(`Check accepted auth "kerberos"`)
	}
	if err := (ProxySettings{URL: "proxy:3128", Auth: ProxyAuthNTLM}).Check(); err != nil {
		t.Errorf("Check refused ntlm: %v", err)
	}
}
