package bridge

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// The layers below run in this order on every request, before routing
// decides anything: securityHeaders → hostCheck → originCheck → auth →
// bodyLimit → handler. Each stops one kind of attack; together they are the
// whole of "who may talk" (see API.md, "Security model").

// contentSecurityPolicy locks the status page to its own files and its own
// API: no inline script, no third-party content, no framing. ws:// sources
// are named because older browsers do not count them under 'self'.
func contentSecurityPolicy(port int) string {
	return fmt.Sprintf("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self' ws://127.0.0.1:%[1]d ws://localhost:%[1]d; "+
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'", port)
}

// securityHeaders marks every answer as not to be sniffed (a JSON error
// echoing a name is never run as HTML), cached, referred to or framed
// (clickjacking of the status page), and gives the status page a strict
// CSP.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", s.csp)
		return next(c)
	}
}

// hostCheck answers 421 unless Host is exactly 127.0.0.1:PORT,
// localhost:PORT or [::1]:PORT. It stops DNS rebinding: a site whose name
// was made to resolve to 127.0.0.1 is same-origin with itself, so its page
// could read our answers, but its requests carry its own name in Host.
func (s *Server) hostCheck(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		host := strings.ToLower(c.Request().Host)
		if !s.hosts[host] {
			s.log.Warn("refused a request for another host", "host", clip(host))
			return newError(http.StatusMisdirectedRequest, CodeMisdirected,
				"this request is addressed to %q; dlhelper answers only at 127.0.0.1:%d, localhost:%d or [::1]:%d",
				clip(host), s.port, s.port, s.port)
		}
		return next(c)
	}
}

// originCheck admits browser requests only from allowed origins. Browsers
// set Origin on every cross-origin request, every POST, PUT and DELETE and
// every WebSocket upgrade, and a page cannot forge it. So a page of another
// site gets 403 before anything runs, including the "simple" requests
// (form posts, text/plain fetches) that CORS would send without a
// preflight, and sandboxed frames and file: pages, whose Origin is "null".
// Allowed origins get the CORS headers, and their preflights are answered
// here, with the Private Network Access header when asked for.
func (s *Server) originCheck(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		h := c.Response().Header()
		h.Add("Vary", "Origin")
		origins := r.Header.Values("Origin")
		if len(origins) == 0 {
			return next(c) // not a browser, or a same-origin GET: auth decides
		}
		if len(origins) == 1 && !s.originAllowed(origins[0]) && askablePath(r) {
			// A portal not trusted yet asks to be (trust_api.go).
			h.Set("Access-Control-Allow-Origin", origins[0])
			return next(c)
		}
		if len(origins) > 1 || !s.originAllowed(origins[0]) {
			s.log.Warn("refused a request from an origin that is not allowed", "origin", clip(origins[0]), "path", clip(r.URL.Path))
			// The refused page may read this refusal (its own origin, no
			// preflight approved), so the customer is told "running, but
			// not trusting this portal" instead of "not running".
			if len(origins) == 1 && r.Method != http.MethodOptions {
				h.Set("Access-Control-Allow-Origin", origins[0])
			}
			return newError(http.StatusForbidden, CodeOriginNotAllowed,
				"dlhelper is running but does not trust pages from %q yet; if this is your portal, allow it in dlhelper (or start dlhelper with --allow-origin for it)", clip(origins[0]))
		}
		h.Set("Access-Control-Allow-Origin", origins[0])
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			return preflight(c)
		}
		return next(c)
	}
}

// preflight answers a CORS preflight of an allowed origin.
func preflight(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE")
	h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization")
	h.Set("Access-Control-Max-Age", "600")
	h.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network")
	// Chrome's older Private Network Access asked this before letting a
	// public page reach loopback; Local Network Access replaced it with a
	// permission prompt, and answering stays harmless.
	if strings.EqualFold(c.Request().Header.Get("Access-Control-Request-Private-Network"), "true") {
		h.Set("Access-Control-Allow-Private-Network", "true")
	}
	return c.NoContent(http.StatusNoContent)
}

// auth decides who a request comes from. A page of an allowed portal
// (originCheck vouched for its Origin) acts for that portal: it sees its
// own jobs only. Everyone else must prove to be the local user: local
// programs (the CLI, the tray, scripts) with the token, which they read from
// the state folder and another user cannot; the status page with its
// session cookie (session.go). Headers a program can forge (Origin naming
// the helper itself, Sec-Fetch-Site, Referer) never count. Open to all:
// /v1/hello (discovery), /login, and the status page's files (its index
// says how to log in unless the session is there, see statusPage).
func (s *Server) auth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		origin := r.Header.Get("Origin")
		switch {
		case origin != "" && !s.self[origin]:
			c.Set(callerKey, caller{origin: origin})
			return next(c)
		case s.tokenOK(r) || s.sessionOK(r):
			c.Set(callerKey, caller{})
			return next(c)
		case open(r):
			c.Set(callerKey, caller{origin: anonymous})
			return next(c)
		}
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="dlhelper"`)
		return newError(http.StatusUnauthorized, CodeUnauthorized,
			"this request needs dlhelper's token: send the header \"Authorization: Bearer TOKEN\" with the content of the file \"token\" in dlhelper's state folder; to see the status page, open it from dlhelper's tray menu or run \"dlhelper open dlhelper://status\"")
	}
}

// anonymous is the scope of a caller who proved nothing: the open
// endpoints take no scope, and should one ever read it, it matches no job.
const anonymous = "anonymous:"

// open reports requests any local caller may make.
func open(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	path := echo.GetPath(r) // the path the router will match
	return path == "/v1/hello" || !strings.HasPrefix(path, "/v1/")
}

func (s *Server) tokenOK(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || len(s.token) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), s.token) == 1
}

// maxLogged bounds a value from a request in the log: a 1 MB Origin must
// not become a 1 MB log line.
const maxLogged = 200

// clip shortens v for the log, saying how much was cut.
func clip(v string) string {
	if len(v) <= maxLogged {
		return v
	}
	return fmt.Sprintf("%s… (%d bytes)", strings.ToValidUTF8(v[:maxLogged], ""), len(v))
}

// bodyLimit caps what a caller can make the helper read: a body announced
// larger than MaxBodyBytes is refused unread, one that turns out larger
// fails as it is read (readJSONBody answers 413).
func (s *Server) bodyLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > MaxBodyBytes {
			return tooLarge()
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, MaxBodyBytes)
		return next(c)
	}
}

func tooLarge() *apiError {
	return newError(http.StatusRequestEntityTooLarge, CodeTooLarge,
		"the request body is larger than %d MiB; split the order into smaller jobs", MaxBodyBytes>>20)
}

func isTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
