package faultserver

import (
	"net/http"
	"time"
)

type config struct {
	noRanges, wrongRange, errorBody, chunked bool
	rangeIgnoredAfter                        int
	etag                                     string
	changeAfter                              int
	changeData                               []byte
	resetAfter                               int64
	resetTimes                               int
	stallAfter                               int64
	stallFor                                 time.Duration
	stallTimes                               int
	burstCode, burstCount                    int
	staticCode                               int
	expireAfter                              int
	ttfb                                     time.Duration
	rate                                     int64
	wrap                                     func(http.ResponseWriter, *http.Request, http.Handler)
}

// Option makes the server misbehave in one way.
type Option func(*config)

// NoRanges ignores Range: every answer is 200 with the whole body, as a
// server without range support.
func NoRanges() Option { return func(c *config) { c.noRanges = true } }

// RangeIgnoredAfter honours Range for the first n requests, then answers
// 200 with the whole body: a proxy or CDN in between that changed its mind.
func RangeIgnoredAfter(n int) Option { return func(c *config) { c.rangeIgnoredAfter = n } }

// WrongContentRange answers 206 with a Content-Range whose start is off by
// one: a broken proxy that would corrupt a file written at offsets.
func WrongContentRange() Option { return func(c *config) { c.wrongRange = true } }

// ETag serves this ETag instead of the MD5 of the data (e.g. a multipart
// "…-3", or a wrong plain MD5).
func ETag(s string) Option { return func(c *config) { c.etag = s } }

// ChangeObjectAfter replaces the object (data and ETag) after n requests:
// the portal re-uploaded the file during the download.
func ChangeObjectAfter(n int, data []byte) Option {
	return func(c *config) { c.changeAfter, c.changeData = n, data }
}

// ResetAfterBytes cuts the connection abruptly after n body bytes of an
// answer: a network drop mid-transfer. ResetTimes limits how many answers.
func ResetAfterBytes(n int64) Option { return func(c *config) { c.resetAfter = n } }

// ResetTimes limits ResetAfterBytes to the first k answers (default: all).
func ResetTimes(k int) Option { return func(c *config) { c.resetTimes = k } }

// StallAfterBytes stops sending for d after n body bytes: a connection that
// hangs without closing. StallTimes limits how many answers (default 1).
func StallAfterBytes(n int64, d time.Duration) Option {
	return func(c *config) { c.stallAfter, c.stallFor = n, d }
}

// StallTimes limits StallAfterBytes to the first k answers.
func StallTimes(k int) Option { return func(c *config) { c.stallTimes = k } }

// StatusBurst answers the first k requests with code and an S3 error body:
// a server that is briefly overloaded (503) or failing (500).
func StatusBurst(code, k int) Option { return func(c *config) { c.burstCode, c.burstCount = code, k } }

// StatusStatic answers every request with code and an S3 error body.
func StatusStatic(code int) Option { return func(c *config) { c.staticCode = code } }

// ExpireAfter answers 403 AccessDenied "Request has expired" after n
// requests, like a presigned URL past its expiry; URLs carrying a token
// from FreshToken are honoured again (the portal re-signed the URL).
func ExpireAfter(n int) Option { return func(c *config) { c.expireAfter = n } }

// TimeToFirstByte waits d before answering: a slow server.
func TimeToFirstByte(d time.Duration) Option { return func(c *config) { c.ttfb = d } }

// RateLimit sends at most bytesPerSecond per answer: a slow link.
func RateLimit(bytesPerSecond int64) Option { return func(c *config) { c.rate = bytesPerSecond } }

// ErrorBodyWith200 answers 200 whose body is an HTML error page: a captive
// portal or misconfigured proxy.
func ErrorBodyWith200() Option { return func(c *config) { c.errorBody = true } }

// Chunked sends whole-body answers without Content-Length.
func Chunked() Option { return func(c *config) { c.chunked = true } }

// Handler wraps the server's handler, for faults no option covers.
func Handler(wrap func(w http.ResponseWriter, r *http.Request, next http.Handler)) Option {
	return func(c *config) { c.wrap = wrap }
}
