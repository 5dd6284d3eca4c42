package downloader

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Errors callers branch on, checked with errors.Is.
var (
	// ErrNoJob means no job (or file) has the given id (or index).
	ErrNoJob = errors.New("no such job")
	// ErrState means the action does not fit the job's or file's state.
	ErrState = errors.New("action not valid in this state")
	// ErrInvalid means the request itself is wrong; the message names the field.
	ErrInvalid = errors.New("invalid request")
	// ErrClosed means the Manager has been closed.
	ErrClosed = errors.New("manager closed")
)

// Reasons for a file stopping or restarting, internal to the engine.
var (
	errObjectChanged = errors.New("the object changed on the server")
	errNoRanges      = errors.New("the server answered a range request with the whole file")
	errStalled       = errors.New("no data arrived in time")
	errPaused        = errors.New("paused")
	errCanceled      = errors.New("canceled")
	errRemoved       = errors.New("removed")
	errShutdown      = errors.New("shutting down")
	errBadResponse   = errors.New("bad response")
	errETagMismatch  = errors.New("the file does not match its ETag")
	// errChecksumMismatch: a first copy did not match the portal's checksum.
	errChecksumMismatch = errors.New("the file does not match the portal's checksum")
)

// invalidf makes an ErrInvalid that names what is wrong.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// HTTPError is an answer that was not the one asked for. Code is the S3
// error code from the XML body when the server sent one; RetryAfter is
// the server's Retry-After, zero when it sent none.
type HTTPError struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration
}

func (e *HTTPError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("http %d %s: %s", e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("http %d %s", e.Status, http.StatusText(e.Status))
}

// expired reports a presigned URL past its expiry.
func (e *HTTPError) expired() bool {
	return e.Status == http.StatusForbidden && e.Code == "AccessDenied" &&
		strings.Contains(strings.ToLower(e.Message), "expired")
}

// retryable reports a failure that may pass by itself.
func (e *HTTPError) retryable() bool {
	switch e.Status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests:
		return true
	}
	return e.Status >= 500
}

// readHTTPError reads at most a small error body and returns the error it says.
// The body is never written to the file.
func readHTTPError(resp *http.Response) *HTTPError {
	var body struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = xml.Unmarshal(raw, &body)
	return &HTTPError{Status: resp.StatusCode, Code: body.Code, Message: body.Message,
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date. What
// cannot be read, or lies in the past, is zero.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	if at, err := http.ParseTime(h); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

// FileError is why a file stopped, as a user should read it.
type FileError struct {
	// Code is stable and meant for programs: see the constants below.
	Code string `json:"code"`
	// Message is a plain sentence that says what to do next.
	Message string `json:"message"`
}

func (e *FileError) Error() string { return e.Message }

// FileError codes.
const (
	CodeURLExpired     = "url_expired"
	CodeNotFound       = "not_found"
	CodeAccessDenied   = "access_denied"
	CodeHTTP           = "http_error"
	CodeServer         = "server_unavailable"
	CodeNetwork        = "network"
	CodeDiskFull       = "disk_full"
	CodeReadOnly       = "read_only"
	CodePermission     = "permission_denied"
	CodePartMissing    = "part_missing"
	CodeChecksum       = "checksum_mismatch"
	CodeUnstable       = "download_unstable"
	CodeCertificate    = "certificate_untrusted"
	CodeSize           = "size_mismatch"
	CodeObjectChanging = "object_changing"
	CodeDisk           = "disk_error"
	CodeBadResponse    = "bad_response"
)

// describe turns the error that stopped a file into what the user reads.
func describe(err error) *FileError {
	var fe *FileError
	if errors.As(err, &fe) {
		return fe
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return describeHTTP(he)
	}
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return &FileError{CodeDiskFull, "The disk is full. Free some space, then resume the download; the bytes already fetched are kept."}
	case errors.Is(err, syscall.EROFS):
		return &FileError{CodeReadOnly, "The download folder is read-only. Make it writable or choose another folder, then resume."}
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return &FileError{CodePermission, "dlhelper may not write to the download folder. Fix its permissions, then resume."}
	case errors.Is(err, errObjectChanged):
		return &FileError{CodeObjectChanging, "The file keeps changing on the server. Ask the portal for the order again later, then retry."}
	case isCertificateError(err):
		return &FileError{CodeCertificate, "The server's certificate is not trusted (" + err.Error() + "). If your network inspects HTTPS traffic, its certificate must be installed on this computer; otherwise tell the portal's support."}
	case errors.Is(err, errBadResponse):
		return &FileError{CodeBadResponse, "The server keeps sending something other than the part of the file asked for (" + err.Error() + "). Retry later; if it keeps happening, a proxy may be altering downloads."}
	case isDiskError(err):
		return &FileError{CodeDisk, "Writing the file failed (" + err.Error() + "). Check the disk, then resume."}
	}
	return &FileError{CodeNetwork, "The download keeps failing (" + err.Error() + "). Check the network connection, then retry."}
}

func describeHTTP(he *HTTPError) *FileError {
	switch {
	case he.expired():
		return &FileError{CodeURLExpired, "The download link has expired. Open the order in the portal again to refresh it; the bytes already fetched are kept."}
	case he.Status == http.StatusProxyAuthRequired:
		return &FileError{CodeProxyAuth, "The proxy server asked for a user name and password, or refused the ones given. Set the proxy's user and password in dlhelper's settings (or in the proxy address), then retry."}
	case he.Status == http.StatusNotFound:
		return &FileError{CodeNotFound, "The server no longer has this file. Ask the portal's support about the order."}
	case he.Status == http.StatusForbidden || he.Status == http.StatusUnauthorized:
		return &FileError{CodeAccessDenied, "The server refused access to this file. Open the order in the portal again to get a new link."}
	case he.retryable():
		return &FileError{CodeServer, fmt.Sprintf("The server is unavailable (HTTP %d). Retry later; the bytes already fetched are kept.", he.Status)}
	}
	return &FileError{CodeHTTP, fmt.Sprintf("The server answered HTTP %d (%s). Retry later or ask the portal's support.", he.Status, http.StatusText(he.Status))}
}

// isCertificateError reports a TLS certificate that failed verification:
// another attempt meets the same certificate, so it is not retried.
func isCertificateError(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}

// diskError marks an error that came from the local file, not the network.
type diskError struct{ err error }

func (e *diskError) Error() string { return e.err.Error() }
func (e *diskError) Unwrap() error { return e.err }

func isDiskError(err error) bool {
	var de *diskError
	return errors.As(err, &de)
}
