package bridge

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// Issue 16 (port squatting): a page must be able to tell the helper it
// paired with from a program another user started on the port first.
func TestPairingProvesTheHelper(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	opts := withOptions(func(o *Options) { o.AllowedOrigins, o.StateDir = []string{portal, otherPortal}, state })
	e := newEnv(t, opts)
	const challenge = "0123456789abcdef0123456789abcdef"

	hello := func(origin, ch string) helloResponse {
		t.Helper()
		r := e.do(req{path: "/v1/hello?challenge=" + ch, origin: origin})
		r.want(t, http.StatusOK, "")
		var h helloResponse
		if err := json.Unmarshal(r.body, &h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	if h := hello(portal, challenge); h.Paired == nil || *h.Paired || h.Proof != "" {
		t.Fatalf("hello before pairing = %+v, want paired false and no proof", h)
	}
	pair := func(origin string) string {
		t.Helper()
		r := e.do(req{method: "POST", path: "/v1/pair", origin: origin})
		r.want(t, http.StatusOK, "")
		var p pairResponse
		if err := json.Unmarshal(r.body, &p); err != nil || len(p.Secret) != 64 {
			t.Fatalf("pair = %s (%v), want a secret", r.body, err)
		}
		return p.Secret
	}
	secret := pair(portal)
	if again := pair(portal); again != secret {
		t.Error("a second pairing of the same origin gave another secret; the portal's other browsers could not prove the helper")
	}
	other := pair(otherPortal)
	if other == secret {
		t.Error("two portals got the same secret")
	}
	h := hello(portal, challenge)
	if h.Paired == nil || !*h.Paired || h.Proof != proof(secret, portal, challenge) {
		t.Fatalf("hello after pairing = %+v, want the proof", h)
	}
	if hello(otherPortal, challenge).Proof == h.Proof {
		t.Error("the proof for one portal also serves another")
	}

	t.Run("the secrets outlive the helper, readable by the user alone", func(t *testing.T) {
		st, err := os.Stat(filepath.Join(state, PairingsFile))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %#o, want 0600", PairingsFile, st.Mode().Perm())
		}
		e2 := newEnv(t, opts)
		r := e2.do(req{method: "POST", path: "/v1/pair", origin: portal})
		var p pairResponse
		json.Unmarshal(r.body, &p)
		if p.Secret != secret {
			t.Error("a restarted helper forgot the pairing")
		}
	})
	t.Run("only portal pages pair", func(t *testing.T) {
		e.do(req{method: "POST", path: "/v1/pair"}).want(t, http.StatusForbidden, CodeForbidden)
		e.do(req{method: "POST", path: "/v1/pair", noToken: true}).want(t, http.StatusUnauthorized, CodeUnauthorized)
		e.do(req{method: "POST", path: "/v1/pair", origin: "https://evil.example"}).want(t, http.StatusForbidden, CodeOriginNotAllowed)
	})
	t.Run("a challenge of the wrong size", func(t *testing.T) {
		e.do(req{path: "/v1/hello?challenge=short", origin: portal}).want(t, http.StatusBadRequest, CodeInvalid)
	})
}
