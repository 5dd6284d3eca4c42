package faultserver

import (
	"net/http"
	"strings"
	"time"
)

// config is what the options set. Counts of -1 mean "off" (or "no limit"
// for resetTimes), so that 0 can mean "from the first request".
type config struct {
	noRanges          bool
	ignoreRangesAfter int
	wrongRange        bool
	etag              string
	changeAfter       int
	changeData        []byte
	reset             bool
	resetAfter        int64
	resetTimes        int
	stall             bool
	stallAfter        int64
	stallFor          time.Duration
	stallTimes        int
	burstCode         int
	burstCount        int
	staticCode        int
	expireAfter       int
	ttfb              time.Duration
	rate              int64
	errorBody         bool
	chunked           bool
	wrap              func(http.ResponseWriter, *http.Request, http.Handler)
}

func defaultConfig() config {
	return config{
		ignoreRangesAfter: -1,
		changeAfter:       -1,
		resetTimes:        -1,
		stallTimes:        1,
		expireAfter:       -1,
	}
}

// Option makes the server misbehave in one way.
type Option func(*config)

// NoRanges simulates a server without range support: Range is ignored,
// every answer is 200 with the whole body and no Accept-Ranges.
func NoRanges() Option { return func(c *config) { c.noRanges = true } }

// RangeIgnoredAfter simulates a proxy or CDN that stops honouring Range:
// the first n requests get ranges, later ones 200 with the whole body.
func RangeIgnoredAfter(n int) Option { return func(c *config) { c.ignoreRangesAfter = max(n, 0) } }

// WrongContentRange simulates a broken proxy that mislabels ranges: 206
// whose Content-Range start is one past the start asked for, while the
// body still begins at the start asked for.
func WrongContentRange() Option { return func(c *config) { c.wrongRange = true } }

// ETag simulates an object whose ETag is not the MD5 of its data, such as a
// multipart upload's "abc…-3". The value is quoted if it is not already.
func ETag(s string) Option {
	if !strings.HasPrefix(s, `"`) && !strings.HasPrefix(s, `W/"`) {
		s = `"` + s + `"`
	}
	return func(c *config) { c.etag = s }
}

// ChangeObjectAfter simulates the object being re-uploaded mid-download:
// after n requests it is replaced by data, with the MD5 of data as its
// ETag and a later Last-Modified.
func ChangeObjectAfter(n int, data []byte) Option {
	return func(c *config) { c.changeAfter, c.changeData = max(n, 0), data }
}

// ResetAfterBytes simulates a network drop mid-transfer: after n body bytes
// the answer is flushed, its connection hijacked and closed, so the client
// reads n bytes and then an unexpected EOF. Every answer longer than n
// bytes is cut, unless ResetTimes limits it.
func ResetAfterBytes(n int64) Option {
	return func(c *config) { c.reset, c.resetAfter = true, max(n, 0) }
}

// ResetTimes limits ResetAfterBytes to the first k answers it cuts (by
// default every answer is cut), so that retries can succeed.
func ResetTimes(k int) Option { return func(c *config) { c.resetTimes = max(k, 0) } }

// StallAfterBytes simulates a connection that hangs without closing: after
// n body bytes (flushed) the answer stops for d, or until the client goes
// away, then goes on. Only one answer stalls unless StallTimes says more.
func StallAfterBytes(n int64, d time.Duration) Option {
	return func(c *config) { c.stall, c.stallAfter, c.stallFor = true, max(n, 0), d }
}

// StallTimes sets how many answers StallAfterBytes stalls (default 1).
func StallTimes(k int) Option { return func(c *config) { c.stallTimes = max(k, 0) } }

// StatusBurst simulates a briefly overloaded or failing server: the first k
// requests get code with S3's XML error body (503 SlowDown, 500
// InternalError, 404 NoSuchKey, 403 AccessDenied, …).
func StatusBurst(code, k int) Option { return func(c *config) { c.burstCode, c.burstCount = code, k } }

// StatusStatic simulates a server that always fails: every request gets
// code with S3's XML error body.
func StatusStatic(code int) Option { return func(c *config) { c.staticCode = code } }

// ExpireAfter simulates a presigned URL running out: after n requests every
// request gets 403 AccessDenied "Request has expired", except those whose
// URL carries a token from FreshToken (the portal re-signed the URL; see
// URLWithToken).
func ExpireAfter(n int) Option { return func(c *config) { c.expireAfter = max(n, 0) } }

// TimeToFirstByte simulates a slow server: every request waits d (or until
// the client goes away) before anything is written.
func TimeToFirstByte(d time.Duration) Option { return func(c *config) { c.ttfb = d } }

// RateLimit simulates a slow link: each answer's body goes out at about
// bytesPerSecond, in flushed slices of a twentieth of a second.
func RateLimit(bytesPerSecond int64) Option { return func(c *config) { c.rate = bytesPerSecond } }

// ErrorBodyWith200 simulates a misbehaving proxy or captive portal: the
// answer is 200 with the object's ETag and Last-Modified, but its body is
// an HTML error page of another length (Content-Length is the page's),
// whether or not a Range was asked for.
func ErrorBodyWith200() Option { return func(c *config) { c.errorBody = true } }

// Chunked simulates a server that streams without a length: whole-body 200
// answers have no Content-Length and use chunked transfer encoding.
func Chunked() Option { return func(c *config) { c.chunked = true } }

// Handler wraps the server's handler, for faults no option covers: wrap
// may answer itself or call next. Requests it answers itself still count
// in Requests, RangeRequests and MaxConcurrent.
func Handler(wrap func(w http.ResponseWriter, r *http.Request, next http.Handler)) Option {
	return func(c *config) { c.wrap = wrap }
}
