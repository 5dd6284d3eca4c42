package bridge

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"dlhelper/internal/atomicfile"
)

// The status page's credential. Nothing a local program can forge (Origin,
// Sec-Fetch-Site, Referer) may stand in for the token, so the helper's own
// page gets a credential of its own: whoever may open it (the tray, "dlhelper
// open", both holding the token) mints a one-time login link; visiting it
// trades the nonce for an HttpOnly, SameSite=Strict session cookie. The
// cookie never reaches script, and other users never see the link.
const (
	loginPath   = "/login"
	nonceTTL    = 2 * time.Minute // from the click in the tray to the page loading
	sessionTTL  = 24 * time.Hour  // a status page left open for a day must log in again
	maxNonces   = 32              // links minted and not yet used
	maxSessions = 32              // browsers logged in at once
)

// SessionsFile keeps the status page's sessions (their hashes) in the
// state folder, so that a status page left open survives a restart of the
// helper (an update, a crash) instead of asking to be opened again.
const SessionsFile = "sessions.json"

// sessions holds login nonces and live sessions by their SHA-256, so that
// a map lookup never compares secrets themselves, and the file holds
// nothing that logs anyone in.
type sessions struct {
	mu     sync.Mutex
	path   string               // "" keeps sessions in memory only
	nonces map[string]time.Time // hash → expiry
	live   map[string]time.Time
}

func newSessions(stateDir string) *sessions {
	ss := &sessions{nonces: map[string]time.Time{}, live: map[string]time.Time{}}
	if stateDir != "" {
		ss.path = filepath.Join(stateDir, SessionsFile)
		ss.load()
	}
	return ss
}

// load reads the sessions of the last run; a missing or damaged file
// means only that the status page logs in again.
func (ss *sessions) load() {
	data, err := os.ReadFile(ss.path)
	if err != nil || json.Unmarshal(data, &ss.live) != nil {
		ss.live = map[string]time.Time{}
	}
	for k, exp := range ss.live {
		if time.Now().After(exp) || len(ss.live) > maxSessions {
			delete(ss.live, k)
		}
	}
}

// save writes the live sessions. A failure costs a login after the next
// restart, no more.
func (ss *sessions) save() {
	if ss.path == "" {
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	data, _ := json.Marshal(ss.live)
	_ = atomicfile.WriteFile(ss.path, data, 0o600)
}

func secretHash(v string) string {
	h := sha256.Sum256([]byte(v))
	return hex.EncodeToString(h[:])
}

// add records secret until ttl passes, dropping expired entries and, when
// full, the one that expires first.
func (ss *sessions) add(m map[string]time.Time, secret string, ttl time.Duration, limit int) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := time.Now()
	var oldest string
	for k, exp := range m {
		if now.After(exp) {
			delete(m, k)
		} else if oldest == "" || exp.Before(m[oldest]) {
			oldest = k
		}
	}
	if len(m) >= limit {
		delete(m, oldest)
	}
	m[secretHash(secret)] = now.Add(ttl)
}

// valid reports whether secret is live in m; once removes it (a nonce
// serves one login).
func (ss *sessions) valid(m map[string]time.Time, secret string, once bool) bool {
	if secret == "" {
		return false
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	k := secretHash(secret)
	exp, ok := m[k]
	if once || (ok && time.Now().After(exp)) {
		delete(m, k)
	}
	return ok && !time.Now().After(exp)
}

func randomSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand does not fail on supported systems
	return hex.EncodeToString(b[:])
}

// StatusPageURL mints a one-time link that logs the browser opening it in
// to the status page. The tray and "dlhelper open" open this, never the
// bare address.
func (s *Server) StatusPageURL() string {
	n := randomSecret()
	s.sess.add(s.sess.nonces, n, nonceTTL, maxNonces)
	return fmt.Sprintf("http://127.0.0.1:%d%s?n=%s", s.port, loginPath, n)
}

// cookieName carries the port: browsers send a 127.0.0.1 cookie to every
// port, and two users' helpers must not overwrite each other's.
func (s *Server) cookieName() string { return "dlhelper_session_" + strconv.Itoa(s.port) }

// sessionOK reports whether r carries a live status page session.
func (s *Server) sessionOK(r *http.Request) bool {
	ck, err := r.Cookie(s.cookieName())
	return err == nil && s.sess.valid(s.sess.live, ck.Value, false)
}

// login trades a nonce from StatusPageURL for a session cookie and sends
// the browser to the status page.
func (s *Server) login(c echo.Context) error {
	if !s.sess.valid(s.sess.nonces, c.QueryParam("n"), true) {
		return s.loginNeeded(c)
	}
	id := randomSecret()
	s.sess.add(s.sess.live, id, sessionTTL, maxSessions)
	s.sess.save()
	c.SetCookie(&http.Cookie{
		Name: s.cookieName(), Value: id, Path: "/", MaxAge: int(sessionTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
	to := "/"
	if c.QueryParam("to") == "approve" {
		to = "/" + approvePage // ApprovalPageURL
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// statusLinkResponse is the body of POST /v1/status-link.
type statusLinkResponse struct {
	URL string `json:"url"`
}

// statusLink mints a login link for a local tool holding the token (a
// second "dlhelper open" hands over to the running helper this way).
func (s *Server) statusLink(c echo.Context) error {
	if callerOf(c).portal() {
		return newError(http.StatusForbidden, CodeForbidden, "only dlhelper's own tools may open its status page")
	}
	if c.QueryParam("page") == "approve" {
		return c.JSON(http.StatusOK, statusLinkResponse{URL: s.ApprovalPageURL()})
	}
	return c.JSON(http.StatusOK, statusLinkResponse{URL: s.StatusPageURL()})
}

// loginNeeded answers a visit without a session: the page says, in both
// languages, where the real way in is. It holds no script and no data.
func (s *Server) loginNeeded(c echo.Context) error {
	return c.HTML(http.StatusUnauthorized, loginNeededPage)
}

const loginNeededPage = `<!doctype html>
<html lang="en"><meta charset="utf-8"><title>dlhelper</title>
<h1>dlhelper</h1>
<p>Open this page from dlhelper's tray menu ("Open status page"), or run <code>dlhelper open dlhelper://status</code>, or open the link <code>dlhelper status</code> prints.
This address alone does not show your downloads, and a link to it works once and for two minutes only.</p>
<p lang="zh">请从 dlhelper 托盘菜单中的 “Open status page” 打开此页面，或运行 <code>dlhelper open dlhelper://status</code>，或打开 <code>dlhelper status</code> 显示的链接。
单凭此地址无法查看您的下载；打开链接仅可使用一次，且两分钟内有效。</p>
</html>
`
