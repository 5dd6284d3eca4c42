package faultserver

import (
	"net/http"
	"strconv"
	"time"
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	n := int(s.requests.Add(1))
	in := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	for p := s.peak.Load(); in > p && !s.peak.CompareAndSwap(p, in); p = s.peak.Load() {
	}
	s.mu.Lock()
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	if s.cfg.changeAfter > 0 && n > s.cfg.changeAfter && s.cfg.changeData != nil {
		s.data, s.etag, s.cfg.changeData = s.cfg.changeData, md5ETag(s.cfg.changeData), nil
	}
	data, etag := s.data, s.etag
	expired := s.cfg.expireAfter > 0 && n > s.cfg.expireAfter && !s.tokens[r.URL.Query().Get("token")]
	s.mu.Unlock()

	if s.cfg.ttfb > 0 {
		sleep(r, s.cfg.ttfb)
	}
	switch {
	case r.Method != http.MethodGet:
		writeError(w, http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
		return
	case s.cfg.staticCode != 0:
		writeError(w, s.cfg.staticCode, "", "")
		return
	case n <= s.cfg.burstCount:
		writeError(w, s.cfg.burstCode, "", "Please reduce your request rate.")
		return
	case expired:
		writeError(w, http.StatusForbidden, "AccessDenied", "Request has expired")
		return
	}
	if m := r.Header.Get("If-Match"); m != "" && m != etag {
		writeError(w, http.StatusPreconditionFailed, "", "At least one of the pre-conditions you specified did not hold")
		return
	}
	size := int64(len(data))
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Last-Modified", time.Unix(1700000000, 0).UTC().Format(http.TimeFormat))
	h.Set("Content-Type", "application/zip")
	if s.cfg.errorBody {
		page := []byte("<html><body><h1>Please log in to continue</h1></body></html>")
		h.Set("Content-Type", "text/html")
		h.Set("Content-Length", strconv.Itoa(len(page)))
		w.WriteHeader(http.StatusOK)
		s.write(w, r, page)
		return
	}
	rng := r.Header.Get("Range")
	ignore := s.cfg.noRanges || (s.cfg.rangeIgnoredAfter > 0 && n > s.cfg.rangeIgnoredAfter)
	if rng == "" || ignore {
		if !s.cfg.noRanges {
			h.Set("Accept-Ranges", "bytes")
		}
		if !s.cfg.chunked {
			h.Set("Content-Length", strconv.FormatInt(size, 10))
		}
		w.WriteHeader(http.StatusOK)
		s.write(w, r, data)
		return
	}
	first, last, ok := parseRange(rng, size)
	if !ok {
		h.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
		writeError(w, http.StatusRequestedRangeNotSatisfiable, "", "The requested range is not satisfiable")
		return
	}
	shown := first
	if s.cfg.wrongRange {
		shown++
	}
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Range", "bytes "+strconv.FormatInt(shown, 10)+"-"+strconv.FormatInt(last, 10)+"/"+strconv.FormatInt(size, 10))
	h.Set("Content-Length", strconv.FormatInt(last-first+1, 10))
	w.WriteHeader(http.StatusPartialContent)
	s.write(w, r, data[first:last+1])
}

// write sends body in small chunks, applying resets, stalls and the rate.
func (s *Server) write(w http.ResponseWriter, r *http.Request, body []byte) {
	reset := s.cfg.resetAfter > 0 && (s.cfg.resetTimes < 0 || s.resets.Add(1) <= int64(s.cfg.resetTimes))
	stall := s.cfg.stallFor > 0 && s.stalls.Add(1) <= int64(s.cfg.stallTimes)
	const chunk = 16 << 10
	var sent int64
	start := time.Now()
	for len(body) > 0 {
		k := min(chunk, len(body))
		if reset && sent+int64(k) > s.cfg.resetAfter {
			k = int(s.cfg.resetAfter - sent)
		}
		if stall && sent >= s.cfg.stallAfter {
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			sleep(r, s.cfg.stallFor)
			stall = false
			if r.Context().Err() != nil {
				return
			}
		}
		if k > 0 {
			m, err := w.Write(body[:k])
			sent += int64(m)
			s.sent.Add(int64(m))
			if err != nil {
				return
			}
			body = body[k:]
		}
		if reset && sent >= s.cfg.resetAfter {
			s.hangUp(w)
			return
		}
		if s.cfg.rate > 0 {
			due := start.Add(time.Duration(float64(sent) / float64(s.cfg.rate) * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				if f, ok := w.(http.Flusher); ok {
					f.Flush()
				}
				sleep(r, d)
				if r.Context().Err() != nil {
					return
				}
			}
		}
	}
}

// hangUp closes the connection without finishing the body.
func (s *Server) hangUp(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}
