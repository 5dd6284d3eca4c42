package bridge

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"dlhelper/internal/faultserver"
)

func TestHelloIsOpenToLocalCallers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do(req{path: "/v1/hello", noToken: true})
	r.want(t, http.StatusOK, "")
	if got, want := strings.TrimSpace(string(r.body)), `{"app":"dlhelper","version":"test","api":1}`; got != want {
		t.Errorf("hello = %s, want %s", got, want)
	}
}

func TestEveryAnswerCarriesSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "no-store",
		"Referrer-Policy":        "no-referrer",
		"X-Frame-Options":        "DENY",
	}
	for _, r := range []req{
		{path: "/v1/hello"},
		{path: "/", noToken: true},
		{path: "/v1/jobs", noToken: true},                  // 401
		{path: "/v1/jobs", origin: "https://evil.example"}, // 403
		{path: "/v1/nowhere"},                              // 404
	} {
		got := e.do(r)
		for k, v := range want {
			if got.header.Get(k) != v {
				t.Errorf("GET %s (%d): %s = %q, want %q", r.path, got.status, k, got.header.Get(k), v)
			}
		}
		if csp := got.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s: CSP %q is not strict", r.path, csp)
		}
	}
}

func TestStatusPageIsServedAtRoot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do(req{path: "/", noToken: true, session: e.login()})
	r.want(t, http.StatusOK, "")
	if string(r.body) != statusHTML || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("GET / = %q (%s), want the status page", r.body, r.header.Get("Content-Type"))
	}
	e.do(req{path: "/app.js", noToken: true}).want(t, http.StatusOK, "")
	for _, p := range []string{"/missing.css", "/v1", "/v1/nowhere", "/../../etc/passwd", "/%2e%2e/token"} {
		e.do(req{path: p}).want(t, http.StatusNotFound, CodeNotFound)
	}
}

func TestUnknownRoutesAndMethodsAnswerJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.do(req{path: "/v1/nowhere"}).want(t, http.StatusNotFound, CodeNotFound)
	e.do(req{method: http.MethodPatch, path: "/v1/jobs"}).want(t, http.StatusMethodNotAllowed, CodeMethodNotAllowed)
	e.do(req{method: http.MethodDelete, path: "/v1/hello"}).want(t, http.StatusMethodNotAllowed, CodeMethodNotAllowed)
}

// A page on a rebound DNS name, or a request for another port, names
// another Host: 421 before anything else, even for open endpoints.
func TestHostCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.port
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{fmt.Sprintf("127.0.0.1:%d", p), true},
		{fmt.Sprintf("localhost:%d", p), true},
		{fmt.Sprintf("LOCALHOST:%d", p), true},
		{fmt.Sprintf("[::1]:%d", p), true},
		{fmt.Sprintf("evil.example:%d", p), false},
		{"127.0.0.1:9999", false},
		{"127.0.0.1", false},
		{"localhost", false},
		{fmt.Sprintf("127.0.0.2:%d", p), false},
		{fmt.Sprintf("localhost.evil.example:%d", p), false},
		{fmt.Sprintf("0.0.0.0:%d", p), false},
	} {
		t.Run(tc.host, func(t *testing.T) {
			for _, path := range []string{"/v1/hello", "/v1/jobs", "/"} {
				r := e.do(req{path: path, host: tc.host})
				if tc.ok {
					r.want(t, http.StatusOK, "")
				} else {
					r.want(t, http.StatusMisdirectedRequest, CodeMisdirected)
				}
			}
		})
	}
}

func TestOriginCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	self := fmt.Sprintf("http://127.0.0.1:%d", e.port)
	session := e.login()
	for _, tc := range []struct {
		name, origin string
		ok           bool
	}{
		{"the portal", portal, true},
		{"the helper's own page (with its session)", self, true},
		{"the helper's own page as localhost (with its session)", fmt.Sprintf("http://localhost:%d", e.port), true},
		{"a foreign site", "https://evil.example", false},
		{"a sandboxed frame or file page", "null", false},
		{"the portal over http", "http://portal.example.com", false},
		{"a subdomain of the portal", "https://x.portal.example.com", false},
		{"a look-alike suffix", "https://portal.example.com.evil.example", false},
		{"the portal with a trailing slash", portal + "/", false},
		{"the portal with an explicit port", portal + ":443", false},
		{"the helper on another port", "http://127.0.0.1:9999", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := e.do(req{path: "/v1/jobs", origin: tc.origin, session: session})
			if !tc.ok {
				r.want(t, http.StatusForbidden, CodeOriginNotAllowed)
				// Readable by the refused page (to tell the customer why), nothing more.
				if acao := r.header.Get("Access-Control-Allow-Origin"); acao != tc.origin {
					t.Errorf("refused answer allows origin %q, want exactly %q", acao, tc.origin)
				}
				return
			}
			r.want(t, http.StatusOK, "")
			if acao := r.header.Get("Access-Control-Allow-Origin"); acao != tc.origin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", acao, tc.origin)
			}
			if !strings.Contains(strings.Join(r.header.Values("Vary"), ","), "Origin") {
				t.Errorf("Vary = %q, want Origin in it", r.header.Values("Vary"))
			}
		})
	}
}

// The token does not let a foreign page in: a page never holds it, and
// a forged Origin would be its own undoing.
func TestForeignOriginWithTokenIsStillRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do(req{path: "/v1/jobs", origin: "https://evil.example", header: map[string]string{"Authorization": "Bearer " + testToken}})
	r.want(t, http.StatusForbidden, CodeOriginNotAllowed)
}

func TestTwoOriginHeadersAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hr, _ := http.NewRequest(http.MethodGet, e.url+"/v1/jobs", nil)
	hr.Header["Origin"] = []string{portal, "https://evil.example"}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("status %d, want 403", resp.StatusCode)
	}
}

func TestPreflight(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	preflight := func(origin string, pna bool) result {
		h := map[string]string{
			"Access-Control-Request-Method":  "POST",
			"Access-Control-Request-Headers": "content-type",
		}
		if pna {
			h["Access-Control-Request-Private-Network"] = "true"
		}
		return e.do(req{method: http.MethodOptions, path: "/v1/jobs", origin: origin, header: h})
	}
	t.Run("an allowed origin asking for private network access", func(t *testing.T) {
		r := preflight(portal, true)
		r.want(t, http.StatusNoContent, "")
		for k, v := range map[string]string{
			"Access-Control-Allow-Origin":          portal,
			"Access-Control-Allow-Methods":         "GET, POST, PUT, DELETE",
			"Access-Control-Allow-Headers":         "Content-Type, Authorization",
			"Access-Control-Max-Age":               "600",
			"Access-Control-Allow-Private-Network": "true",
		} {
			if got := r.header.Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if !strings.Contains(strings.Join(r.header.Values("Vary"), ","), "Origin") {
			t.Errorf("Vary = %q, want Origin in it", r.header.Values("Vary"))
		}
	})
	t.Run("an allowed origin not asking for private network access", func(t *testing.T) {
		r := preflight(portal, false)
		r.want(t, http.StatusNoContent, "")
		if got := r.header.Get("Access-Control-Allow-Private-Network"); got != "" {
			t.Errorf("Access-Control-Allow-Private-Network = %q unasked", got)
		}
	})
	t.Run("a foreign origin", func(t *testing.T) {
		r := preflight("https://evil.example", true)
		r.want(t, http.StatusForbidden, CodeOriginNotAllowed)
		for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Private-Network", "Access-Control-Allow-Methods"} {
			if got := r.header.Get(k); got != "" {
				t.Errorf("refused preflight has %s = %q", k, got)
			}
		}
	})
}

func TestTokenForCallersWithoutOrigin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		name, auth, fetchSite string
		status                int
	}{
		{"no token", "", "", http.StatusUnauthorized},
		{"a wrong token", "Bearer " + strings.Repeat("0", 64), "", http.StatusUnauthorized},
		{"a prefix of the token", "Bearer " + testToken[:32], "", http.StatusUnauthorized},
		{"the token in another scheme", "Basic " + testToken, "", http.StatusUnauthorized},
		{"the token without a scheme", testToken, "", http.StatusUnauthorized},
		{"the token", "Bearer " + testToken, "", http.StatusOK},
		{"the token, scheme in lower case", "bearer " + testToken, "", http.StatusOK},
		{"a forged Sec-Fetch-Site: same-origin", "", "same-origin", http.StatusUnauthorized},
		{"a cross-site fetch without Origin", "", "cross-site", http.StatusUnauthorized},
		{"a same-site fetch without Origin", "", "same-site", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := map[string]string{}
			if tc.auth != "" {
				h["Authorization"] = tc.auth
			}
			if tc.fetchSite != "" {
				h["Sec-Fetch-Site"] = tc.fetchSite
			}
			r := e.do(req{path: "/v1/jobs", noToken: true, header: h})
			if tc.status == http.StatusUnauthorized {
				r.want(t, tc.status, CodeUnauthorized)
				if r.header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				return
			}
			r.want(t, tc.status, "")
		})
	}
}

func TestEveryAPIEndpointNeedsTheToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, r := range []req{
		{method: "POST", path: "/v1/jobs", body: "{}"},
		{method: "GET", path: "/v1/jobs"},
		{method: "GET", path: "/v1/jobs/x"},
		{method: "DELETE", path: "/v1/jobs/x"},
		{method: "POST", path: "/v1/jobs/x/pause"},
		{method: "POST", path: "/v1/jobs/x/resume"},
		{method: "POST", path: "/v1/jobs/x/cancel"},
		{method: "POST", path: "/v1/jobs/x/retry"},
		{method: "POST", path: "/v1/jobs/x/open"},
		{method: "PUT", path: "/v1/jobs/x/files/0/url", body: "{}"},
		{method: "POST", path: "/v1/pause"},
		{method: "POST", path: "/v1/resume"},
		{method: "GET", path: "/v1/events"},
	} {
		r.noToken = true
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			e.do(r).want(t, http.StatusUnauthorized, CodeUnauthorized)
		})
	}
}

// A foreign page can send a "simple" POST (a form, or fetch with
// text/plain) without a preflight; it must not start a download.
func TestCrossSiteSimplePostIsRefused(t *testing.T) {
	t.Parallel()
	srv := faultserver.New(t, []byte("data"))
	e := newEnv(t)
	body := jobJSON(srv.URL(), "a.zip")
	for _, tc := range []struct {
		name, origin, contentType string
		status                    int
		code                      string
	}{
		{"text/plain from a foreign site", "https://evil.example", "text/plain", http.StatusForbidden, CodeOriginNotAllowed},
		{"a form from a foreign site", "https://evil.example", "application/x-www-form-urlencoded", http.StatusForbidden, CodeOriginNotAllowed},
		{"a form from a sandboxed frame", "null", "multipart/form-data; boundary=x", http.StatusForbidden, CodeOriginNotAllowed},
		{"text/plain from the portal", portal, "text/plain", http.StatusUnsupportedMediaType, CodeUnsupportedType},
		{"no content type with the token", "", "-", http.StatusUnsupportedMediaType, CodeUnsupportedType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := req{method: http.MethodPost, path: "/v1/jobs", body: body, origin: tc.origin, contentType: tc.contentType}
			if tc.contentType == "-" {
				r.contentType, r.header = "", map[string]string{"Content-Type": ""}
			}
			e.do(r).want(t, tc.status, tc.code)
		})
	}
	if jobs := e.m.Jobs(); len(jobs) != 0 {
		t.Errorf("refused posts added %d jobs", len(jobs))
	}
}

func TestOversizedBodyIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	big := `{"name":"` + strings.Repeat("x", MaxBodyBytes) + `"}`
	t.Run("with Content-Length", func(t *testing.T) {
		e.do(req{method: http.MethodPost, path: "/v1/jobs", body: big, origin: portal}).want(t, http.StatusRequestEntityTooLarge, CodeTooLarge)
	})
	t.Run("chunked", func(t *testing.T) {
		hr, _ := http.NewRequest(http.MethodPost, e.url+"/v1/jobs", io.MultiReader(strings.NewReader(big)))
		hr.ContentLength = -1 // unknown: sent chunked, so only reading finds out
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Set("Origin", portal)
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		result{resp.StatusCode, resp.Header, body}.want(t, http.StatusRequestEntityTooLarge, CodeTooLarge)
	})
	t.Run("a fresh URL", func(t *testing.T) {
		e.do(req{method: http.MethodPut, path: "/v1/jobs/x/files/0/url", body: big, origin: portal}).want(t, http.StatusRequestEntityTooLarge, CodeTooLarge)
	})
}
