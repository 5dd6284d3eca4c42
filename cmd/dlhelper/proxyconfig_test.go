package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTheConfigFileSetsTheProxy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, json, wantURL, wantErr string
	}{
		{"a proxy with a password", `{"proxy": {"url": "http://proxy.corp:3128", "user": "alice", "password": "pw"}}`, "http://proxy.corp:3128", ""},
		{"a PAC file", `{"proxy": {"pac": "http://wpad.corp/proxy.pac"}}`, "", ""},
		{"a proxy of an unknown kind", `{"proxy": {"url": "ftp://proxy.corp"}}`, "", "proxy setting"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "config.json")
			if err := os.WriteFile(path, []byte(tc.json), 0o600); err != nil {
				t.Fatal(err)
			}
			o, err := loadConfig(path, true)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("loadConfig(%s) = %v; want an error naming the file and %q", tc.json, err, tc.wantErr)
				}
				return
			}
			if err != nil || o.Proxy.URL != tc.wantURL {
				t.Fatalf("loadConfig(%s) = %+v, %v; want proxy %q", tc.json, o.Proxy, err, tc.wantURL)
			}
		})
	}
}
