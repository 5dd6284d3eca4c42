package bridge

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/labstack/echo/v4"

	"dlhelper/internal/atomicfile"
)

// Pairing lets a portal's page check that the program on 127.0.0.1:17315
// is the helper it paired with, not a program another user started on the
// port first to receive the presigned URLs. On its first visit the page
// asks POST /v1/pair and keeps the secret it gets (one per portal origin,
// kept by the helper in PairingsFile). On later visits it sends a random
// challenge to /v1/hello and accepts the helper only if the answer carries
// HMAC-SHA256 of the origin and the challenge, keyed with the secret (proof).
// See API.md.

// PairingsFile holds the pairing secrets, by origin, in the state folder.
const PairingsFile = "pairings.json"

// Challenges are what a page sends: long enough to be unguessable, short
// enough to hold nothing else.
const minChallenge, maxChallenge = 16, 128

type pairings struct {
	path string // "" keeps them in memory only
	mu   sync.Mutex
	m    map[string]string // origin → hex secret
	err  error             // why the file could not be read; pairing is then refused
}

func newPairings(stateDir string) *pairings {
	p := &pairings{m: map[string]string{}}
	if stateDir == "" {
		return p
	}
	p.path = filepath.Join(stateDir, PairingsFile)
	p.err = p.load()
	return p
}

// load reads the file, trusting it only when others cannot read it: a
// secret another user read would let their program pass for the helper.
func (p *pairings) load() error {
	f, err := os.Open(p.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("the pairing file %s cannot be read (%v); check its permissions", p.path, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("the pairing file %s can be read by other users; delete it (portals then pair again)", p.path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err == nil {
		err = json.Unmarshal(data, &p.m)
	}
	if err != nil {
		return fmt.Errorf("the pairing file %s is damaged; delete it (portals then pair again)", p.path)
	}
	return nil
}

// secret returns origin's secret, making and saving one if create is set.
func (p *pairings) secret(origin string, create bool) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return "", p.err
	}
	if sec, ok := p.m[origin]; ok || !create {
		return sec, nil
	}
	sec := randomSecret()
	p.m[origin] = sec
	if p.path != "" {
		data, _ := json.MarshalIndent(p.m, "", "  ")
		if err := atomicfile.WriteFile(p.path, data, 0o600); err != nil {
			delete(p.m, origin)
			return "", fmt.Errorf("save the pairing in %s: %w", p.path, err)
		}
	}
	return sec, nil
}

// proof is what the helper answers to a challenge: the origin is bound in,
// so an answer meant for one portal proves nothing to another.
func proof(secret, origin, challenge string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "dlhelper pairing v1\n%s\n%s", origin, challenge)
	return hex.EncodeToString(mac.Sum(nil))
}

type pairResponse struct {
	Secret string `json:"secret"`
}

// pair gives a portal's page its pairing secret. Only a page of an allowed
// portal pairs, and only for its own origin; another user's program is
// refused before it gets here where the system tells (Guard).
func (s *Server) pair(c echo.Context) error {
	who := callerOf(c)
	if !who.portal() {
		return newError(http.StatusForbidden, CodeForbidden, "only a portal's page pairs with dlhelper; local tools use the token")
	}
	sec, err := s.pairs.secret(who.origin, true)
	if err != nil {
		s.log.Error("pairing failed", "origin", clip(who.origin), "err", err)
		return newError(http.StatusInternalServerError, CodeInternal, "dlhelper could not pair with this page (%v); fix that, then reload the page", err)
	}
	return c.JSON(http.StatusOK, pairResponse{Secret: sec})
}

// helloProof answers a portal page's challenge, if it sent one and is
// paired; it is nil otherwise.
func (s *Server) helloProof(c echo.Context) (*bool, string, error) {
	who, ch := callerOf(c), c.QueryParam("challenge")
	if ch == "" || !who.portal() || who.origin == anonymous {
		return nil, "", nil
	}
	if len(ch) < minChallenge || len(ch) > maxChallenge {
		return nil, "", invalid("challenge: must be %d to %d characters", minChallenge, maxChallenge)
	}
	sec, err := s.pairs.secret(who.origin, false)
	if err != nil {
		s.log.Error("cannot read pairings", "err", err)
	}
	paired := sec != ""
	if !paired {
		return &paired, "", nil
	}
	return &paired, proof(sec, who.origin, ch), nil
}

// logProblem says at start why pages cannot pair, if they cannot.
func (p *pairings) logProblem(log *slog.Logger) {
	if p.err != nil {
		log.Warn("portal pages cannot pair with dlhelper", "err", p.err)
	}
}
