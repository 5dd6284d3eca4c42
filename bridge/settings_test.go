package bridge

import (
	"encoding/json"
	"net/http"
	"testing"

	"dlhelper/downloader"
)

func TestSettingsAreReadAndChanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	read := func(r result) downloader.Settings {
		t.Helper()
		var s downloader.Settings
		if err := json.Unmarshal(r.body, &s); err != nil {
			t.Fatalf("settings body %s: %v", r.body, err)
		}
		return s
	}
	r := e.do(req{path: "/v1/settings"})
	r.want(t, http.StatusOK, "")
	if s := read(r); s.Connections != 0 || s.MaxActiveFiles != 0 {
		t.Errorf("defaults %+v, want 0 connections and 0 files at once (automatic)", s)
	}
	r = e.do(req{method: "PUT", path: "/v1/settings", body: `{"connections":4,"maxActiveFiles":2,"rateLimit":1048576}`})
	r.want(t, http.StatusOK, "")
	if s := read(r); s.Connections != 4 || s.MaxActiveFiles != 2 || s.RateLimit != 1<<20 {
		t.Errorf("after PUT: %+v", s)
	}
	e.do(req{method: "PUT", path: "/v1/settings", body: `{"connections":100}`}).want(t, http.StatusBadRequest, "invalid")
	e.do(req{method: "PUT", path: "/v1/settings", body: `{"dir":"relative/path"}`}).want(t, http.StatusBadRequest, "bad_folder")
	e.do(req{method: "PUT", path: "/v1/settings", body: `{"connections":2}`, origin: "https://evil.example"}).want(t, http.StatusForbidden, "origin_not_allowed")
	if s := read(e.do(req{path: "/v1/settings"})); s.Connections != 4 {
		t.Errorf("refused PUTs changed the settings: %+v", s)
	}
}
