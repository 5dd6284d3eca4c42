package bridge

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
)

// The trust endpoints (see trust.go and API.md, "Trusting a portal").

const (
	trustAskPath   = "/v1/trust-requests"
	trustStatePath = "/v1/trust"
	approvePage    = "approve.html"
)

// askablePath reports the requests a page of an origin not trusted yet may
// make: asking, and reading where its question stands. originCheck lets
// those two through (and only those), readable by the asking page.
func askablePath(r *http.Request) bool {
	p := r.URL.Path
	return (r.Method == http.MethodPost && p == trustAskPath) || (r.Method == http.MethodGet && p == trustStatePath)
}

// originAllowed reports whether pages of origin may use the whole API.
func (s *Server) originAllowed(origin string) bool {
	return s.self[origin] || s.trust.allowed(origin)
}

// staticOrigins are the portals the command line and config allow: the
// allowed origins that are not the helper's own.
func (s *Server) staticOrigins() map[string]bool {
	out := map[string]bool{}
	for o := range s.origins {
		if !s.self[o] {
			out[o] = true
		}
	}
	return out
}

// trustStateBody is the answer of POST /v1/trust-requests and GET /v1/trust.
type trustStateBody struct {
	State string `json:"state"`
	ID    string `json:"id,omitempty"`
}

func portalOnly(who caller) error {
	if !who.portal() || who.origin == anonymous {
		return newError(http.StatusForbidden, CodeForbidden, "only a portal's page asks dlhelper to trust it")
	}
	return nil
}

// askTrust is POST /v1/trust-requests: a portal's page asks to be
// trusted. The user is asked once per question; the same page asking
// again while it is pending gets the same question back.
func (s *Server) askTrust(c echo.Context) error {
	who := callerOf(c)
	if err := portalOnly(who); err != nil {
		return err
	}
	if !eligible(who.origin) {
		return newError(http.StatusForbidden, CodeNotEligible,
			"only https:// portals (and http://localhost for development) may ask dlhelper to trust them; serve the portal over https")
	}
	if s.originAllowed(who.origin) {
		return c.JSON(http.StatusOK, trustStateBody{State: TrustAllowed})
	}
	req, created, err := s.trust.ask(who.origin, 0, 0)
	switch {
	case errors.Is(err, errTrustDenied):
		return trustDenied()
	case errors.Is(err, errTrustRateLimit):
		s.log.Warn("refused a request to be trusted: asked too often", "origin", clip(who.origin))
		return newError(http.StatusTooManyRequests, CodeTooManyRequests,
			"this portal, or portals together, asked dlhelper to trust them too often; wait an hour, or allow the portal in dlhelper's settings")
	case err != nil:
		return err
	}
	if created {
		s.askUser(req)
	}
	return c.JSON(http.StatusAccepted, trustStateBody{State: TrustPending, ID: req.ID})
}

func trustDenied() error {
	return newError(http.StatusForbidden, CodeTrustDenied,
		"dlhelper's user chose not to trust this portal; download the files in the browser, or ask again in an hour")
}

// askUser puts the question where the user looks: the approval page,
// logged in, and a notification (Options.AskTrust).
func (s *Server) askUser(req TrustRequest) {
	s.log.Info("a portal asks to be trusted", "origin", clip(req.Origin), "files", req.Files, "bytes", req.Bytes)
	if s.askTrustFn != nil {
		s.askTrustFn(req, s.ApprovalPageURL())
	}
}

// trustState is GET /v1/trust: where the calling portal stands.
func (s *Server) trustState(c echo.Context) error {
	who := callerOf(c)
	if err := portalOnly(who); err != nil {
		return err
	}
	if s.originAllowed(who.origin) {
		return c.JSON(http.StatusOK, trustStateBody{State: TrustAllowed})
	}
	return c.JSON(http.StatusOK, trustStateBody{State: s.trust.state(who.origin)})
}

// pendingTrustItem is a question with the nonce its buttons send.
type pendingTrustItem struct {
	TrustRequest
	Nonce string `json:"nonce,omitempty"`
}

// listTrustRequests is GET /v1/trust-requests, for the approval page: the
// questions, each with a nonce bound to the page's session. A local tool
// with the token sees them without nonces: only a click answers.
func (s *Server) listTrustRequests(c echo.Context) error {
	if callerOf(c).portal() {
		return newError(http.StatusForbidden, CodeForbidden, "only dlhelper's own status page sees who asks to be trusted")
	}
	session := s.sessionHash(c.Request())
	reqs, nonces := s.trust.pendingWithNonces(session)
	out := make([]pendingTrustItem, len(reqs))
	for i, r := range reqs {
		out[i] = pendingTrustItem{TrustRequest: r}
		if session != "" {
			out[i].Nonce = nonces[i]
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"requests": out})
}

// sessionHash is the hash of the request's live status page session, or "".
func (s *Server) sessionHash(r *http.Request) string {
	if !s.sessionOK(r) {
		return ""
	}
	ck, _ := r.Cookie(s.cookieName())
	return secretHash(ck.Value)
}

var decisionKeys = map[string]bool{"answer": true, "nonce": true}

type decisionBody struct {
	Answer string `json:"answer"` // "allow", "once" or "deny"
	Nonce  string `json:"nonce"`
}

// decideTrust is POST /v1/trust-requests/{id}/decision: the user's click
// on the approval page. It needs the page's session and its own origin
// (a browser always sends Origin on a POST), and a nonce from
// listTrustRequests for this question and session; the nonce serves once.
func (s *Server) decideTrust(c echo.Context) error {
	r := c.Request()
	session := s.sessionHash(r)
	if callerOf(c).portal() || session == "" || !s.self[r.Header.Get("Origin")] {
		return newError(http.StatusForbidden, CodeForbidden, "only a click on dlhelper's own status page answers whether to trust a portal")
	}
	data, err := readJSONBody(c)
	if err != nil {
		return err
	}
	var b decisionBody
	if err := decodeStrict(data, &b, decisionKeys); err != nil {
		return err
	}
	if b.Answer != "allow" && b.Answer != "once" && b.Answer != "deny" {
		return invalid(`answer: must be "allow", "once" or "deny"`)
	}
	req, err := s.trust.decide(c.Param("id"), b.Nonce, session, b.Answer)
	switch {
	case errors.Is(err, errTrustBadNonce):
		return newError(http.StatusForbidden, CodeNonceInvalid, "this answer was already given or its page is too old; reload dlhelper's page and answer again")
	case errors.Is(err, errTrustNoRequest):
		return newError(http.StatusNotFound, CodeNotFound, "this question is no longer open (it was answered or lapsed); the portal may ask again")
	case err != nil:
		s.log.Error("could not save a trusted portal", "err", err)
		return newError(http.StatusInternalServerError, CodeInternal, "dlhelper could not save the portal (%v); fix that, then answer again", err)
	}
	s.log.Info("the user answered a portal's request to be trusted", "origin", clip(req.Origin), "answer", b.Answer)
	s.releaseParked(req.Origin, b.Answer != "deny") // orders by link that waited (orders.go)
	return c.JSON(http.StatusOK, trustStateBody{State: map[string]string{"allow": TrustAllowed, "once": TrustAllowed, "deny": TrustDenied}[b.Answer]})
}

// listTrusted is GET /v1/trusted: the portals trusted, for the settings.
func (s *Server) listTrusted(c echo.Context) error {
	if callerOf(c).portal() {
		return newError(http.StatusForbidden, CodeForbidden, "only dlhelper's own tools list the trusted portals")
	}
	return c.JSON(http.StatusOK, map[string]any{"portals": s.trust.list()})
}

// removeTrusted is DELETE /v1/trusted?origin=…: the settings' Remove.
func (s *Server) removeTrusted(c echo.Context) error {
	if callerOf(c).portal() {
		return newError(http.StatusForbidden, CodeForbidden, "only dlhelper's own tools remove a trusted portal")
	}
	origin, err := NormalizeOrigin(c.QueryParam("origin"))
	if err != nil {
		return invalid("origin: %v", err)
	}
	switch err := s.trust.remove(origin); {
	case errors.Is(err, errTrustConfigured):
		return newError(http.StatusConflict, CodeConflict,
			"%s is allowed by dlhelper's command line (--allow-origin) or config file; remove it there", origin)
	case err != nil:
		return newError(http.StatusInternalServerError, CodeInternal, "dlhelper could not save the list of portals (%v)", err)
	}
	s.log.Info("a trusted portal was removed", "origin", origin)
	return c.NoContent(http.StatusNoContent)
}

// ApprovalPageURL mints a one-time link that logs the browser in and shows
// the approval page.
func (s *Server) ApprovalPageURL() string {
	return s.StatusPageURL() + "&to=approve"
}

// trustRoutes adds the trust endpoints.
func (s *Server) trustRoutes(e *echo.Echo) {
	e.POST(trustAskPath, s.askTrust)
	e.GET(trustStatePath, s.trustState)
	e.GET(trustAskPath, s.listTrustRequests)
	e.POST(trustAskPath+"/:id/decision", s.decideTrust)
	e.GET("/v1/trusted", s.listTrusted)
	e.DELETE("/v1/trusted", s.removeTrusted)
	e.POST("/v1/orders", s.postOrder)
	e.GET("/v1/orders", s.listOrders)
}
