package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"dlhelper/web"
)

// portal serves the demo's pages and its small API. Everything under /api/
// except the config needs a signed-in session: a real portal signs URLs
// only after it knows who the customer is.
type portal struct {
	o     options
	store *store
	order []item
	log   *slog.Logger

	mu       sync.Mutex
	sessions map[string]string // session token → user
}

func newPortal(o options, s *store, order []item, log *slog.Logger) *portal {
	return &portal{o: o, store: s, order: order, log: log, sessions: map[string]string{}}
}

const sessionCookie = "portal_session"

func (p *portal) routes() http.Handler {
	mux := http.NewServeMux()
	pages := http.FileServerFS(web.Portal())
	mux.Handle("GET /sdk/", pages)
	mux.Handle("GET /assets/", pages)
	mux.Handle("GET /login", p.page("login.html"))
	mux.HandleFunc("POST /login", p.login)
	mux.HandleFunc("POST /logout", p.logout)
	mux.Handle("GET /{$}", p.signedIn(p.page("index.html"), true))
	mux.HandleFunc("GET /api/config", p.config)
	mux.Handle("GET /api/order", p.signedIn(http.HandlerFunc(p.orderJSON), false))
	mux.Handle("POST /api/sign", p.signedIn(http.HandlerFunc(p.resign), false))
	mux.Handle("GET /download/{name}", p.signedIn(http.HandlerFunc(p.browserDownload), false))
	mux.Handle("GET /dist/{name}", serveDist(p.o.Dist))
	p.ticketRoutes(mux) // orders by ticket (ticket.go)
	return securityHeaders(mux)
}

// securityHeaders: the page holds signed URLs, so no framing and no
// referrer that could carry them elsewhere.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

func (p *portal) page(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		http.ServeFileFS(w, r, web.Portal(), name)
	})
}

// signedIn lets a request with a live session through; others go to the
// login page (pages) or get 401 (the API).
func (p *portal) signedIn(next http.Handler, page bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.user(r) != "" {
			next.ServeHTTP(w, r)
			return
		}
		if page {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "sign in first"})
	})
}

func (p *portal) user(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sessions[c.Value]
}

// login accepts any user with the password "demo": it stands for the
// portal's real sign-in.
func (p *portal) login(w http.ResponseWriter, r *http.Request) {
	user, pass := r.PostFormValue("user"), r.PostFormValue("password")
	if user == "" || pass != "demo" {
		http.Redirect(w, r, "/login?failed=1", http.StatusSeeOther)
		return
	}
	tok := make([]byte, 16)
	rand.Read(tok)
	id := hex.EncodeToString(tok)
	p.mu.Lock()
	p.sessions[id] = user
	p.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	p.log.Info("signed in", "user", user)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (p *portal) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		p.mu.Lock()
		delete(p.sessions, c.Value)
		p.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// config is what the page needs before anyone signs in.
func (p *portal) config(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"helperPorts": p.o.HelperPorts, "installerUrl": p.o.Installer, "installers": installers(p.o.Dist)})
}

// orderFile is an archive with its signed URL, as the page gets it.
type orderFile struct {
	item
	URL string `json:"url"`
}

// orderJSON answers the order with a freshly signed URL per archive.
func (p *portal) orderJSON(w http.ResponseWriter, r *http.Request) {
	files := make([]orderFile, len(p.order))
	var total int64
	for i, it := range p.order {
		u, err := p.store.sign(r.Context(), it)
		if err != nil {
			p.fail(w, err)
			return
		}
		files[i] = orderFile{item: it, URL: u}
		total += it.Size
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": p.o.Order, "user": p.user(r), "created": time.Date(2026, 1, 17, 9, 30, 0, 0, time.UTC),
		"expiry": p.o.Expiry.Seconds(), "total": total, "files": files,
	})
}

// resign is the endpoint the SDK's refreshUrl calls when a link expired:
// the portal checks the customer again and signs a fresh URL for the same
// object, and the helper continues where it stopped.
func (p *portal) resign(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<10)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "send {\"name\": FILE}"})
		return
	}
	it, ok := p.find(req.Name)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such file in the order"})
		return
	}
	u, err := p.store.sign(r.Context(), it)
	if err != nil {
		p.fail(w, err)
		return
	}
	p.log.Info("re-signed", "file", it.Name, "user", p.user(r))
	writeJSON(w, http.StatusOK, map[string]string{"url": u})
}

// browserDownload is the fallback: a plain link that signs on click, so it
// works however long the page was open.
func (p *portal) browserDownload(w http.ResponseWriter, r *http.Request) {
	it, ok := p.find(r.PathValue("name"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	u, err := p.store.sign(r.Context(), it)
	if err != nil {
		p.fail(w, err)
		return
	}
	http.Redirect(w, r, u, http.StatusFound)
}

func (p *portal) find(name string) (item, bool) {
	for _, it := range p.order {
		if it.Name == name {
			return it, true
		}
	}
	return item{}, false
}

func (p *portal) fail(w http.ResponseWriter, err error) {
	p.log.Error("request failed", "err", err)
	writeJSON(w, http.StatusBadGateway, map[string]string{"error": "the storage did not answer; try again"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
