package bridge

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"dlhelper/internal/atomicfile"
)

// Trusting a portal without a terminal. A page of an origin the helper does
// not trust yet may ask (POST /v1/trust-requests); the helper then asks its
// own user, on its own status page (approve.html, which cannot be framed)
// and in a notification, never in the page. The answer is a click on that
// page carrying a one-time nonce bound to the request and to the browser's
// session, so neither the asking page nor another local page can answer
// for the user. Asking is rate-limited per origin and overall, and a
// request still pending is answered again instead of asked twice, so a
// page cannot flood the user. Portals allowed for good are kept, with
// when, in TrustedFile; "this time only" lasts until the helper stops.

// TrustedFile holds the portals the user allowed, in the state folder.
const TrustedFile = "trusted.json"

// Codes of the trust endpoints.
const (
	CodeTrustDenied     = "trust_denied"        // 403: the user said no to this portal (recently)
	CodeNotEligible     = "origin_not_eligible" // 403: only https and loopback http origins may ask
	CodeTooManyRequests = "too_many_requests"   // 429: this origin, or all of them, asked too often
	CodeNonceInvalid    = "nonce_invalid"       // 403: the approval page's nonce was used, expired or not its own
)

// How often portals may ask. The numbers bound what the user is shown:
// one pending question per portal, a handful per portal an hour, a few
// dozen overall.
const (
	trustPendingTTL = 10 * time.Minute // a question nobody answered lapses
	trustDenyHold   = time.Hour        // a denied portal may not ask again before
	trustWindow     = time.Hour        // the rate limits count over this window
	trustPerOrigin  = 3                // new questions per origin per window
	trustGlobal     = 20               // new questions overall per window
	trustMaxPending = 8                // questions shown at once
	trustNonceTTL   = 30 * time.Minute // from the approval page loading to the click
	trustMaxNonces  = 64
)

// Trust states, as the API reports them to the asking page.
const (
	TrustNone    = "none"
	TrustPending = "pending"
	TrustAllowed = "allowed"
	TrustDenied  = "denied"
)

// How long a trust lasts.
const (
	TrustAlways  = "always"  // kept in TrustedFile until removed
	TrustSession = "session" // "this time only": until the helper stops
	TrustConfig  = "config"  // --allow-origin or the config file; removed there
)

// TrustRequest is a question waiting for the user.
type TrustRequest struct {
	ID     string    `json:"id"`
	Origin string    `json:"origin"`
	Asked  time.Time `json:"asked_at"`
	// Files and Bytes describe the order that made the portal ask, when
	// one did (a dlhelper://order link); zero otherwise.
	Files int   `json:"files,omitempty"`
	Bytes int64 `json:"bytes,omitempty"`
}

// TrustedPortal is a portal the user (or the configuration) allowed.
type TrustedPortal struct {
	Origin    string    `json:"origin"`
	AllowedAt time.Time `json:"allowed_at,omitzero"`
	Until     string    `json:"until"` // TrustAlways, TrustSession or TrustConfig
}

// Errors of the trust store; the handlers turn them into API errors.
var (
	errTrustDenied     = errors.New("denied")
	errTrustRateLimit  = errors.New("rate limited")
	errTrustNoRequest  = errors.New("no such request")
	errTrustBadNonce   = errors.New("bad nonce")
	errTrustConfigured = errors.New("configured")
)

type trustNonce struct {
	id, session string // the request and the session (hashes) it is bound to
	exp         time.Time
}

// trust owns the trusted portals, the pending questions and their nonces.
type trust struct {
	mu       sync.Mutex
	path     string // "" keeps allowed portals in memory only
	err      error  // why TrustedFile could not be read; allowing then fails
	now      func() time.Time
	static   map[string]bool      // --allow-origin and config: always trusted
	kept     map[string]time.Time // origin → allowed at, saved
	session  map[string]time.Time // "this time only"
	denied   map[string]time.Time // origin → denied at
	pending  map[string]*TrustRequest
	nonces   map[string]trustNonce // hash → binding
	asked    map[string][]time.Time
	askedAll []time.Time
}

func newTrust(stateDir string, static map[string]bool) *trust {
	t := &trust{
		now: time.Now, static: static, kept: map[string]time.Time{}, session: map[string]time.Time{},
		denied: map[string]time.Time{}, pending: map[string]*TrustRequest{}, nonces: map[string]trustNonce{},
		asked: map[string][]time.Time{},
	}
	if stateDir != "" {
		t.path = filepath.Join(stateDir, TrustedFile)
		t.err = t.load()
	}
	return t
}

// load reads TrustedFile, trusting it only when other users cannot write
// or read it: a portal another user added would receive our downloads.
func (t *trust) load() error {
	f, err := os.Open(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("the list of trusted portals %s cannot be read (%v); check its permissions", t.path, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("the list of trusted portals %s can be read or changed by other users; delete it (portals then ask again)", t.path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err == nil {
		err = json.Unmarshal(data, &t.kept)
	}
	if err != nil {
		return fmt.Errorf("the list of trusted portals %s is damaged; delete it (portals then ask again)", t.path)
	}
	for o := range t.kept {
		if n, err := NormalizeOrigin(o); err != nil || n != o {
			delete(t.kept, o)
		}
	}
	return nil
}

// save writes the kept portals; the caller holds mu.
func (t *trust) save() error {
	if t.path == "" {
		return nil
	}
	if t.err != nil {
		return t.err
	}
	data, _ := json.MarshalIndent(t.kept, "", "  ")
	if err := atomicfile.WriteFile(t.path, data, 0o600); err != nil {
		return fmt.Errorf("save the trusted portals in %s: %w", t.path, err)
	}
	return nil
}

// allowed reports whether pages of origin may use the API.
func (t *trust) allowed(origin string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.allowedLocked(origin)
}

func (t *trust) allowedLocked(origin string) bool {
	_, kept := t.kept[origin]
	_, once := t.session[origin]
	return t.static[origin] || kept || once
}

// eligible reports whether origin may ask to be trusted: https, or http on
// a loopback host for a portal under development. Plain http elsewhere
// could be any network's man in the middle.
func eligible(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	return u.Scheme == "http" && (host == "localhost" || (ip != nil && ip.IsLoopback()))
}

// state is where origin stands, for the asking page.
func (t *trust) state(origin string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.expireLocked()
	switch {
	case t.allowedLocked(origin):
		return TrustAllowed
	case t.pendingFor(origin) != nil:
		return TrustPending
	case !t.denied[origin].IsZero():
		return TrustDenied
	}
	return TrustNone
}

// ask records a question from origin, or returns the one still pending.
// created says whether the user must be asked now.
func (t *trust) ask(origin string, files int, bytes int64) (req TrustRequest, created bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.expireLocked()
	if p := t.pendingFor(origin); p != nil {
		return *p, false, nil
	}
	if !t.denied[origin].IsZero() {
		return TrustRequest{}, false, errTrustDenied
	}
	now := t.now()
	if len(t.asked[origin]) >= trustPerOrigin || len(t.askedAll) >= trustGlobal || len(t.pending) >= trustMaxPending {
		return TrustRequest{}, false, errTrustRateLimit
	}
	t.asked[origin] = append(t.asked[origin], now)
	t.askedAll = append(t.askedAll, now)
	p := &TrustRequest{ID: randomSecret()[:16], Origin: origin, Asked: now, Files: files, Bytes: bytes}
	t.pending[p.ID] = p
	return *p, true, nil
}

func (t *trust) pendingFor(origin string) *TrustRequest {
	for _, p := range t.pending {
		if p.Origin == origin {
			return p
		}
	}
	return nil
}

// expireLocked drops lapsed questions, denials, nonces and counts.
func (t *trust) expireLocked() {
	now := t.now()
	for id, p := range t.pending {
		if now.Sub(p.Asked) > trustPendingTTL {
			delete(t.pending, id)
		}
	}
	for o, at := range t.denied {
		if now.Sub(at) > trustDenyHold {
			delete(t.denied, o)
		}
	}
	for k, n := range t.nonces {
		if now.After(n.exp) || t.pending[n.id] == nil {
			delete(t.nonces, k)
		}
	}
	recent := func(ts []time.Time) []time.Time {
		return slices.DeleteFunc(ts, func(at time.Time) bool { return now.Sub(at) > trustWindow })
	}
	for o, ts := range t.asked {
		if t.asked[o] = recent(ts); len(t.asked[o]) == 0 {
			delete(t.asked, o)
		}
	}
	t.askedAll = recent(t.askedAll)
}

// pendingWithNonces lists the questions, each with a fresh nonce bound to
// it and to session (the hash of the approval page's session).
func (t *trust) pendingWithNonces(session string) ([]TrustRequest, []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.expireLocked()
	reqs := make([]TrustRequest, 0, len(t.pending))
	for _, p := range t.pending {
		reqs = append(reqs, *p)
	}
	slices.SortFunc(reqs, func(a, b TrustRequest) int { return a.Asked.Compare(b.Asked) })
	nonces := make([]string, len(reqs))
	for i, r := range reqs {
		// One live nonce per question and session: reloading the page
		// replaces it instead of piling them up.
		for k, n := range t.nonces {
			if n.id == r.ID && n.session == session {
				delete(t.nonces, k)
			}
		}
		if len(t.nonces) >= trustMaxNonces {
			continue // the page shows the question without buttons; a reload later gets one
		}
		nonces[i] = randomSecret()
		t.nonces[secretHash(nonces[i])] = trustNonce{id: r.ID, session: session, exp: t.now().Add(trustNonceTTL)}
	}
	return reqs, nonces
}

// decide applies the user's answer to question id. The nonce must have
// been given for this question to this session, and serves once.
func (t *trust) decide(id, nonce, session, answer string) (TrustRequest, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.expireLocked()
	k := secretHash(nonce)
	n, ok := t.nonces[k]
	delete(t.nonces, k)
	if nonce == "" || !ok || n.id != id || n.session != session {
		return TrustRequest{}, errTrustBadNonce
	}
	p := t.pending[id]
	if p == nil {
		return TrustRequest{}, errTrustNoRequest
	}
	now := t.now()
	switch answer {
	case "allow":
		t.kept[p.Origin] = now
		if err := t.save(); err != nil {
			delete(t.kept, p.Origin)
			return TrustRequest{}, err
		}
	case "once":
		t.session[p.Origin] = now
	case "deny":
		t.denied[p.Origin] = now
	}
	delete(t.pending, id)
	return *p, nil
}

// list is every trusted portal, the configured ones first.
func (t *trust) list() []TrustedPortal {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []TrustedPortal
	for o := range t.static {
		out = append(out, TrustedPortal{Origin: o, Until: TrustConfig})
	}
	for o, at := range t.kept {
		if !t.static[o] {
			out = append(out, TrustedPortal{Origin: o, AllowedAt: at, Until: TrustAlways})
		}
	}
	for o, at := range t.session {
		if _, kept := t.kept[o]; !kept && !t.static[o] {
			out = append(out, TrustedPortal{Origin: o, AllowedAt: at, Until: TrustSession})
		}
	}
	configFirst := func(p TrustedPortal) bool { return p.Until != TrustConfig }
	slices.SortFunc(out, func(a, b TrustedPortal) int {
		if c := cmp.Compare(b2i(configFirst(a)), b2i(configFirst(b))); c != 0 {
			return c
		}
		return strings.Compare(a.Origin, b.Origin)
	})
	return out
}

// remove stops trusting origin. Configured portals are removed where they
// were configured.
func (t *trust) remove(origin string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.static[origin] {
		return errTrustConfigured
	}
	at, kept := t.kept[origin]
	delete(t.session, origin)
	if !kept {
		return nil
	}
	delete(t.kept, origin)
	if err := t.save(); err != nil {
		t.kept[origin] = at
		return err
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
