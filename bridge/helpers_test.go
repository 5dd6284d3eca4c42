package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gorilla/websocket"

	"dlhelper/downloader"
)

const (
	testToken  = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	portal     = "https://portal.example.com"
	statusHTML = "<!doctype html><title>dlhelper</title><p>dlhelper is running</p>"
)

// env is a real Server over a real Manager on a real loopback listener.
type env struct {
	t    *testing.T
	m    *downloader.Manager
	s    *Server
	root string // the download folder
	port int
	url  string // http://127.0.0.1:PORT
}

// envOption adjusts a test server: its Options before New, the Server
// before it serves, or its listener.
type envOption struct {
	options  func(*Options)
	server   func(*Server)
	listener func(net.Listener) net.Listener
	guard    bool // serve as the helper does: Guard and HTTPServer
}

// withGuard serves through Guard's listener and HTTPServer's settings.
func withGuard() envOption { return envOption{guard: true} }

func withOptions(f func(*Options)) envOption { return envOption{options: f} }
func withServer(f func(*Server)) envOption   { return envOption{server: f} }

// newEnv starts a Server.
func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	var l net.Listener
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, root: t.TempDir(), port: l.Addr().(*net.TCPAddr).Port}
	e.url = fmt.Sprintf("http://127.0.0.1:%d", e.port)
	e.m, err = downloader.New(downloader.Config{
		StateDir: t.TempDir(), Root: e.root, Logger: quietLogger(),
		MinPiece: 64 << 10, ProgressInterval: 20 * time.Millisecond, CheckpointInterval: 50 * time.Millisecond,
		RetryBase: 5 * time.Millisecond, RetryMax: 40 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{
		Manager: e.m, Token: testToken, AllowedOrigins: []string{portal}, Port: e.port,
		Version: "test", Logger: quietLogger(),
		StatusFS: fstest.MapFS{"index.html": {Data: []byte(statusHTML)}, "app.js": {Data: []byte("// js")}},
	}
	for _, opt := range opts {
		if opt.options != nil {
			opt.options(&o)
		}
	}
	e.s = New(o)
	for _, opt := range opts {
		if opt.server != nil {
			opt.server(e.s)
		}
		if opt.listener != nil {
			l = opt.listener(l)
		}
	}
	ts := httptest.NewUnstartedServer(e.s.Handler())
	for _, opt := range opts {
		if opt.guard {
			l = e.s.Guard(l)
			ts.Config = e.s.HTTPServer(nil)
		}
	}
	ts.Listener.Close()
	ts.Listener = l
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		e.s.Close()
		e.m.Close()
	})
	return e
}

func quietLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// req describes one request; the zero value is a GET with the token.
type req struct {
	method, path, body string
	origin             string            // Origin header, if any
	noToken            bool              // leave out Authorization
	contentType        string            // default application/json when there is a body
	host               string            // Host header, default 127.0.0.1:PORT
	header             map[string]string // more headers
	session            *http.Cookie      // the status page's session cookie, if any
}

// result is an answer, read in full.
type result struct {
	status int
	header http.Header
	body   []byte
}

// do sends r and reads the answer.
func (e *env) do(r req) result {
	e.t.Helper()
	if r.method == "" {
		r.method = http.MethodGet
	}
	hr, err := http.NewRequest(r.method, e.url+r.path, strings.NewReader(r.body))
	if err != nil {
		e.t.Fatal(err)
	}
	if r.body == "" {
		hr.Body, hr.ContentLength = http.NoBody, 0
	}
	if !r.noToken && r.origin == "" {
		hr.Header.Set("Authorization", "Bearer "+testToken)
	}
	if r.origin != "" {
		hr.Header.Set("Origin", r.origin)
	}
	switch {
	case r.contentType != "":
		hr.Header.Set("Content-Type", r.contentType)
	case r.body != "":
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.host != "" {
		hr.Host = r.host
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	if r.session != nil {
		hr.AddCookie(r.session)
	}
	resp, err := noRedirects.Do(hr)
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read body: %v", r.method, r.path, err)
	}
	return result{resp.StatusCode, resp.Header, body}
}

// noRedirects shows redirects (the login's) as they are.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// login opens a fresh StatusPageURL as the tray would and returns the
// session cookie it sets.
func (e *env) login() *http.Cookie {
	e.t.Helper()
	u := e.s.StatusPageURL()
	r := e.do(req{path: strings.TrimPrefix(u, e.url), noToken: true})
	r.want(e.t, http.StatusSeeOther, "")
	if loc := r.header.Get("Location"); loc != "/" {
		e.t.Fatalf("login redirects to %q, want /", loc)
	}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == e.s.cookieName() {
			return c
		}
	}
	e.t.Fatalf("login set no session cookie: %v", r.header.Values("Set-Cookie"))
	return nil
}

// apiErr is the error an answer carries, if any.
func (r result) apiErr() apiError {
	var b struct{ Error apiError }
	_ = json.Unmarshal(r.body, &b)
	return b.Error
}

// want fails unless the answer has this status and, for errors, this code.
func (r result) want(t *testing.T, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if code != "" {
		if got := r.apiErr().Code; got != code {
			t.Fatalf("error code %q, want %q; body %s", got, code, r.body)
		}
	}
}

func (r result) job(t *testing.T) downloader.JobInfo {
	t.Helper()
	var j downloader.JobInfo
	if err := json.Unmarshal(r.body, &j); err != nil {
		t.Fatalf("answer is not a job: %v: %s", err, r.body)
	}
	return j
}

// jobJSON is a job body with one file per name, all at url.
func jobJSON(url string, names ...string) string {
	files := make([]map[string]any, len(names))
	for i, n := range names {
		files[i] = map[string]any{"url": url, "name": n}
	}
	b, _ := json.Marshal(map[string]any{"name": "order 1", "folder": "orders", "files": files})
	return string(b)
}

// addJob posts a job from the portal's origin and returns it.
func (e *env) addJob(body string) downloader.JobInfo {
	e.t.Helper()
	r := e.do(req{method: http.MethodPost, path: "/v1/jobs", body: body, origin: portal})
	r.want(e.t, http.StatusCreated, "")
	return r.job(e.t)
}

// waitJob waits, through the Manager's events, for job id to reach a state.
func (e *env) waitJob(id string, states ...downloader.JobState) downloader.JobInfo {
	e.t.Helper()
	sub := e.m.Subscribe()
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		j, err := e.m.Job(id)
		if err != nil {
			e.t.Fatalf("job %s: %v", id, err)
		}
		for _, s := range states {
			if j.State == s {
				return j
			}
		}
		if _, err := sub.Next(ctx); err != nil {
			e.t.Fatalf("waiting for job %s to reach %v (now %s): %v", id, states, j.State, err)
		}
	}
}

// wsURL is the event stream's address.
func (e *env) wsURL() string { return fmt.Sprintf("ws://127.0.0.1:%d/v1/events", e.port) }

// dial opens the event stream with these headers and reads the snapshot.
func (e *env) dial(h http.Header) (*websocket.Conn, message) {
	e.t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(e.wsURL(), h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		e.t.Fatalf("dial %s: %v (status %d)", e.wsURL(), err, status)
	}
	e.t.Cleanup(func() { ws.Close() })
	snap := readMsg(e.t, ws)
	if snap.Type != MsgSnapshot {
		e.t.Fatalf("first message is %q, want a snapshot", snap.Type)
	}
	return ws, snap
}

func originHeader(o string) http.Header { return http.Header{"Origin": {o}} }

// message is any message of the event stream.
type message struct {
	Type     string                    `json:"type"`
	JobID    string                    `json:"job"`
	Jobs     []downloader.JobInfo      `json:"jobs"`
	Job      *downloader.JobInfo       `json:"info"`
	File     *downloader.FileInfo      `json:"file"`
	Progress *downloader.Progress      `json:"progress"`
	Files    []downloader.FileProgress `json:"files"`
	Error    *apiError                 `json:"error"`
}

// readMsg reads one message; the deadline only keeps a broken test from
// hanging.
func readMsg(t *testing.T, ws *websocket.Conn) message {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(60 * time.Second))
	var m message
	if err := ws.ReadJSON(&m); err != nil {
		t.Fatalf("read event: %v", err)
	}
	return m
}

// readUntil reads messages until ok accepts one and returns them all.
func readUntil(t *testing.T, ws *websocket.Conn, ok func(message) bool) []message {
	t.Helper()
	var seen []message
	for {
		m := readMsg(t, ws)
		seen = append(seen, m)
		if ok(m) {
			return seen
		}
	}
}
