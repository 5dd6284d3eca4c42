package faultserver

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// objectPath is the path the object is served at.
const objectPath = "/bucket/object.bin"

// lastModified is the object's Last-Modified; ChangeObjectAfter moves it on.
var lastModified = time.Date(2026, time.January, 2, 3, 4, 5, 0, time.UTC)

// Server serves one object at URL() and counts what it was asked for.
type Server struct {
	cfg       config
	srv       *httptest.Server
	done      chan struct{} // closed by Close: ends every wait
	closeOnce sync.Once

	requests, inflight, peak atomic.Int64
	sent                     atomic.Int64
	resets, stalls           atomic.Int64

	mu       sync.Mutex // guards the fields below
	data     []byte
	etag     string
	modified time.Time
	changed  bool
	ranges   []string
	tokens   map[string]bool
}

// New starts a server on 127.0.0.1 that serves data at URL() and
// misbehaves as opts say. It is closed when the test ends.
func New(t testing.TB, data []byte, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		cfg:      defaultConfig(),
		done:     make(chan struct{}),
		data:     data,
		modified: lastModified,
		tokens:   map[string]bool{},
	}
	for _, o := range opts {
		o(&s.cfg)
	}
	s.etag = s.cfg.etag
	if s.etag == "" {
		s.etag = md5ETag(data)
	}
	var h http.Handler = http.HandlerFunc(s.serve)
	if wrap := s.cfg.wrap; wrap != nil {
		next := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { wrap(w, r, next) })
	}
	s.srv = httptest.NewServer(s.admit(h))
	t.Cleanup(s.Close)
	return s
}

// URL is the object's URL.
func (s *Server) URL() string { return s.srv.URL + objectPath }

// URLWithToken is the object's URL with "?token=tok", as a re-signed URL.
func (s *Server) URLWithToken(tok string) string { return s.URL() + "?token=" + tok }

// FreshToken issues a token, as the portal re-signing the URL: a request
// whose URL carries it (see URLWithToken) never expires under ExpireAfter.
// Tokens not issued by FreshToken are treated like no token.
func (s *Server) FreshToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := "t" + strconv.Itoa(len(s.tokens)+1)
	s.tokens[tok] = true
	return tok
}

// Close stops the server. It does not wait for stalled or slow answers: it
// closes the client connections first and wakes every wait. Calling it more
// than once is fine.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.srv.CloseClientConnections()
		close(s.done)
		s.srv.Close()
	})
}

// Requests is how many requests arrived.
func (s *Server) Requests() int { return int(s.requests.Load()) }

// BytesSent is how many body bytes of 200 and 206 answers were written to
// clients; XML error bodies are not counted.
func (s *Server) BytesSent() int64 { return s.sent.Load() }

// MaxConcurrent is the most requests that were in flight at once.
func (s *Server) MaxConcurrent() int { return int(s.peak.Load()) }

// RangeRequests is a copy of the Range headers seen, in order of arrival,
// one per request ("" for a request without Range).
func (s *Server) RangeRequests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ranges...)
}

// request is what admit decided about one request.
type request struct {
	n        int // 1 for the first request
	data     []byte
	etag     string
	modified time.Time
	expired  bool
}

type requestKey struct{}

// admit counts a request, numbers it and takes the object it is served,
// then hands it to next. It runs outside the Handler option, so requests a
// wrapper answers itself are counted too.
func (s *Server) admit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in := s.inflight.Add(1)
		defer s.inflight.Add(-1)
		for p := s.peak.Load(); in > p && !s.peak.CompareAndSwap(p, in); p = s.peak.Load() {
		}
		s.mu.Lock()
		// Numbered under the lock so that request n+1 never sees the
		// object request n should not.
		n := int(s.requests.Add(1))
		s.ranges = append(s.ranges, r.Header.Get("Range"))
		req := s.snapshot(n, r)
		s.mu.Unlock()
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestKey{}, req)))
	})
}

// snapshot applies ChangeObjectAfter and ExpireAfter for request n; s.mu
// is held.
func (s *Server) snapshot(n int, r *http.Request) *request {
	c := &s.cfg
	if !s.changed && c.changeAfter >= 0 && n > c.changeAfter {
		s.changed = true
		s.data, s.etag = c.changeData, md5ETag(c.changeData)
		s.modified = s.modified.Add(time.Hour)
	}
	return &request{
		n:        n,
		data:     s.data,
		etag:     s.etag,
		modified: s.modified,
		expired:  c.expireAfter >= 0 && n > c.expireAfter && !s.tokens[r.URL.Query().Get("token")],
	}
}

// requestOf is what admit decided for r. A Handler wrapper that dropped
// the request's context gets the object as it is now.
func (s *Server) requestOf(r *http.Request) *request {
	if req, ok := r.Context().Value(requestKey{}).(*request); ok {
		return req
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshot(s.Requests(), r)
}

func md5ETag(b []byte) string {
	sum := md5.Sum(b)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// wait sleeps d and reports whether it did: it returns false early when
// the client went away or the server closed.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}
