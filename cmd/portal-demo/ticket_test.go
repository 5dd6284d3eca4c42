package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"dlhelper/internal/testenv"
)

// call sends body with token (if any) and returns the status and answer.
func call(t *testing.T, hc *http.Client, method, u, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// An order's token works for that order only, until it is revoked; a
// ticket serves its manifest once.
func TestOrderTokensAreScopedAndRevocable(t *testing.T) {
	t.Parallel()
	mc := testenv.StartMinIO(t)
	o, err := parseFlags([]string{"--minio", mc.Endpoint, "--chips", "1", "--chip-size", "64KiB", "--expiry", "1m"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := newStore(o)
	if err != nil {
		t.Fatal(err)
	}
	items, err := st.prepare(t.Context(), log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newPortal(o, st, items, log).routes())
	defer srv.Close()
	signIn := func(user string) *http.Client {
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
		if _, err := hc.PostForm(srv.URL+"/login", url.Values{"user": {user}, "password": {"demo"}}); err != nil {
			t.Fatal(err)
		}
		return hc
	}
	li, wang, dlhelper := signIn("li"), signIn("wang"), &http.Client{Timeout: 10 * time.Second}

	ticket := func() (id, ticketURL string) {
		status, tk := call(t, li, "POST", srv.URL+"/api/tickets", "", "")
		if status != http.StatusCreated || !strings.HasPrefix(tk["link"].(string), "dlhelper://order?ticket=") {
			t.Fatalf("POST /api/tickets: %d %v", status, tk)
		}
		return tk["order"].(string), tk["ticket"].(string)
	}
	a, ticketA := ticket()
	b, _ := ticket()
	status, m := call(t, dlhelper, "GET", ticketA, "", "")
	if status != http.StatusOK || m["token"] == nil || !strings.HasSuffix(m["refresh"].(string), "/api/orders/"+a+"/refresh") {
		t.Fatalf("the manifest: %d %v", status, m)
	}
	tokenA := m["token"].(string)
	if status, _ := call(t, dlhelper, "GET", ticketA, "", ""); status != http.StatusNotFound {
		t.Errorf("the ticket served its manifest twice (HTTP %d)", status)
	}
	refresh := func(order, token string) int {
		s, _ := call(t, dlhelper, "POST", srv.URL+"/api/orders/"+order+"/refresh", token, `{"name":"chip-001.zip"}`)
		return s
	}
	for _, tc := range []struct {
		name         string
		order, token string
		want         int
	}{
		{"its own order", a, tokenA, http.StatusOK},
		{"another order", b, tokenA, http.StatusUnauthorized},
		{"no token", a, "", http.StatusUnauthorized},
		{"a wrong token", a, tokenA + "x", http.StatusUnauthorized},
	} {
		if got := refresh(tc.order, tc.token); got != tc.want {
			t.Errorf("refresh with %s: HTTP %d, want %d", tc.name, got, tc.want)
		}
	}
	if s, _ := call(t, wang, "POST", srv.URL+"/api/orders/"+a+"/revoke", "", ""); s != http.StatusNotFound {
		t.Errorf("another customer revoked the order: HTTP %d", s)
	}
	if s, _ := call(t, li, "POST", srv.URL+"/api/orders/"+a+"/revoke", "", ""); s != http.StatusNoContent {
		t.Fatalf("revoke: HTTP %d", s)
	}
	if got := refresh(a, tokenA); got != http.StatusForbidden {
		t.Errorf("refresh after revoking: HTTP %d, want 403", got)
	}
	if s, _ := call(t, dlhelper, "POST", srv.URL+"/api/orders/"+a+"/progress", tokenA, `{"state":"running"}`); s != http.StatusForbidden {
		t.Errorf("progress after revoking: HTTP %d, want 403", s)
	}
}
