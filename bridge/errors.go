package bridge

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"dlhelper/downloader"
)

// Error codes of the API, stable and meant for programs; the message beside
// each is a sentence for people.
const (
	CodeInvalid          = "invalid"                // 400: the request is wrong; the message names the field or file
	CodeUnauthorized     = "unauthorized"           // 401: a local tool without the token
	CodeForbidden        = "forbidden"              // 403: a page whose origin is not allowed
	CodeOriginNotAllowed = "origin_not_allowed"     // 403: a page whose origin dlhelper does not trust (yet); readable by that page
	CodeNotFound         = "not_found"              // 404: no such job, file or path
	CodeMethodNotAllowed = "method_not_allowed"     // 405
	CodeConflict         = "conflict"               // 409: the action does not fit the job's state
	CodeTooManyJobs      = "too_many_jobs"          // 409: the helper keeps as many jobs or files as it may (Limits)
	CodeTooManyFiles     = "too_many_files"         // 413: a job with more files than downloader.MaxFilesPerJob
	CodeTooLarge         = "too_large"              // 413: the body is over MaxBodyBytes
	CodeUnsupportedType  = "unsupported_media_type" // 415: a body that is not application/json
	CodeMisdirected      = "misdirected"            // 421: a Host that is not the helper's
	CodeNoSpace          = "insufficient_space"     // 507: the order does not fit on the download folder's disk (need, free)
	CodeBadFolder        = "bad_folder"             // 400: a download folder that cannot be used (not absolute, not writable)
	CodeInternal         = "internal"               // 500
	CodeNotImplemented   = "not_implemented"        // 501: this helper cannot do it (no desktop to open a folder on)
	CodeUnavailable      = "unavailable"            // 503: the helper is shutting down
	CodeBusy             = "busy"                   // 503: as many event streams are open as the helper serves
)

// apiError is an answer other than success, written as
// {"error":{"code":…,"message":…}}.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Need and Free say, for insufficient_space, the bytes an order needs
	// and those free, so a page can say it in its own language.
	Need int64 `json:"need,omitempty"`
	Free int64 `json:"free,omitempty"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, CodeInvalid, format, args...)
}

// errorBody is the JSON shape of every error answer.
type errorBody struct {
	Error *apiError `json:"error"`
}

// managerError maps an error of the Manager to its answer. The engine's
// ErrInvalid message already names the field ("files[3] (\"a.zip\"): url: …").
func managerError(err error) *apiError {
	var se *downloader.SpaceError
	switch {
	case errors.As(err, &se):
		ae := newError(http.StatusInsufficientStorage, downloader.CodeNoSpace, "%s", se)
		ae.Need, ae.Free = se.Need, se.Free
		return ae
	case errors.Is(err, downloader.ErrInvalid):
		return invalid("%s", strings.TrimPrefix(err.Error(), downloader.ErrInvalid.Error()+": "))
	case errors.Is(err, downloader.ErrNoJob):
		return newError(http.StatusNotFound, CodeNotFound, "%s", err)
	case errors.Is(err, downloader.ErrState):
		return newError(http.StatusConflict, CodeConflict, "%s", err)
	case errors.Is(err, downloader.ErrClosed):
		return newError(http.StatusServiceUnavailable, CodeUnavailable, "dlhelper is shutting down; start it again and retry")
	}
	return newError(http.StatusInternalServerError, CodeInternal, "dlhelper could not do this (%v); see its log, then retry", err)
}

// echoCodes names echo's own errors (unknown route, wrong method, …).
var echoCodes = map[int]string{
	http.StatusBadRequest:            CodeInvalid,
	http.StatusUnauthorized:          CodeUnauthorized,
	http.StatusForbidden:             CodeForbidden,
	http.StatusNotFound:              CodeNotFound,
	http.StatusMethodNotAllowed:      CodeMethodNotAllowed,
	http.StatusRequestEntityTooLarge: CodeTooLarge,
	http.StatusUnsupportedMediaType:  CodeUnsupportedType,
}

// handleError is echo's HTTPErrorHandler: every error, ours or echo's
// (404 for an unknown path, 405), leaves as the same JSON shape.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var ae *apiError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &he):
		code, ok := echoCodes[he.Code]
		if !ok {
			code = CodeInternal
		}
		ae = newError(he.Code, code, "%s", echoMessage(he))
	default:
		ae = newError(http.StatusInternalServerError, CodeInternal, "dlhelper could not do this (%v); see its log, then retry", err)
	}
	if ae.Status >= 500 && ae.Status != http.StatusNotImplemented { // 501 is an answer, not a failure
		s.log.Error("request failed", "method", clip(c.Request().Method), "path", clip(c.Request().URL.Path), "err", err)
	}
	writeError(c, ae)
}

func echoMessage(he *echo.HTTPError) string {
	switch he.Code {
	case http.StatusNotFound:
		return "there is nothing at this path; see API.md for the endpoints"
	case http.StatusMethodNotAllowed:
		return "this path does not take this method; see API.md for the endpoints"
	}
	return fmt.Sprint(he.Message)
}

func writeError(c echo.Context, ae *apiError) {
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(ae.Status)
		return
	}
	_ = c.JSON(ae.Status, errorBody{ae})
}
