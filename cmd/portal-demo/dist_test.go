package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestThePortalOffersEachSystemItsPackage(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"dlhelper-1.2.3-linux-amd64.tar.gz", "dlhelper_1.2.3_amd64.deb", "dlhelper-1.2.3-windows-amd64-setup.exe", "dlhelper.key", "feed.json"} {
		os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644)
	}
	want := map[string][]installer{
		"windows": {{URL: "/dist/dlhelper-1.2.3-windows-amd64-setup.exe", Kind: "setup"}},
		"linux":   {{URL: "/dist/dlhelper_1.2.3_amd64.deb", Kind: "deb"}, {URL: "/dist/dlhelper-1.2.3-linux-amd64.tar.gz", Kind: "tarball"}},
	}
	if got := installers(dir); !reflect.DeepEqual(got, want) {
		t.Errorf("installers() = %v, want %v", got, want)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /dist/{name}", serveDist(dir))
	for name, status := range map[string]int{"dlhelper_1.2.3_amd64.deb": 200, "dlhelper.key": 404, "feed.json": 404} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "/dist/"+name, nil))
		if rec.Code != status {
			t.Errorf("GET /dist/%s = %d, want %d", name, rec.Code, status)
		}
	}
}
