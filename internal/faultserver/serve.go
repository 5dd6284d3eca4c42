package faultserver

import (
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// errorPage is the body ErrorBodyWith200 sends instead of the object.
const errorPage = "<!DOCTYPE html>\n<html><head><title>Access blocked</title></head>" +
	"<body><h1>Please log in to continue</h1><p>Your session has ended.</p></body></html>\n"

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	req := s.requestOf(r)
	c := &s.cfg
	h := w.Header()
	h.Set("X-Amz-Request-Id", fmt.Sprintf("FA17%012X", req.n))
	h.Set("Server", "AmazonS3")

	if c.ttfb > 0 && !s.wait(r, c.ttfb) {
		return
	}
	switch {
	case r.Method != http.MethodGet:
		writeError(w, r, http.StatusForbidden, "SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided. Check your key and signing method.")
		return
	case r.URL.Path != objectPath:
		writeError(w, r, http.StatusNotFound, "", "")
		return
	case c.staticCode != 0:
		writeError(w, r, c.staticCode, "", "")
		return
	case req.n <= c.burstCount:
		writeError(w, r, c.burstCode, "", "")
		return
	case req.expired:
		writeError(w, r, http.StatusForbidden, "AccessDenied", "Request has expired",
			"X-Amz-Expires", "3600", "Expires", lastModified.Format("2006-01-02T15:04:05Z"))
		return
	}
	if m := r.Header.Get("If-Match"); m != "" && !etagMatches(m, req.etag) {
		writeError(w, r, http.StatusPreconditionFailed, "", "", "Condition", "If-Match")
		return
	}

	data := req.data
	size := int64(len(data))
	h.Set("ETag", req.etag)
	h.Set("Last-Modified", req.modified.Format(http.TimeFormat))
	h.Set("Content-Type", "application/octet-stream")

	if c.errorBody {
		page := []byte(errorPage)
		if int64(len(page)) == size {
			page = append(page, '\n')
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(page)))
		w.WriteHeader(http.StatusOK)
		s.write(w, r, page)
		return
	}

	rng := r.Header.Get("Range")
	ignore := c.noRanges || c.ignoreRangesAfter >= 0 && req.n > c.ignoreRangesAfter
	if !c.noRanges {
		h.Set("Accept-Ranges", "bytes")
	}
	br, ok, satisfiable := parseRange(rng, size)
	if rng == "" || ignore || !ok {
		if c.chunked {
			w.WriteHeader(http.StatusOK)
			flush(w) // headers without a length: the body goes chunked
		} else {
			h.Set("Content-Length", strconv.FormatInt(size, 10))
			w.WriteHeader(http.StatusOK)
		}
		s.write(w, r, data)
		return
	}
	if !satisfiable {
		h.Del("ETag")
		h.Del("Last-Modified")
		h.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
		writeError(w, r, http.StatusRequestedRangeNotSatisfiable, "", "",
			"RangeRequested", rng, "ActualObjectSize", strconv.FormatInt(size, 10))
		return
	}
	shown := br.first
	if c.wrongRange {
		shown++
	}
	h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", shown, br.last, size))
	h.Set("Content-Length", strconv.FormatInt(br.last-br.first+1, 10))
	w.WriteHeader(http.StatusPartialContent)
	s.write(w, r, data[br.first:br.last+1])
}

// write sends body in flushed slices, cutting (ResetAfterBytes), stalling
// (StallAfterBytes) and pacing (RateLimit) it as configured.
func (s *Server) write(w http.ResponseWriter, r *http.Request, body []byte) {
	c := &s.cfg
	slice := 32 << 10
	if c.rate > 0 {
		slice = int(min(max(c.rate/20, 1), int64(slice)))
	}
	reset, stall := c.reset, c.stall
	var sent int64
	start := time.Now()
	for len(body) > 0 {
		if reset && sent >= c.resetAfter {
			reset = false
			if take(&s.resets, c.resetTimes) {
				hangUp(w)
				return
			}
		}
		if stall && sent >= c.stallAfter {
			stall = false
			if take(&s.stalls, c.stallTimes) {
				flush(w)
				if !s.wait(r, c.stallFor) {
					return
				}
			}
		}
		k := min(slice, len(body))
		if reset && sent < c.resetAfter {
			k = int(min(int64(k), c.resetAfter-sent))
		}
		if stall && sent < c.stallAfter {
			k = int(min(int64(k), c.stallAfter-sent))
		}
		m, err := w.Write(body[:k])
		sent += int64(m)
		s.sent.Add(int64(m))
		if err != nil {
			return
		}
		body = body[k:]
		if c.rate > 0 {
			flush(w)
			due := start.Add(time.Duration(float64(sent) / float64(c.rate) * float64(time.Second)))
			if d := time.Until(due); d > 0 && !s.wait(r, d) {
				return
			}
		}
	}
}

// take counts one more use of a fault limited to limit uses (-1: no limit)
// and reports whether this use is allowed.
func take(used *atomic.Int64, limit int) bool {
	return limit < 0 || used.Add(1) <= int64(limit)
}

func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// hangUp flushes what was written and closes the connection under the
// answer, so the client gets a short body and an unexpected EOF.
func hangUp(w http.ResponseWriter) {
	flush(w)
	hj, ok := w.(http.Hijacker)
	if !ok {
		// net/http closes the connection without logging for this panic.
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}
