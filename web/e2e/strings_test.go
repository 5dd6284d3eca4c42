package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// checkStrings loads the pages' word lists in Node and reports every word
// one language has and the other lacks (a function in one and a string in
// the other counts too), every data-t of the HTML that names no word, every
// API error code a page cannot say in Chinese, and every file error code
// the SDK's zhFileErrors (which both pages use) lacks.
const checkStrings = `
const out = [];
function walk(a, b, path, la, lb) {
  for (const k of Object.keys(a)) {
    const p = path ? path + "." + k : k;
    if (!(k in b)) { out.push(lb + " lacks " + p); continue; }
    if (typeof a[k] !== typeof b[k]) out.push(p + " is a " + typeof a[k] + " in " + la + ", a " + typeof b[k] + " in " + lb);
    else if (typeof a[k] === "object") walk(a[k], b[k], p, la, lb);
    else if (typeof a[k] === "string" && a[k].trim() === "") out.push(p + " is empty in " + la);
  }
}
for (const [name, file] of Object.entries(JSON.parse(process.env.PAGES))) {
  const m = await import(file.js);
  walk(m.strings.en, m.strings.zh, name, "en", "zh");
  walk(m.strings.zh, m.strings.en, name, "zh", "en");
  for (const key of file.keys) if (!(key in m.strings.en)) out.push(name + ": the HTML names " + key + ", which has no words");
  if (m.zhApiErrors) for (const code of JSON.parse(process.env.API_CODES)) if (!(code in m.zhApiErrors)) out.push(name + ": no Chinese for the API error " + code);
}
const sdk = await import(process.env.SDK_FORMAT);
for (const code of JSON.parse(process.env.FILE_CODES)) if (!(code in sdk.zhFileErrors)) out.push("sdk/format.js: no Chinese for the file error " + code);
console.log(JSON.stringify(out));
`

// Codes of the helper's errors, read from the Go sources, so a new code
// without Chinese words fails here.
func errorCodes(t *testing.T, glob string, skip ...string) []string {
	t.Helper()
	files, _ := filepath.Glob(glob)
	re := regexp.MustCompile(`(?m)^\s*(?:const\s+)?Code[A-Za-z]*\s*=\s*"([a-z_]+)"`)
	var codes []string
	for _, f := range files {
		if filepath.Ext(f) != ".go" || regexp.MustCompile(`_test\.go$`).MatchString(f) {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			if !slices.Contains(skip, m[1]) && !slices.Contains(codes, m[1]) {
				codes = append(codes, m[1])
			}
		}
	}
	if len(codes) == 0 {
		t.Fatalf("no error codes found in %s", glob)
	}
	return codes
}

func dataKeys(t *testing.T, html string) []string {
	t.Helper()
	b, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range regexp.MustCompile(`data-t(?:-title)?="([^"]+)"`).FindAllStringSubmatch(string(b), -1) {
		keys = append(keys, m[1])
	}
	return keys
}

// Issue 19: every word of the status page and the portal exists in English
// and Chinese, and every error code of the helper has Chinese words.
func TestEveryStringHasBothLanguages(t *testing.T) {
	t.Parallel()
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return "file://" + a
	}
	type page struct {
		JS   string   `json:"js"`
		Keys []string `json:"keys"`
	}
	pages := map[string]page{
		"status":  {abs("../status/strings.js"), dataKeys(t, "../status/index.html")},
		"portal":  {abs("../portal/assets/strings.js"), dataKeys(t, "../portal/index.html")},
		"approve": {abs("../status/trust-strings.js"), dataKeys(t, "../status/approve.html")},
	}
	pj, _ := json.Marshal(pages)
	fc, _ := json.Marshal(errorCodes(t, "../../downloader/*.go"))
	ac, _ := json.Marshal(errorCodes(t, "../../bridge/*.go"))
	cmd := exec.Command("node", "--input-type=module", "-e", checkStrings)
	cmd.Env = append(cmd.Environ(), "PAGES="+string(pj), "SDK_FORMAT="+abs("../sdk/format.js"), "FILE_CODES="+string(fc), "API_CODES="+string(ac))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v: %s", err, out)
	}
	var missing []string
	if err := json.Unmarshal(out, &missing); err != nil {
		t.Fatalf("node printed %s", out)
	}
	for _, m := range missing {
		t.Error(m)
	}
}
