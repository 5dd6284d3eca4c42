// Package faultserver is an HTTP server that serves one object with Range
// support, the way S3 and MinIO do, and misbehaves on purpose through small
// options: the engine's tests build every failure they need from them.
//
//	srv := faultserver.New(t, data, faultserver.StatusBurst(503, 3))
//	... download srv.URL() ...
//	srv.BytesSent() // what the download cost
//
// Every wait inside the server ends when the client goes away, so a test
// never hangs on it, and Close does not wait for stalled handlers.
package faultserver

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Server serves one object at URL().
type Server struct {
	srv  *httptest.Server
	cfg  config
	mu   sync.Mutex
	data []byte
	etag string
	// counters
	requests, inflight, peak atomic.Int64
	sent                     atomic.Int64
	resets, stalls           atomic.Int64
	ranges                   []string
	expired                  bool
	tokens                   map[string]bool
}

// New starts a server on 127.0.0.1 for data; it closes with the test.
func New(t testing.TB, data []byte, opts ...Option) *Server {
	s := &Server{data: data, tokens: map[string]bool{}}
	s.cfg.stallTimes = 1
	s.cfg.resetTimes = -1
	for _, o := range opts {
		o(&s.cfg)
	}
	s.etag = s.cfg.etag
	if s.etag == "" {
		s.etag = md5ETag(data)
	}
	var h http.Handler = http.HandlerFunc(s.serve)
	if s.cfg.wrap != nil {
		next, wrap := h, s.cfg.wrap
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { wrap(w, r, next) })
	}
	s.srv = httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// URL is the object's URL.
func (s *Server) URL() string { return s.srv.URL + "/bucket/object.bin" }

// URLWithToken is the object's URL carrying a token, as a re-signed URL.
func (s *Server) URLWithToken(tok string) string { return s.URL() + "?token=" + tok }

// FreshToken issues a token that is honoured after ExpireAfter expired the
// URL: it plays the portal signing a new URL.
func (s *Server) FreshToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := strconv.Itoa(len(s.tokens) + 1)
	s.tokens[tok] = true
	return tok
}

// Close stops the server without waiting for stalled answers.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Requests is how many requests arrived.
func (s *Server) Requests() int { return int(s.requests.Load()) }

// BytesSent is how many body bytes were written to clients.
func (s *Server) BytesSent() int64 { return s.sent.Load() }

// MaxConcurrent is the most requests in flight at once.
func (s *Server) MaxConcurrent() int { return int(s.peak.Load()) }

// RangeRequests lists the Range headers seen, in order ("" for none).
func (s *Server) RangeRequests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ranges...)
}

func md5ETag(b []byte) string {
	sum := md5.Sum(b)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// s3Codes names the S3 error code a status gets.
var s3Codes = map[int]string{
	400: "InvalidRequest", 403: "AccessDenied", 404: "NoSuchKey", 412: "PreconditionFailed",
	416: "InvalidRange", 500: "InternalError", 503: "SlowDown",
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	if code == "" {
		code = s3Codes[status]
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><Resource>/bucket/object.bin</Resource></Error>`, code, msg)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write([]byte(body))
}

// parseRange reads "bytes=a-b" or "bytes=a-" against size.
func parseRange(h string, size int64) (first, last int64, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	a, b, found2 := strings.Cut(spec, "-")
	if !found || !found2 {
		return 0, 0, false
	}
	first, err := strconv.ParseInt(a, 10, 64)
	if err != nil || first >= size {
		return 0, 0, false
	}
	last = size - 1
	if b != "" {
		if last, err = strconv.ParseInt(b, 10, 64); err != nil || last < first {
			return 0, 0, false
		}
		last = min(last, size-1)
	}
	return first, last, true
}

// sleep waits d or until the client leaves.
func sleep(r *http.Request, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}
