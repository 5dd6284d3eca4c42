package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"dlhelper/web"
)

// fakeHelper serves the status page with jobs the test chooses, over the
// same API shapes as the bridge, so that states a real download rarely
// shows (a 200-file order, a full disk, an expired link) can be looked at.
type fakeHelper struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	jobs     []map[string]any
	calls    []string      // "POST /v1/jobs/ID/open", …
	called   chan struct{} // closed and replaced at each call
	settings map[string]any
	conns    []*websocket.Conn
}

// The bridge's policy for the status page (bridge/middleware.go): the page
// must work under it, so the fake sends it too.
const statusCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self' ws://127.0.0.1:%[1]s ws://localhost:%[1]s; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func newFakeHelper(t *testing.T, jobs ...map[string]any) *fakeHelper {
	f := &fakeHelper{t: t, jobs: jobs, called: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/hello", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"app": "dlhelper", "version": "test", "api": 1})
	})
	mux.HandleFunc("GET /v1/events", f.events)
	mux.HandleFunc("GET /v1/settings", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.settings == nil {
			writeJSON(w, 404, map[string]any{"error": map[string]string{"code": "not_found", "message": "there is nothing at this path"}})
			return
		}
		writeJSON(w, 200, f.settings)
	})
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.calls = append(f.calls, strings.TrimSpace(r.Method+" "+r.URL.Path+" "+string(body)))
		close(f.called)
		f.called = make(chan struct{})
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	files := http.FileServerFS(web.Status())
	mux.Handle("/", files)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		port := f.srv.URL[strings.LastIndex(f.srv.URL, ":")+1:]
		w.Header().Set("Content-Security-Policy", fmt.Sprintf(statusCSP, port))
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.close)
	return f
}

func (f *fakeHelper) close() {
	f.mu.Lock()
	for _, c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.srv.Close()
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (f *fakeHelper) events(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	f.mu.Lock()
	f.conns = append(f.conns, c)
	snap := map[string]any{"type": "snapshot", "jobs": f.jobs}
	err = c.WriteJSON(snap)
	f.mu.Unlock()
	if err != nil {
		return
	}
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			return
		}
	}
}

// send pushes an event to every open stream.
func (f *fakeHelper) send(msg map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if err := c.WriteJSON(msg); err != nil {
			f.t.Errorf("send %v: %v", msg["type"], err)
		}
	}
}

// waitCall waits for a call that starts with prefix and returns it whole,
// or "" if none came in time.
func (f *fakeHelper) waitCall(prefix string, within time.Duration) string {
	timeout := time.After(within)
	for {
		f.mu.Lock()
		for _, c := range f.calls {
			if strings.HasPrefix(c, prefix) {
				f.mu.Unlock()
				return c
			}
		}
		next := f.called
		f.mu.Unlock()
		select {
		case <-next:
		case <-timeout:
			return ""
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// fakeJob builds a job as the bridge encodes it; each file gets state,
// done and error from fileOf(i).
func fakeJob(id, name, state string, created time.Time, n int, size int64, fileOf func(i int) (string, int64, map[string]string)) map[string]any {
	files := make([]map[string]any, n)
	var total, done int64
	for i := range files {
		st, d, e := fileOf(i)
		f := map[string]any{
			"index": i, "name": fmt.Sprintf("chip-%03d.zip", i+1), "path": "/home/li/Downloads/" + name + fmt.Sprintf("/chip-%03d.zip", i+1),
			"state": st, "size": size, "done": d, "speed": 0,
		}
		if st == "downloading" {
			f["speed"] = 1 << 20
		}
		if e != nil {
			f["error"] = e
		}
		files[i] = f
		total += size
		done += d
	}
	speed, eta := int64(0), int64(-1)
	if state == "running" {
		speed = 24 << 20
		eta = (total - done) / speed
	}
	return map[string]any{
		"id": id, "name": "Order " + name, "state": state, "dir": "/home/li/Downloads/" + name, "sequential": false,
		"created": created.Format(time.RFC3339), "total": total, "done": done, "speed": speed, "eta": eta, "files": files,
	}
}
