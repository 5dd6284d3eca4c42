package bridge

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 16: a request carrying Sec-Fetch-Site: same-origin, or an Origin
// naming the helper itself, was let through without the token; any local
// program can send both.
func TestForgedBrowserHeadersDoNotStandInForTheToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	self := selfOrigins(e.port)
	forged := map[string]map[string]string{
		"Sec-Fetch-Site: same-origin":          {"Sec-Fetch-Site": "same-origin"},
		"Sec-Fetch-Site and Sec-Fetch-Mode":    {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"},
		"a Referer of the status page":         {"Referer": self[0] + "/"},
		"the helper's Origin and fetch header": {"Origin": self[0], "Sec-Fetch-Site": "same-origin"},
	}
	for _, o := range self {
		forged["the helper's own Origin "+o] = map[string]string{"Origin": o}
	}
	for name, h := range forged {
		for _, r := range []req{
			{method: "GET", path: "/v1/jobs"},
			{method: "GET", path: "/v1/settings"},
			{method: "POST", path: "/v1/jobs", body: jobJSON("http://127.0.0.1:1/x", "a.zip")},
			{method: "POST", path: "/v1/status-link"},
		} {
			r.noToken, r.header = true, h
			t.Run(name+": "+r.method+" "+r.path, func(t *testing.T) {
				e.do(r).want(t, http.StatusUnauthorized, CodeUnauthorized)
			})
		}
	}
	if n := len(e.m.Jobs()); n != 0 {
		t.Errorf("%d jobs were added without the token", n)
	}
}

func TestStatusPageNeedsALoginLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	r := e.do(req{path: "/", noToken: true})
	r.want(t, http.StatusUnauthorized, "")
	for _, want := range []string{"tray menu", "dlhelper open", "托盘菜单"} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("GET / without a session does not say %q: %s", want, r.body)
		}
	}
	if string(r.body) == statusHTML {
		t.Fatal("GET / without a session serves the status page")
	}

	u := e.s.StatusPageURL()
	path := strings.TrimPrefix(u, e.url)
	if !strings.HasPrefix(path, "/login?n=") {
		t.Fatalf("StatusPageURL() = %q, want %s/login?n=…", u, e.url)
	}
	first := e.do(req{path: path, noToken: true})
	first.want(t, http.StatusSeeOther, "")
	ck := first.header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/", e.s.cookieName() + "="} {
		if !strings.Contains(ck, want) {
			t.Errorf("Set-Cookie %q lacks %s", ck, want)
		}
	}
	t.Run("a link works once", func(t *testing.T) {
		again := e.do(req{path: path, noToken: true})
		again.want(t, http.StatusUnauthorized, "")
		if again.header.Get("Set-Cookie") != "" {
			t.Error("a used link set a cookie again")
		}
	})
	t.Run("a made-up link does nothing", func(t *testing.T) {
		e.do(req{path: "/login?n=" + strings.Repeat("a", 64), noToken: true}).want(t, http.StatusUnauthorized, "")
		e.do(req{path: "/login", noToken: true}).want(t, http.StatusUnauthorized, "")
	})
	session := e.login()
	t.Run("the session opens the page and the API", func(t *testing.T) {
		e.do(req{path: "/", noToken: true, session: session}).want(t, http.StatusOK, "")
		e.do(req{path: "/v1/jobs", noToken: true, session: session}).want(t, http.StatusOK, "")
		e.do(req{method: "POST", path: "/v1/pause", origin: selfOrigins(e.port)[0], session: session}).want(t, http.StatusNoContent, "")
	})
	t.Run("a made-up session does nothing", func(t *testing.T) {
		fake := &http.Cookie{Name: e.s.cookieName(), Value: strings.Repeat("0", 64)}
		e.do(req{path: "/v1/jobs", noToken: true, session: fake}).want(t, http.StatusUnauthorized, CodeUnauthorized)
	})
	t.Run("a session does not lend its rights to another origin", func(t *testing.T) {
		e.do(req{path: "/v1/jobs", origin: "http://127.0.0.1:1", session: session}).want(t, http.StatusForbidden, CodeOriginNotAllowed)
	})
}

// A second "dlhelper open" holds the token, not the running helper's
// StatusPageURL: it asks for a link.
func TestStatusLinkIsForTheTokenOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do(req{method: "POST", path: "/v1/status-link"})
	r.want(t, http.StatusOK, "")
	var link statusLinkResponse
	if err := json.Unmarshal(r.body, &link); err != nil || !strings.HasPrefix(link.URL, fmt.Sprintf("http://127.0.0.1:%d/login?n=", e.port)) {
		t.Fatalf("status-link = %s (%v), want a login link", r.body, err)
	}
	e.do(req{path: strings.TrimPrefix(link.URL, e.url), noToken: true}).want(t, http.StatusSeeOther, "")
	e.do(req{method: "POST", path: "/v1/status-link", origin: portal}).want(t, http.StatusForbidden, CodeForbidden)
	e.do(req{method: "POST", path: "/v1/status-link", noToken: true}).want(t, http.StatusUnauthorized, CodeUnauthorized)
}

// A status page left open survives a restart of the helper (an update):
// the session is kept, as a hash, in the state folder.
func TestSessionsOutliveARestart(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	opt := withOptions(func(o *Options) { o.StateDir = state })
	session := newEnv(t, opt).login()
	later := newEnv(t, opt)
	session.Name = later.s.cookieName() // the test's second helper has another port
	later.do(req{path: "/v1/jobs", noToken: true, session: session}).want(t, http.StatusOK, "")
	data, err := os.ReadFile(filepath.Join(state, SessionsFile))
	if err != nil || strings.Contains(string(data), session.Value) {
		t.Errorf("%s holds the session itself, or cannot be read (%v)", SessionsFile, err)
	}
}
