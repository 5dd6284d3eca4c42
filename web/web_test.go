package web

import (
	"io"
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

func TestPagesHoldTheirFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fsys  fs.FS
		files []string
	}{
		{"status page", Status(), []string{"index.html", "app.js", "strings.js", "style.css", "sdk/dlhelper.js", "sdk/format.js", "sdk/ui.js"}},
		{"portal page", Portal(), []string{"index.html", "login.html", "assets/portal.js", "assets/portal.css", "assets/strings.js", "assets/login.js", "sdk/dlhelper.js", "sdk/format.js", "sdk/ui.js"}},
		{"SDK", SDK(), []string{"dlhelper.js", "dlhelper.d.ts", "format.js", "ui.js", "README.md"}},
	}
	for _, tt := range tests {
		for _, name := range tt.files {
			st, err := fs.Stat(tt.fsys, name)
			if err != nil {
				t.Errorf("%s: %s: %v", tt.name, name, err)
				continue
			}
			if st.IsDir() || st.Size() == 0 {
				t.Errorf("%s: %s is a folder or empty", tt.name, name)
			}
		}
	}
}

func TestMountServesTheSDKUnderItsFolder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path    string
		wantErr bool
		isDir   bool
	}{
		{path: "sdk/dlhelper.js"},
		{path: "sdk", isDir: true},
		{path: "index.html"},
		{path: "sdk/missing.js", wantErr: true},
		{path: "../web.go", wantErr: true},
		{path: "/sdk/dlhelper.js", wantErr: true},
		{path: "sdkx/dlhelper.js", wantErr: true},
	}
	for _, tt := range tests {
		f, err := Status().Open(tt.path)
		if (err != nil) != tt.wantErr {
			t.Errorf("Open(%q): error %v, want error: %v", tt.path, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		st, err := f.Stat()
		f.Close()
		if err != nil || st.IsDir() != tt.isDir {
			t.Errorf("Open(%q): stat %v (dir %v), want dir %v", tt.path, err, st != nil && st.IsDir(), tt.isDir)
		}
	}
}

// The helper serves the status page under a policy that forbids inline
// script and style (bridge/middleware.go), so its HTML must have none.
func TestStatusPageNeedsNoInlineScriptOrStyle(t *testing.T) {
	t.Parallel()
	inline := []*regexp.Regexp{
		regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`), // a script with a body
		regexp.MustCompile(`<style`),
		regexp.MustCompile(`\sstyle=`),
		regexp.MustCompile(`\son[a-z]+=`), // onclick=… handlers
	}
	for _, name := range []string{"index.html", "app.js"} {
		b := read(t, Status(), name)
		for _, re := range inline {
			if loc := re.FindStringIndex(b); loc != nil {
				t.Errorf("%s has inline code the helper's policy blocks: %q", name, b[loc[0]:min(len(b), loc[1]+40)])
			}
		}
	}
}

// Every request the SDK makes to the helper goes through helperFetch, which
// marks it for Chrome's Local Network Access.
func TestSDKMarksEveryRequestAsLoopback(t *testing.T) {
	t.Parallel()
	src := read(t, SDK(), "dlhelper.js")
	if n := len(regexp.MustCompile(`[^A-Za-z#.]fetch\(`).FindAllString(src, -1)); n != 1 {
		t.Errorf("dlhelper.js calls fetch() in %d places; only helperFetch may", n)
	}
	if !strings.Contains(src, `targetAddressSpace: "loopback"`) {
		t.Error(`dlhelper.js does not pass targetAddressSpace: "loopback"`)
	}
}

func read(t *testing.T, fsys fs.FS, name string) string {
	t.Helper()
	f, err := fsys.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
