package downloader

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

func TestCheckRedirect(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		allowed     []string
		from, to    string
		refusedWith string // "" when followed
	}{
		{nil, "https://minio.example.com/b/a", "https://cdn.example.com/a", ""},
		{nil, "http://127.0.0.1:9000/b/a", "http://127.0.0.1:9001/a", ""},
		{nil, "https://minio.example.com/b/a", "http://127.0.0.1:8080/admin", "this computer"},
		{nil, "https://minio.example.com/b/a", "http://localhost/", "this computer"},
		{nil, "https://minio.example.com/b/a", "http://[::1]:80/", "this computer"},
		{nil, "https://minio.example.com/b/a", "http://[::ffff:127.0.0.1]/", "this computer"},
		{nil, "https://minio.example.com/b/a", "http://0.0.0.0:8080/", "this computer"},
		{nil, "https://minio.example.com/b/a", "http://169.254.169.254/latest/meta-data/", "local network link"},
		{nil, "https://minio.example.com/b/a", "http://[fe80::1]/", "local network link"},
		{nil, "https://minio.example.com/b/a", "http://2130706433/", "form"},
		{nil, "https://minio.example.com/b/a", "http://127.1/", "form"},
		{nil, "https://minio.example.com/b/a", "http://0x7f.0.0.1/", "form"},
		{nil, "https://minio.example.com/b/a", "file:///etc/passwd", "http or https"},
		{[]string{"minio.example.com"}, "https://minio.example.com/b/a", "https://minio.example.com:9000/b/c", ""},
		{[]string{"minio.example.com:9000"}, "https://minio.example.com:9000/b/a", "https://cdn.example.com/a", "not set to download from"},
		{[]string{"minio.example.com:9000"}, "https://minio.example.com:9000/b/a", "https://minio.example.com:9001/a", "not set to download from"},
	} {
		to, _ := url.Parse(tt.to)
		from, _ := url.Parse(tt.from)
		err := checkRedirect(tt.allowed, to, from)
		var fe *FileError
		switch {
		case tt.refusedWith == "" && err != nil:
			t.Errorf("%s -> %s (allowed %q): refused (%v), want followed", tt.from, tt.to, tt.allowed, err)
		case tt.refusedWith != "" && (!errors.As(err, &fe) || fe.Code != CodeRedirect || !strings.Contains(fe.Message, tt.refusedWith)):
			t.Errorf("%s -> %s (allowed %q): %v, want %s saying %q", tt.from, tt.to, tt.allowed, err, CodeRedirect, tt.refusedWith)
		}
	}
}

func TestARedirectToAHostNotAllowedIsNotFollowed(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(45, 10<<10)
	elsewhere := faultserver.New(t, data)
	redirector := httptest.NewServer(http.RedirectHandler(elsewhere.URL(), http.StatusFound))
	t.Cleanup(redirector.Close)
	cfg := testConfig(t)
	cfg.AllowedHosts = []string{strings.TrimPrefix(redirector.URL, "http://")}
	m := newTestManager(t, cfg)
	j := runJob(t, m, JobSpec{Name: "x", Files: []FileSpec{{URL: redirector.URL + "/a.zip", Name: "a.zip"}}})
	if e := j.Files[0].Error; j.State != JobFailed || e == nil || e.Code != CodeRedirect {
		t.Errorf("job ended %s, file error %+v; want failed with %s", j.State, e, CodeRedirect)
	}
	if n := elsewhere.Requests(); n != 0 {
		t.Errorf("the host not allowed got %d requests", n)
	}
}

// A presigned URL's signature is a password for its file: it must not
// reach the log on each retry, nor the error a page is shown.
func TestNoLogLineOrErrorCarriesTheSignature(t *testing.T) {
	t.Parallel()
	const secret = "c0ffee5ecret"
	hangUp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(hangUp.Close)
	var logs testenv.Buffer
	cfg := testConfig(t)
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := newTestManager(t, cfg)
	j := runJob(t, m, JobSpec{Name: "x", Files: []FileSpec{{URL: hangUp.URL + "/a.zip?X-Amz-Signature=" + secret, Name: "a.zip"}}})
	if j.State != JobFailed || j.Files[0].Error == nil {
		t.Fatalf("job ended %s, want failed", j.State)
	}
	if strings.Contains(j.Files[0].Error.Message, secret) {
		t.Errorf("the file's error shows the signature: %s", j.Files[0].Error.Message)
	}
	if !strings.Contains(logs.String(), "retrying range") {
		t.Fatalf("no retry was logged; the test proves nothing:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("the log shows the signature:\n%s", logs.String())
	}
	for _, bad := range []string{"http://[::1/a?X-Amz-Signature=" + secret, "http:///a?X-Amz-Signature=" + secret} {
		if _, err := m.Add(JobSpec{Name: "x", Files: []FileSpec{{URL: bad, Name: "a.zip"}}}); err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("Add(%q) = %v, want an error without the signature", bad, err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://minio.example.com/b/a.zip?X-Amz-Signature=abc&X-Amz-Credential=k": "https://minio.example.com/b/a.zip?…",
		"https://user:pw@h/a#frag": "https://h/a",
		"https://h/a":              "https://h/a",
		"http://[::1/a?sig=abc":    "(an address that is not a valid URL)",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// A name is not an address: a redirect to a name that leads to this
// computer or the link-local network is refused like the address itself.
func TestCheckResolved(t *testing.T) {
	t.Parallel()
	resolveTo := func(addrs ...string) resolver {
		return func(context.Context, string) ([]netip.Addr, error) {
			var out []netip.Addr
			for _, a := range addrs {
				out = append(out, netip.MustParseAddr(a))
			}
			return out, nil
		}
	}
	failing := func(context.Context, string) ([]netip.Addr, error) { return nil, errors.New("no such host") }
	public, _ := url.Parse("https://minio.example.com/b/o?X-Amz-Signature=1")
	local, _ := url.Parse("http://127.0.0.1:9000/b/o")
	tests := []struct {
		name    string
		resolve resolver
		first   *url.URL
		target  string
		refused bool
	}{
		{"a name of a public address", resolveTo("203.0.113.7"), public, "https://cdn.example.net/o", false},
		{"a name of this computer", resolveTo("203.0.113.7", "127.0.0.1"), public, "https://files.example.net/o", true},
		{"a name of an IPv4-mapped loopback", resolveTo("::ffff:127.0.0.1"), public, "https://files.example.net/o", true},
		{"a name of the cloud's metadata service", resolveTo("169.254.169.254"), public, "http://meta.example.net/", true},
		{"a name of this computer, from this computer", resolveTo("127.0.0.1"), local, "http://files.example.net/o", false},
		{"a name that does not resolve is left to the dial", failing, public, "https://gone.example.net/o", false},
		{"an address is checkRedirect's", resolveTo("127.0.0.1"), public, "https://203.0.113.9/o", false},
	}
	for _, tt := range tests {
		target, _ := url.Parse(tt.target)
		err := checkResolved(context.Background(), tt.resolve, target, tt.first)
		var fe *FileError
		if got := errors.As(err, &fe) && fe.Code == CodeRedirect; got != tt.refused {
			t.Errorf("%s: checkResolved(%s) = %v, want refused %v", tt.name, tt.target, err, tt.refused)
		}
	}
}
