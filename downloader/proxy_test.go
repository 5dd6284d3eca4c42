package downloader

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dlhelper/internal/faultserver"
)

// proxiedHost is a name only the test's tinyproxy resolves (to 127.0.0.1,
// through its own /etc/hosts): a download of it that completes went
// through the proxy, and Go, which never proxies loopback addresses,
// proxies it.
const proxiedHost = "files.dlhelper-proxy-test.invalid"

// startTinyproxy runs Debian's tinyproxy on a loopback port, with Basic
// auth when user is not empty, in a mount namespace of its own whose
// /etc/hosts names proxiedHost. It returns the proxy's host:port.
func startTinyproxy(t *testing.T, user, password string) string {
	t.Helper()
	bin, err := exec.LookPath("tinyproxy")
	if err != nil {
		t.Fatalf("tinyproxy is not installed (.ci/setup installs it): %v", err)
	}
	dir := t.TempDir()
	port := freePort(t)
	hosts := filepath.Join(dir, "hosts")
	writeFile(t, hosts, "127.0.0.1 localhost "+proxiedHost+"\n")
	conf := fmt.Sprintf("Port %d\nListen 127.0.0.1\nTimeout 60\nAllow 127.0.0.1\nMaxClients 64\nLogLevel Info\n", port)
	if user != "" {
		conf += fmt.Sprintf("BasicAuth %s %s\n", user, password)
	}
	writeFile(t, filepath.Join(dir, "tinyproxy.conf"), conf)
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
		`mount --bind "$1" /etc/hosts && exec "$2" -d -c "$3"`, "sh", hosts, bin, filepath.Join(dir, "tinyproxy.conf"))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start tinyproxy: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("tinyproxy:\n%s", logs.String())
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		select {
		case <-exited:
			t.Fatalf("tinyproxy exited: %s", logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("tinyproxy does not listen on %s: %s", addr, logs.String())
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// viaProxiedHost rewrites a loopback server's URL to use proxiedHost.
func viaProxiedHost(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = proxiedHost + ":" + u.Port()
	return u.String()
}

func proxyTestData(t *testing.T) []byte {
	data := make([]byte, 3<<20)
	_, _ = rand.Read(data)
	return data
}

// downloadVia runs one file through a Manager whose client is built from p.
func downloadVia(t *testing.T, p ProxySettings, rawURL string, tlsConf *tls.Config) FileInfo {
	t.Helper()
	cfg := testConfig(t)
	cfg.MaxAttempts = 2
	if tlsConf == nil {
		cfg.Proxy = p
	} else {
		tr := NewTransport(16)
		p.apply(tr)
		tr.TLSClientConfig = tlsConf
		cfg.HTTPClient = &http.Client{Transport: tr}
	}
	m := newTestManager(t, cfg)
	j := runJob(t, m, JobSpec{Name: "proxy", Files: []FileSpec{{URL: rawURL, Name: "a.zip"}}})
	return j.Files[0]
}

func TestDownloadsGoThroughAProxy(t *testing.T) {
	data := proxyTestData(t)
	srv := faultserver.New(t, data)
	open := startTinyproxy(t, "", "")
	locked := startTinyproxy(t, "alice", "s3cret")
	pacFile := filepath.Join(t.TempDir(), "proxy.pac")
	writeFile(t, pacFile, `function FindProxyForURL(url, host) {
  if (dnsDomainIs(host, ".dlhelper-proxy-test.invalid") && shExpMatch(url, "http://*/")) return "PROXY `+open+`; DIRECT";
  return "DIRECT";
}`)
	for _, tc := range []struct {
		name string
		env  string
		p    ProxySettings
	}{
		{name: "from HTTP_PROXY", env: "http://" + open},
		{name: "from the settings", p: ProxySettings{URL: open}},
		{name: "with Basic auth in the settings", p: ProxySettings{URL: locked, User: "alice", Password: "s3cret"}},
		{name: "with Basic auth in the proxy address", p: ProxySettings{URL: "http://alice:s3cret@" + locked}},
		{name: "chosen by a PAC file", p: ProxySettings{PAC: "file://" + pacFile}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HTTP_PROXY", tc.env)
			t.Setenv("http_proxy", tc.env)
			f := downloadVia(t, tc.p, viaProxiedHost(t, srv.URL()), nil)
			if f.State != FileCompleted {
				t.Fatalf("file %s (%v); want completed through the proxy", f.State, f.Error)
			}
			assertFile(t, f.Path, data)
		})
	}
	t.Run("a wrong password fails the file as a proxy error", func(t *testing.T) {
		f := downloadVia(t, ProxySettings{URL: locked, User: "alice", Password: "wrong"}, viaProxiedHost(t, srv.URL()), nil)
		if f.State != FileFailed || f.Error == nil || f.Error.Code != CodeProxyAuth {
			t.Fatalf("file %s (%+v); want failed with %s", f.State, f.Error, CodeProxyAuth)
		}
	})
}

func TestHTTPSGoesThroughAProxyByConnect(t *testing.T) {
	data := proxyTestData(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(w, r, "a.zip", time.Time{}, bytes.NewReader(data))
	}))
	t.Cleanup(srv.Close)
	tlsConf := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	tlsConf.ServerName = "example.com" // in httptest's certificate
	locked := startTinyproxy(t, "alice", "s3cret")
	rawURL := viaProxiedHost(t, srv.URL) + "/a.zip"

	f := downloadVia(t, ProxySettings{URL: locked, User: "alice", Password: "s3cret"}, rawURL, tlsConf)
	if f.State != FileCompleted {
		t.Fatalf("file %s (%v); want completed through the proxy", f.State, f.Error)
	}
	assertFile(t, f.Path, data)

	f = downloadVia(t, ProxySettings{URL: locked}, rawURL, tlsConf)
	if f.State != FileFailed || f.Error == nil || f.Error.Code != CodeProxyAuth {
		t.Fatalf("file %s (%+v); want failed with %s", f.State, f.Error, CodeProxyAuth)
	}
	if !strings.Contains(f.Error.Message, "settings") {
		t.Errorf("message %q does not say where to set the password", f.Error.Message)
	}
}

func TestPACAnswersNameTheirFirstProxy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ answer, want string }{
		{"DIRECT", ""},
		{"", ""},
		{"PROXY proxy.corp:3128; DIRECT", "http://proxy.corp:3128"},
		{" HTTPS secure.corp:443", "https://secure.corp:443"},
		{"SOCKS5 socks.corp:1080; PROXY b:1", "socks5://socks.corp:1080"},
		{"QUIC q:1", "error"},
	} {
		u, err := pacProxy(tc.answer)
		got := ""
		switch {
		case err != nil:
			got = "error"
		case u != nil:
			got = u.String()
		}
		if got != tc.want {
			t.Errorf("pacProxy(%q) = %q; want %q", tc.answer, got, tc.want)
		}
	}
}
