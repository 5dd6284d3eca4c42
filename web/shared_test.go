package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// pageScripts are the scripts of the two pages (not the SDK), by path.
func pageScripts(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, dir := range []string{"status", "portal"} {
		err := fs.WalkDir(files, dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".js") {
				b, err := fs.ReadFile(files, path)
				out[path] = string(b)
				return err
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(out) < 4 {
		t.Fatalf("found %d page scripts; the walk missed them", len(out))
	}
	return out
}

// Issue 20: what both pages need is written once, in sdk/ui.js (and the
// file fraction in dlhelper.js); a page that grows its own copy again
// drifts from the other.
func TestPagesDoNotRedefineTheSharedHelpers(t *testing.T) {
	t.Parallel()
	copies := map[string]*regexp.Regexp{
		"$":                 regexp.MustCompile(`(?m)^\s*(const|let|var)\s+\$\s*=`),
		"translate":         regexp.MustCompile(`function\s+translate\s*\(`),
		"setBar":            regexp.MustCompile(`function\s+setBar\s*\(`),
		"fraction":          regexp.MustCompile(`function\s+fraction\s*\(|\.done\s*/\s*[\w.]*\.(size|total)\b`),
		"the actions table": regexp.MustCompile(`paused\s*:\s*\[\s*"resume"`),
	}
	for path, src := range pageScripts(t) {
		for name, re := range copies {
			if loc := re.FindStringIndex(src); loc != nil {
				t.Errorf("%s defines its own %s (%q); import it from sdk/ui.js or sdk/dlhelper.js", path, name, src[loc[0]:loc[1]])
			}
		}
	}
	ui := read(t, SDK(), "ui.js")
	for _, name := range []string{"$", "translate", "setBar", "jobActions"} {
		if !regexp.MustCompile(`export (const|function) ` + regexp.QuoteMeta(name) + `[\s=(]`).MatchString(ui) {
			t.Errorf("sdk/ui.js does not export %s", name)
		}
	}
}

// The status page reaches the helper through the SDK's client, which
// knows the API's paths; a path written by hand in a page is one the SDK's
// tests and documentation do not cover.
func TestStatusPageBuildsNoAPIPaths(t *testing.T) {
	t.Parallel()
	for path, src := range pageScripts(t) {
		if strings.HasPrefix(path, "status/") && strings.Contains(src, "/v1/") {
			t.Errorf(`%s writes an API path ("/v1/…"); call the SDK's client instead`, path)
		}
	}
}

// The SDK's Helper and Download share one emitter instead of each carrying
// its own on() and emit.
func TestSDKHasOneEmitter(t *testing.T) {
	t.Parallel()
	src := read(t, SDK(), "dlhelper.js")
	if n := strings.Count(src, "dispatchEvent("); n != 1 {
		t.Errorf("dlhelper.js dispatches events in %d places; only its Emitter may", n)
	}
	if n := len(regexp.MustCompile(`(?m)^\s+on\(type, fn\)`).FindAllString(src, -1)); n != 1 {
		t.Errorf("dlhelper.js defines on() %d times; only its Emitter may", n)
	}
}
