package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// A portal offers a visitor without dlhelper the package for their
// system. The demo serves "make dist"'s folder (-dist) at /dist/ and tells
// the page, in /api/config, which file is which system's.

// installer is a package the page can offer.
type installer struct {
	URL  string `json:"url"`
	Kind string `json:"kind"` // setup, deb, tarball
}

// packageKinds maps a dist file's ending to its system and kind.
var packageKinds = []struct{ suffix, os, kind string }{
	{"-windows-amd64-setup.exe", "windows", "setup"},
	{"_amd64.deb", "linux", "deb"},
	{"-linux-amd64.tar.gz", "linux", "tarball"},
}

// installers lists dir's packages by system ("windows", "linux"); the
// .deb comes before the tarball, so the page offers it first.
func installers(dir string) map[string][]installer {
	out := map[string][]installer{}
	if dir == "" {
		return out
	}
	entries, _ := os.ReadDir(dir)
	for _, k := range packageKinds {
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), k.suffix) && e.Type().IsRegular() {
				out[k.os] = append(out[k.os], installer{URL: "/dist/" + e.Name(), Kind: k.kind})
			}
		}
	}
	return out
}

// serveDist serves the packages of dir, and nothing else in it.
func serveDist(dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		for _, list := range installers(dir) {
			for _, i := range list {
				if i.URL == "/dist/"+name {
					w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
					http.ServeFile(w, r, filepath.Join(dir, name))
					return
				}
			}
		}
		http.NotFound(w, r)
	})
}
