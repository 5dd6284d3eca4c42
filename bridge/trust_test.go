package bridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

const stranger = "https://new-portal.example.com"

// asked records what the server put in front of the user.
type asked struct {
	mu   sync.Mutex
	reqs []TrustRequest
	urls []string
}

func (a *asked) fn(r TrustRequest, u string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reqs, a.urls = append(a.reqs, r), append(a.urls, u)
}

func (a *asked) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.reqs)
}

func newTrustEnv(t *testing.T, state string, a *asked) *env {
	return newEnv(t, withOptions(func(o *Options) {
		o.StateDir = state
		if a != nil {
			o.AskTrust = a.fn
		}
	}))
}

type pendingList struct {
	Requests []struct {
		ID, Origin, Nonce string
	}
}

// pending reads the approval page's list with its session.
func (e *env) pending(session *http.Cookie) pendingList {
	e.t.Helper()
	r := e.do(req{path: "/v1/trust-requests", noToken: true, session: session})
	r.want(e.t, http.StatusOK, "")
	var l pendingList
	if err := json.Unmarshal(r.body, &l); err != nil {
		e.t.Fatal(err)
	}
	return l
}

// answer posts the approval page's click.
func (e *env) answer(session *http.Cookie, id, answer, nonce string) result {
	return e.do(req{
		method: http.MethodPost, path: "/v1/trust-requests/" + id + "/decision", origin: e.url, session: session,
		body: fmt.Sprintf(`{"answer":%q,"nonce":%q}`, answer, nonce),
	})
}

func (e *env) ask(origin string) result {
	return e.do(req{method: http.MethodPost, path: "/v1/trust-requests", origin: origin})
}

func TestAPortalAsksAndTheUserAllowsIt(t *testing.T) {
	t.Parallel()
	state, a := t.TempDir(), &asked{}
	e := newTrustEnv(t, state, a)

	e.do(req{path: "/v1/hello", origin: stranger}).want(t, http.StatusForbidden, CodeOriginNotAllowed)
	first := e.ask(stranger)
	first.want(t, http.StatusAccepted, "")
	if got := first.header.Get("Access-Control-Allow-Origin"); got != stranger {
		t.Errorf("the asking page cannot read the answer: Access-Control-Allow-Origin %q", got)
	}
	again := e.ask(stranger)
	again.want(t, http.StatusAccepted, "")
	if string(again.body) != string(first.body) {
		t.Errorf("asking twice made a second question: %s then %s", first.body, again.body)
	}
	if a.count() != 1 || !strings.Contains(a.urls[0], "to=approve") || a.reqs[0].Origin != stranger {
		t.Fatalf("the user was asked %d times (%v), want once with an approval link", a.count(), a.urls)
	}
	if r := e.do(req{path: "/v1/trust", origin: stranger}); !strings.Contains(string(r.body), `"pending"`) {
		t.Errorf("GET /v1/trust while pending: %s", r.body)
	}
	// The asking page may do nothing else yet.
	e.do(req{path: "/v1/jobs", origin: stranger}).want(t, http.StatusForbidden, CodeOriginNotAllowed)
	e.do(req{path: "/v1/trust-requests", origin: stranger}).want(t, http.StatusForbidden, CodeOriginNotAllowed)

	session := e.login()
	l := e.pending(session)
	if len(l.Requests) != 1 || l.Requests[0].Origin != stranger || l.Requests[0].Nonce == "" {
		t.Fatalf("the approval page lists %+v, want the stranger's question with a nonce", l)
	}
	e.answer(session, l.Requests[0].ID, "allow", l.Requests[0].Nonce).want(t, http.StatusOK, "")
	e.do(req{path: "/v1/hello", origin: stranger}).want(t, http.StatusOK, "")
	e.do(req{path: "/v1/jobs", origin: stranger}).want(t, http.StatusOK, "")

	path := filepath.Join(state, TrustedFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("the allowed portal was not saved: %v", err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, st.Mode().Perm())
	}
	list := e.do(req{path: "/v1/trusted"})
	var got struct{ Portals []TrustedPortal }
	_ = json.Unmarshal(list.body, &got)
	want := map[string]string{portal: TrustConfig, stranger: TrustAlways}
	for _, p := range got.Portals {
		if want[p.Origin] != p.Until || (p.Until == TrustAlways && p.AllowedAt.IsZero()) {
			t.Errorf("trusted portal %+v, want until %q with the time it was allowed", p, want[p.Origin])
		}
		delete(want, p.Origin)
	}
	if len(want) != 0 {
		t.Errorf("the settings do not list %v: %s", want, list.body)
	}

	t.Run("the trust outlives a restart", func(t *testing.T) {
		e2 := newTrustEnv(t, state, nil)
		e2.do(req{path: "/v1/hello", origin: stranger}).want(t, http.StatusOK, "")
	})
	t.Run("removing the portal ends its trust", func(t *testing.T) {
		ws, _ := e.dial(originHeader(stranger))
		e.do(req{method: http.MethodDelete, path: "/v1/trusted?origin=" + stranger, noToken: true, origin: e.url, session: session}).
			want(t, http.StatusNoContent, "")
		e.do(req{path: "/v1/hello", origin: stranger}).want(t, http.StatusForbidden, CodeOriginNotAllowed)
		e.addJob(jobJSON("http://127.0.0.1:1/x", "x.bin")) // any event: the open stream learns it is no longer trusted
		ws.SetReadDeadline(time.Now().Add(60 * time.Second))
		var ce *websocket.CloseError
		for {
			_, _, err := ws.ReadMessage()
			if errors.As(err, &ce) || err != nil {
				break
			}
		}
		if ce == nil || ce.Code != websocket.ClosePolicyViolation {
			t.Errorf("the removed portal's event stream ended with %v, want close 1008", ce)
		}
		e.do(req{method: http.MethodDelete, path: "/v1/trusted?origin=" + portal}).want(t, http.StatusConflict, CodeConflict)
		e.do(req{method: http.MethodDelete, path: "/v1/trusted?origin=" + portal, origin: stranger}).want(t, http.StatusForbidden, CodeOriginNotAllowed)
		e3 := newTrustEnv(t, state, nil)
		e3.do(req{path: "/v1/hello", origin: stranger}).want(t, http.StatusForbidden, CodeOriginNotAllowed)
	})
}

func TestDeniedAndThisTimeOnly(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	e := newTrustEnv(t, state, nil)
	const other = "https://other.example.com"
	e.ask(stranger).want(t, http.StatusAccepted, "")
	e.ask(other).want(t, http.StatusAccepted, "")
	session := e.login()
	for _, r := range e.pending(session).Requests {
		answer := map[string]string{stranger: "deny", other: "once"}[r.Origin]
		e.answer(session, r.ID, answer, r.Nonce).want(t, http.StatusOK, "")
	}
	e.ask(stranger).want(t, http.StatusForbidden, CodeTrustDenied)
	if r := e.do(req{path: "/v1/trust", origin: stranger}); !strings.Contains(string(r.body), `"denied"`) {
		t.Errorf("GET /v1/trust after a denial: %s", r.body)
	}
	e.do(req{path: "/v1/hello", origin: stranger}).want(t, http.StatusForbidden, CodeOriginNotAllowed)
	e.do(req{path: "/v1/hello", origin: other}).want(t, http.StatusOK, "")
	if _, err := os.Stat(filepath.Join(state, TrustedFile)); err == nil {
		t.Error(`"this time only" was saved for good`)
	}
	newTrustEnv(t, state, nil).do(req{path: "/v1/hello", origin: other}).want(t, http.StatusForbidden, CodeOriginNotAllowed)
}

func TestOnlyHTTPSAndLoopbackMayAsk(t *testing.T) {
	t.Parallel()
	e := newTrustEnv(t, "", nil)
	for origin, status := range map[string]int{
		"http://portal.example.com": http.StatusForbidden,
		"http://192.168.1.5:8080":   http.StatusForbidden,
		"null":                      http.StatusForbidden,
		"http://localhost:3000":     http.StatusAccepted,
		"http://127.0.0.1:8080":     http.StatusAccepted,
		"https://shop.example.com":  http.StatusAccepted,
	} {
		if got := e.ask(origin).status; got != status {
			t.Errorf("%s asks: HTTP %d, want %d", origin, got, status)
		}
	}
}

func TestTheNonceServesOnceForItsQuestionAndSession(t *testing.T) {
	t.Parallel()
	e := newTrustEnv(t, "", nil)
	const other = "https://other.example.com"
	e.ask(stranger).want(t, http.StatusAccepted, "")
	e.ask(other).want(t, http.StatusAccepted, "")
	mine, theirs := e.login(), e.login()
	l := e.pending(mine)
	byOrigin := map[string]int{}
	for i, r := range l.Requests {
		byOrigin[r.Origin] = i
	}
	q, o := l.Requests[byOrigin[stranger]], l.Requests[byOrigin[other]]

	t.Run("another session's nonce is refused, and burnt", func(t *testing.T) {
		e.answer(theirs, q.ID, "allow", q.Nonce).want(t, http.StatusForbidden, CodeNonceInvalid)
		e.answer(mine, q.ID, "allow", q.Nonce).want(t, http.StatusForbidden, CodeNonceInvalid)
	})
	l = e.pending(mine) // fresh nonces for both questions
	q, o = l.Requests[byOrigin[stranger]], l.Requests[byOrigin[other]]
	t.Run("another question's nonce is refused", func(t *testing.T) {
		e.answer(mine, q.ID, "allow", o.Nonce).want(t, http.StatusForbidden, CodeNonceInvalid)
	})
	t.Run("no session, a token or a portal's page cannot answer", func(t *testing.T) {
		e.do(req{method: http.MethodPost, path: "/v1/trust-requests/" + q.ID + "/decision", body: `{"answer":"allow","nonce":"` + q.Nonce + `"}`}).
			want(t, http.StatusForbidden, CodeForbidden)
		e.do(req{method: http.MethodPost, path: "/v1/trust-requests/" + q.ID + "/decision", origin: stranger, body: `{"answer":"allow","nonce":"` + q.Nonce + `"}`}).
			want(t, http.StatusForbidden, CodeOriginNotAllowed)
		e.do(req{method: http.MethodPost, path: "/v1/trust-requests/" + q.ID + "/decision", noToken: true, session: mine, body: `{"answer":"allow","nonce":"` + q.Nonce + `"}`}).
			want(t, http.StatusForbidden, CodeForbidden)
	})
	t.Run("the right nonce serves once", func(t *testing.T) {
		e.answer(mine, q.ID, "deny", q.Nonce).want(t, http.StatusOK, "")
		e.answer(mine, q.ID, "allow", q.Nonce).want(t, http.StatusForbidden, CodeNonceInvalid)
		e.do(req{path: "/v1/hello", origin: stranger}).want(t, http.StatusForbidden, CodeOriginNotAllowed)
	})
	t.Run("a token lists questions without nonces", func(t *testing.T) {
		if r := e.do(req{path: "/v1/trust-requests"}); strings.Contains(string(r.body), "nonce") {
			t.Errorf("a token got nonces: %s", r.body)
		}
	})
}

// clock is a settable time for the trust store.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestAskingIsRateLimited(t *testing.T) {
	t.Parallel()
	t.Run("per origin", func(t *testing.T) {
		c := &clock{t: time.Unix(1e9, 0)}
		tr := newTrust("", nil)
		tr.now = c.now
		for i := range trustPerOrigin {
			if _, created, err := tr.ask(stranger, 0, 0); err != nil || !created {
				t.Fatalf("question %d: created %v, err %v", i+1, created, err)
			}
			if _, created, _ := tr.ask(stranger, 0, 0); created {
				t.Fatalf("question %d was asked twice while pending", i+1)
			}
			c.t = c.t.Add(trustPendingTTL + time.Second) // unanswered: it lapses
		}
		if _, _, err := tr.ask(stranger, 0, 0); err != errTrustRateLimit {
			t.Fatalf("question %d: err %v, want the rate limit", trustPerOrigin+1, err)
		}
		if _, _, err := tr.ask("https://b.example.com", 0, 0); err != nil {
			t.Fatalf("another origin is limited by this one: %v", err)
		}
		c.t = c.t.Add(trustWindow)
		if _, _, err := tr.ask(stranger, 0, 0); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
	t.Run("overall", func(t *testing.T) {
		c := &clock{t: time.Unix(1e9, 0)}
		tr := newTrust("", nil)
		tr.now = c.now
		var err error
		n := 0
		for ; n < 100 && err == nil; n++ {
			_, _, err = tr.ask(fmt.Sprintf("https://p%d.example.com", n), 0, 0)
			if n%trustMaxPending == trustMaxPending-1 {
				c.t = c.t.Add(trustPendingTTL + time.Second)
			}
		}
		if err != errTrustRateLimit || n-1 != trustGlobal {
			t.Fatalf("stopped after %d questions with %v, want %d and the rate limit", n-1, err, trustGlobal)
		}
	})
	t.Run("questions shown at once", func(t *testing.T) {
		tr := newTrust("", nil)
		for n := range trustMaxPending {
			if _, _, err := tr.ask(fmt.Sprintf("https://p%d.example.com", n), 0, 0); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := tr.ask("https://one-more.example.com", 0, 0); err != errTrustRateLimit {
			t.Fatalf("question %d while %d are pending: %v", trustMaxPending+1, trustMaxPending, err)
		}
	})
}

func TestATrustedFileOthersCanReadIsIgnored(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("file modes do not apply on Windows")
	}
	state := t.TempDir()
	data, _ := json.Marshal(map[string]time.Time{stranger: time.Now()})
	if err := os.WriteFile(filepath.Join(state, TrustedFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	e := newTrustEnv(t, state, nil)
	e.do(req{path: "/v1/hello", origin: stranger}).want(t, http.StatusForbidden, CodeOriginNotAllowed)
}

func TestTheApprovalPageNeedsASessionAndCannotBeFramed(t *testing.T) {
	t.Parallel()
	e := newTrustEnv(t, "", nil)
	e.do(req{path: "/" + approvePage, noToken: true}).want(t, http.StatusUnauthorized, "")
	u := e.s.ApprovalPageURL()
	r := e.do(req{path: strings.TrimPrefix(u, e.url), noToken: true})
	r.want(t, http.StatusSeeOther, "")
	if loc := r.header.Get("Location"); loc != "/"+approvePage {
		t.Errorf("the approval link leads to %q", loc)
	}
	if !strings.Contains(r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") || r.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("the approval page may be framed: %v", r.header)
	}
}
