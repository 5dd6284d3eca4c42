package faultserver

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

// s3Errors gives a status S3's error code and message.
var s3Errors = map[int][2]string{
	http.StatusBadRequest:                   {"InvalidRequest", "Invalid Request"},
	http.StatusForbidden:                    {"AccessDenied", "Access Denied"},
	http.StatusNotFound:                     {"NoSuchKey", "The specified key does not exist."},
	http.StatusMethodNotAllowed:             {"MethodNotAllowed", "The specified method is not allowed against this resource."},
	http.StatusPreconditionFailed:           {"PreconditionFailed", "At least one of the pre-conditions you specified did not hold"},
	http.StatusRequestedRangeNotSatisfiable: {"InvalidRange", "The requested range is not satisfiable"},
	http.StatusInternalServerError:          {"InternalError", "We encountered an internal error. Please try again."},
	http.StatusNotImplemented:               {"NotImplemented", "A header you provided implies functionality that is not implemented"},
	http.StatusServiceUnavailable:           {"SlowDown", "Please reduce your request rate."},
}

// s3Error is S3's code and message for status; statuses S3 has no code for
// get their status text without spaces ("BadGateway").
func s3Error(status int) (code, msg string) {
	if e, ok := s3Errors[status]; ok {
		return e[0], e[1]
	}
	text := http.StatusText(status)
	if text == "" {
		text = "Status " + strconv.Itoa(status)
	}
	return strings.ReplaceAll(text, " ", ""), text
}

// writeError answers status with S3's XML error body. code and msg default
// to s3Error(status); extra are more element/value pairs for the body.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, msg string, extra ...string) {
	dc, dm := s3Error(status)
	if code == "" {
		code = dc
	}
	if msg == "" {
		msg = dm
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<Error>")
	elem := func(name, value string) {
		b.WriteString("<" + name + ">")
		xml.EscapeText(&b, []byte(value))
		b.WriteString("</" + name + ">")
	}
	elem("Code", code)
	elem("Message", msg)
	for i := 0; i+1 < len(extra); i += 2 {
		elem(extra[i], extra[i+1])
	}
	elem("Resource", r.URL.Path)
	elem("RequestId", w.Header().Get("X-Amz-Request-Id"))
	b.WriteString("</Error>")

	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	w.Write(b.Bytes()) // not counted in BytesSent; a HEAD drops it
}

// byteRange is the inclusive range [first, last].
type byteRange struct{ first, last int64 }

// parseRange reads a Range header against an object of size bytes the way
// S3 and MinIO do. It understands one range in bytes: "a-b", "a-" and the
// suffix "-n". ok is false for anything else, which S3 ignores (the whole
// object is sent). satisfiable is false for a range that starts past the
// end, ends before it starts, or is an empty suffix: S3 answers 416.
func parseRange(h string, size int64) (r byteRange, ok, satisfiable bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !found {
		return r, false, false
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if !found || !digits(a) && a != "" || !digits(b) && b != "" || a == "" && b == "" {
		return r, false, false
	}
	if a == "" { // suffix: the last b bytes
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil {
			return r, false, false
		}
		if n == 0 || size == 0 {
			return r, true, false
		}
		return byteRange{max(size-n, 0), size - 1}, true, true
	}
	first, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return r, false, false
	}
	last := size - 1
	if b != "" {
		if last, err = strconv.ParseInt(b, 10, 64); err != nil {
			return r, false, false
		}
		if last < first {
			return r, true, false
		}
		last = min(last, size-1)
	}
	if first >= size {
		return r, true, false
	}
	return byteRange{first, last}, true, true
}

// digits reports whether s is one or more ASCII digits.
func digits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// etagMatches reports whether an If-Match header matches etag. S3 takes
// the ETag with or without quotes; "*" matches any.
func etagMatches(header, etag string) bool {
	bare := func(s string) string {
		return strings.Trim(strings.TrimPrefix(strings.TrimSpace(s), "W/"), `"`)
	}
	for c := range strings.SplitSeq(header, ",") {
		if strings.TrimSpace(c) == "*" || bare(c) == bare(etag) {
			return true
		}
	}
	return false
}
