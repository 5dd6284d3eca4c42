package bridge

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"dlhelper/downloader"
)

// The corpus of both fuzz tests is committed under testdata/fuzz; run
// them with: go test -run='^$' -fuzz=FuzzDecodeJob -fuzztime=10s ./bridge/

// FuzzDecodeJob: decoding never panics, every refusal is a 400 with a
// message, and every accepted job is safe to hand to the Manager.
func FuzzDecodeJob(f *testing.F) {
	for _, seed := range []string{
		`{"name":"order","folder":"orders/7","files":[{"url":"https://minio.example.com/b/a.zip?X-Amz-Signature=00","name":"芯片-01.zip","size":12,"sha256":"` + strings.Repeat("ab", 32) + `"}],"connections":4,"sequential":true}`,
		`{"name":"o","files":[{"url":"http://h/a","name":"../x"}]}`,
		`{"name":"o","files":[{"url":"http://h/a","name":"a","URL":"x"}]}`,
		`{"name":"o","name":"p","files":[]}`,
		`{"files":[[[[[]]]]]}`,
		`{"name":"o","files":[{"url":"ftp://h/a","name":"CON.txt"}]} {}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := decodeJob(data, nil)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.Code != CodeInvalid || ae.Message == "" {
				t.Fatalf("refusal %v is not a 400 with a message", err)
			}
			return
		}
		if n := len(spec.Files); n == 0 || n > downloader.MaxFilesPerJob {
			t.Fatalf("accepted a job of %d files", n)
		}
		if spec.Folder != "" {
			assertSafeName(t, spec.Folder)
		}
		for _, f := range spec.Files {
			assertSafeName(t, f.Name)
			assertCreatable(t, path.Join(spec.Folder, f.Name))
			if u, err := url.Parse(f.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Fatalf("accepted the URL %q", f.URL)
			}
		}
	})
}

// FuzzNameValidation: a file name the bridge accepts stays inside the job
// folder on every desktop OS.
func FuzzNameValidation(f *testing.F) {
	for _, seed := range []string{"a.zip", "芯片/01.zip", "../x", `C:\x`, "C:x", "CON", "nul.tar.gz", "a/./b", "trailing.", "a\x00b", "COM¹", "a\u200bb.zip", "\u3164", "a   .zip", "desktop.ini", "x.lnk", "caf\u00e9/cafe\u0301.txt", "\xff.zip"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		// json.Marshal turns invalid UTF-8 into U+FFFD: check the name as
		// the bridge decoded it.
		body, _ := json.Marshal(map[string]any{"name": "o", "files": []map[string]string{{"url": "https://h/a", "name": name}}})
		if spec, err := decodeJob(body, nil); err == nil {
			assertSafeName(t, spec.Files[0].Name)
			assertCreatable(t, spec.Files[0].Name)
		}
	})
}

// assertCreatable creates name as a file below a fresh folder, through an
// os.Root as the engine does, and checks it lands inside that folder
// under exactly that name: what the OS stores is what was accepted.
func assertCreatable(t *testing.T, name string) {
	t.Helper()
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	local := filepath.FromSlash(name)
	if err := root.MkdirAll(filepath.Dir(local), 0o755); err != nil {
		t.Fatalf("accepted %q, whose folders cannot be made: %v", name, err)
	}
	f, err := root.OpenFile(local, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatalf("accepted %q, which cannot be created: %v", name, err)
	}
	f.Close()
	real, err := filepath.EvalSymlinks(filepath.Join(dir, local))
	realDir, _ := filepath.EvalSymlinks(dir)
	if err != nil || !strings.HasPrefix(real, realDir+string(filepath.Separator)) {
		t.Fatalf("accepted %q, which landed at %s (%v), outside %s", name, real, err, realDir)
	}
	entries, err := os.ReadDir(filepath.Dir(real))
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Base(local)
	if !slices.ContainsFunc(entries, func(e os.DirEntry) bool { return e.Name() == base }) {
		t.Fatalf("accepted %q, stored as another name (%v)", name, entries)
	}
}

// assertSafeName is an oracle written apart from downloader.CheckName: the
// name is a local path here, and also one that Windows would not read as a
// drive, a device or a path with other separators.
func assertSafeName(t *testing.T, name string) {
	t.Helper()
	if err := downloader.CheckName(name); err != nil {
		t.Fatalf("accepted %q, which CheckName refuses: %v", name, err)
	}
	if !utf8.ValidString(name) || !filepath.IsLocal(filepath.FromSlash(name)) || strings.ContainsAny(name, `\:`) {
		t.Fatalf("accepted %q, which is not a local path", name)
	}
	for _, part := range strings.Split(name, "/") {
		base, _, _ := strings.Cut(strings.ToUpper(part), ".")
		switch {
		case part == "" || part == "." || part == "..":
			t.Fatalf("accepted %q, with the element %q", name, part)
		case strings.ContainsFunc(part, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			t.Fatalf("accepted %q, with a control character", name)
		case base == "CON" || base == "NUL" || base == "AUX" || base == "PRN":
			t.Fatalf("accepted %q, a Windows device name", name)
		}
	}
}

// encoding/json turns invalid UTF-8 and lone surrogates into U+FFFD; the
// name must be refused, not stored as something the portal did not send.
func TestANameThatIsNotUTF8IsRefused(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"a\xff.zip", `a\ud800.zip`, "a\u200b.zip"} {
		body := []byte(`{"name":"o","files":[{"url":"https://h/a","name":"ok.zip"},{"url":"https://h/b","name":"` + name + `"}]}`)
		_, err := decodeJob(body, nil)
		var ae *apiError
		if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || !strings.Contains(ae.Message, "files[1]") {
			t.Errorf("name %q: %v, want a 400 naming files[1]", name, err)
		}
	}
}
