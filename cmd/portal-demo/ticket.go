package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Orders by ticket, the portal's side (see bridge/API.md, "Orders by
// ticket"). The page asks for a ticket; dlhelper fetches the manifest once
// with it and later renews links with the order's token, which is good for
// this order only, can be revoked, and is checked on every call. The tab
// may close meanwhile: nothing here needs the customer's session.

const ticketTTL = 10 * time.Minute // from the click to dlhelper fetching the order

// grant is one order handed to dlhelper.
type grant struct {
	id, ticket, token, user string
	created                 time.Time
	used, revoked           bool
	progress                json.RawMessage // dlhelper's last report
}

type tickets struct {
	p        *portal
	mu       sync.Mutex
	byID     map[string]*grant
	byTicket map[string]*grant
}

func (p *portal) ticketRoutes(mux *http.ServeMux) {
	t := &tickets{p: p, byID: map[string]*grant{}, byTicket: map[string]*grant{}}
	mux.Handle("POST /api/tickets", p.signedIn(http.HandlerFunc(t.create), false))
	mux.HandleFunc("GET /api/tickets/{ticket}", t.manifest)
	mux.HandleFunc("POST /api/orders/{id}/refresh", t.refresh)
	mux.HandleFunc("POST /api/orders/{id}/progress", t.progress)
	mux.Handle("GET /api/orders/{id}", p.signedIn(http.HandlerFunc(t.status), false))
	mux.Handle("POST /api/orders/{id}/revoke", p.signedIn(http.HandlerFunc(t.revoke), false))
}

func secret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// origin is the portal's own origin as the caller reached it. A real
// portal knows its https:// origin; the demo serves plain http on loopback.
func origin(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// create is POST /api/tickets: a ticket for the signed-in customer's order,
// as a URL and as a dlhelper://order link.
func (t *tickets) create(w http.ResponseWriter, r *http.Request) {
	g := &grant{id: secret()[:16], ticket: secret(), token: secret(), user: t.p.user(r), created: time.Now()}
	t.mu.Lock()
	t.byID[g.id], t.byTicket[g.ticket] = g, g
	t.mu.Unlock()
	ticketURL := origin(r) + "/api/tickets/" + g.ticket
	t.p.log.Info("made a ticket", "order", g.id, "user", g.user)
	writeJSON(w, http.StatusCreated, map[string]string{
		"order": g.id, "ticket": ticketURL, "link": "dlhelper://order?ticket=" + url.QueryEscape(ticketURL),
	})
}

// manifest is GET /api/tickets/{ticket}: the order, once, with freshly
// signed links and the order's token.
func (t *tickets) manifest(w http.ResponseWriter, r *http.Request) {
	t.mu.Lock()
	g := t.byTicket[r.PathValue("ticket")]
	ok := g != nil && !g.used && !g.revoked && time.Since(g.created) < ticketTTL
	if ok {
		g.used = true
	}
	t.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "ticket_invalid", "this ticket was used, revoked or has expired; start the download again on the portal")
		return
	}
	type file struct {
		Name   string `json:"name"`
		Size   int64  `json:"size"`
		SHA256 string `json:"sha256"`
		URL    string `json:"url"`
	}
	files := make([]file, len(t.p.order))
	for i, it := range t.p.order {
		u, err := t.p.store.sign(r.Context(), it)
		if err != nil {
			t.p.fail(w, err)
			return
		}
		files[i] = file{Name: it.Name, Size: it.Size, SHA256: it.SHA256, URL: u}
	}
	base := origin(r) + "/api/orders/" + g.id
	t.p.log.Info("dlhelper fetched the order", "order", g.id)
	writeJSON(w, http.StatusOK, map[string]any{
		"version": 1, "name": "Order " + t.p.o.Order, "folder": t.p.o.Order, "files": files,
		"token": g.token, "refresh": base + "/refresh", "progress": base + "/progress",
	})
}

// authorized finds the order and checks its token; it answers the refusal.
func (t *tickets) authorized(w http.ResponseWriter, r *http.Request) (*grant, bool) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	t.mu.Lock()
	g := t.byID[r.PathValue("id")]
	t.mu.Unlock()
	switch {
	case g == nil || subtle.ConstantTimeCompare([]byte(tok), []byte(g.token)) != 1:
		writeError(w, http.StatusUnauthorized, "unauthorized", "this token is not valid for this order")
		return nil, false
	case t.isRevoked(g):
		writeError(w, http.StatusForbidden, "revoked", "the portal revoked this order; start the download again on the portal")
		return nil, false
	}
	return g, true
}

func (t *tickets) isRevoked(g *grant) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return g.revoked
}

// refresh is POST /api/orders/{id}/refresh: a fresh link for one file.
func (t *tickets) refresh(w http.ResponseWriter, r *http.Request) {
	g, ok := t.authorized(w, r)
	if !ok {
		return
	}
	var req struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<10)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid", `send {"name": FILE}`)
		return
	}
	it, found := t.p.find(req.Name)
	if !found {
		writeError(w, http.StatusNotFound, "not_found", "no such file in the order")
		return
	}
	u, err := t.p.store.sign(r.Context(), it)
	if err != nil {
		t.p.fail(w, err)
		return
	}
	t.p.log.Info("re-signed for dlhelper", "file", it.Name, "order", g.id)
	writeJSON(w, http.StatusOK, map[string]string{"url": u})
}

// progress is POST /api/orders/{id}/progress: dlhelper's report, kept for
// the page.
func (t *tickets) progress(w http.ResponseWriter, r *http.Request) {
	g, ok := t.authorized(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<10))
	if err != nil || !json.Valid(body) {
		writeError(w, http.StatusBadRequest, "invalid", "send the progress as JSON")
		return
	}
	t.mu.Lock()
	g.progress = body
	t.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// mine is the customer's own order, or nil after answering 404.
func (t *tickets) mine(w http.ResponseWriter, r *http.Request) *grant {
	t.mu.Lock()
	g := t.byID[r.PathValue("id")]
	t.mu.Unlock()
	if g == nil || g.user != t.p.user(r) {
		writeError(w, http.StatusNotFound, "not_found", "no such order")
		return nil
	}
	return g
}

// status is GET /api/orders/{id}: what dlhelper last reported, for the page.
func (t *tickets) status(w http.ResponseWriter, r *http.Request) {
	g := t.mine(w, r)
	if g == nil {
		return
	}
	t.mu.Lock()
	out := map[string]any{"order": g.id, "fetched": g.used, "revoked": g.revoked, "progress": g.progress}
	t.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// revoke is POST /api/orders/{id}/revoke: the token stops working at once.
func (t *tickets) revoke(w http.ResponseWriter, r *http.Request) {
	g := t.mine(w, r)
	if g == nil {
		return
	}
	t.mu.Lock()
	g.revoked = true
	t.mu.Unlock()
	t.p.log.Info("revoked an order", "order", g.id)
	w.WriteHeader(http.StatusNoContent)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": message}})
}
