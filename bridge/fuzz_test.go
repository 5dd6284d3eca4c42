package bridge

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
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
			if u, err := url.Parse(f.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Fatalf("accepted the URL %q", f.URL)
			}
		}
	})
}

// FuzzNameValidation: a file name the bridge accepts stays inside the job
// folder on every desktop OS.
func FuzzNameValidation(f *testing.F) {
	for _, seed := range []string{"a.zip", "芯片/01.zip", "../x", `C:\x`, "C:x", "CON", "nul.tar.gz", "a/./b", "trailing.", "a\x00b", "COM¹"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		// json.Marshal turns invalid UTF-8 into U+FFFD: check the name as
		// the bridge decoded it.
		body, _ := json.Marshal(map[string]any{"name": "o", "files": []map[string]string{{"url": "https://h/a", "name": name}}})
		if spec, err := decodeJob(body, nil); err == nil {
			assertSafeName(t, spec.Files[0].Name)
		}
	})
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
