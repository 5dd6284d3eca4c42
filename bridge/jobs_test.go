package bridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dlhelper/downloader"
	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

func TestJobIsAddedListedDownloadedAndRemoved(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(1, 300<<10)
	srv := faultserver.New(t, data)
	e := newEnv(t)

	r := e.do(req{method: http.MethodPost, path: "/v1/jobs", origin: portal,
		body: fmt.Sprintf(`{"name":"order 7","folder":"orders/7","files":[{"url":%q,"name":"chips/芯片-01.zip","size":%d}],"connections":2}`, srv.URL(), len(data))})
	r.want(t, http.StatusCreated, "")
	if got := r.header.Get("Access-Control-Allow-Origin"); got != portal {
		t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, portal)
	}
	j := r.job(t)
	wantPath := filepath.Join(e.root, "orders", "7", "chips", "芯片-01.zip")
	if j.ID == "" || j.Name != "order 7" || j.Dir != filepath.Join(e.root, "orders", "7") || len(j.Files) != 1 ||
		j.Files[0].Path != wantPath || j.Files[0].Name != "chips/芯片-01.zip" || j.Total != int64(len(data)) {
		t.Fatalf("POST answered %+v", j)
	}
	var raw map[string]any
	json.Unmarshal(r.body, &raw)
	for _, k := range []string{"id", "name", "state", "dir", "sequential", "created", "total", "done", "speed", "eta", "files"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("the job has no field %q: %s", k, r.body)
		}
	}

	done := e.waitJob(j.ID, downloader.JobCompleted, downloader.JobFailed)
	if done.State != downloader.JobCompleted {
		t.Fatalf("job ended %s: %+v", done.State, done.Files[0].Error)
	}
	if got, _ := os.ReadFile(wantPath); !bytes.Equal(got, data) {
		t.Fatalf("%s does not hold the object", wantPath)
	}

	var list jobList
	r = e.do(req{path: "/v1/jobs"})
	r.want(t, http.StatusOK, "")
	if json.Unmarshal(r.body, &list); len(list.Jobs) != 1 || list.Jobs[0].ID != j.ID {
		t.Fatalf("GET /v1/jobs = %s", r.body)
	}
	r = e.do(req{path: "/v1/jobs/" + j.ID, origin: portal})
	r.want(t, http.StatusOK, "")
	if got := r.job(t); got.State != downloader.JobCompleted || got.Done != int64(len(data)) || got.Files[0].Done != int64(len(data)) {
		t.Fatalf("GET /v1/jobs/%s = %s", j.ID, r.body)
	}

	e.do(req{method: http.MethodPost, path: "/v1/jobs/" + j.ID + "/pause", origin: portal}).want(t, http.StatusConflict, CodeConflict)
	e.do(req{method: http.MethodDelete, path: "/v1/jobs/" + j.ID, origin: portal}).want(t, http.StatusNoContent, "")
	e.do(req{path: "/v1/jobs/" + j.ID}).want(t, http.StatusNotFound, CodeNotFound)
	e.do(req{method: http.MethodDelete, path: "/v1/jobs/" + j.ID}).want(t, http.StatusNotFound, CodeNotFound)
	if _, err := os.Stat(wantPath); err != nil {
		t.Errorf("forgetting a job removed its complete file: %v", err)
	}
}

// slowJob adds a job whose file trickles in, so it is still running when
// the test acts on it.
func slowJob(t *testing.T, e *env) downloader.JobInfo {
	t.Helper()
	srv := faultserver.New(t, testenv.RandomData(2, 4<<20), faultserver.RateLimit(64<<10))
	j := e.addJob(jobJSON(srv.URL(), "slow.bin"))
	e.waitJob(j.ID, downloader.JobRunning)
	return j
}

func TestJobActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	j := slowJob(t, e)
	act := func(action string) downloader.JobInfo {
		t.Helper()
		r := e.do(req{method: http.MethodPost, path: "/v1/jobs/" + j.ID + "/" + action, origin: portal})
		r.want(t, http.StatusOK, "")
		return r.job(t)
	}
	if got := act("pause"); got.State != downloader.JobPaused {
		t.Errorf("after pause the job is %s", got.State)
	}
	if got := act("resume"); got.State == downloader.JobPaused {
		t.Errorf("after resume the job is still paused")
	}
	e.waitJob(j.ID, downloader.JobRunning)
	if got := act("cancel"); got.State != downloader.JobCanceled {
		t.Errorf("after cancel the job is %s", got.State)
	}
	e.do(req{method: http.MethodPost, path: "/v1/jobs/" + j.ID + "/resume", origin: portal}).want(t, http.StatusConflict, CodeConflict)
	if got := act("retry"); got.State == downloader.JobCanceled {
		t.Errorf("after retry the job is still canceled")
	}
	e.waitJob(j.ID, downloader.JobRunning)

	e.do(req{method: http.MethodPost, path: "/v1/pause", origin: portal}).want(t, http.StatusNoContent, "")
	if got, _ := e.m.Job(j.ID); got.State != downloader.JobPaused {
		t.Errorf("after POST /v1/pause the job is %s", got.State)
	}
	e.do(req{method: http.MethodPost, path: "/v1/resume", origin: portal}).want(t, http.StatusNoContent, "")
	if got, _ := e.m.Job(j.ID); got.State == downloader.JobPaused {
		t.Errorf("after POST /v1/resume the job is still paused")
	}

	for _, action := range []string{"pause", "resume", "cancel", "retry"} {
		e.do(req{method: http.MethodPost, path: "/v1/jobs/nope/" + action, origin: portal}).want(t, http.StatusNotFound, CodeNotFound)
	}
}

func TestRemoveWithFilesDeletesPartialData(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	keep, drop := slowJob(t, e), slowJob(t, e)
	part := func(j downloader.JobInfo) string { return j.Files[0].Path + ".part" }
	e.do(req{method: http.MethodDelete, path: "/v1/jobs/" + keep.ID + "?files=maybe"}).want(t, http.StatusBadRequest, CodeInvalid)
	e.do(req{method: http.MethodDelete, path: "/v1/jobs/" + keep.ID, origin: portal}).want(t, http.StatusNoContent, "")
	e.do(req{method: http.MethodDelete, path: "/v1/jobs/" + drop.ID + "?files=1", origin: portal}).want(t, http.StatusNoContent, "")
	if _, err := os.Stat(part(keep)); err != nil {
		t.Errorf("DELETE without files=1 removed %s: %v", part(keep), err)
	}
	if _, err := os.Stat(part(drop)); !os.IsNotExist(err) {
		t.Errorf("DELETE with files=1 left %s (%v)", part(drop), err)
	}
}

func TestFreshURLForAnExpiredFile(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(3, 1<<20)
	srv := faultserver.New(t, data, faultserver.ExpireAfter(1))
	e := newEnv(t)
	ws, _ := e.dial(originHeader(portal))
	j := e.addJob(jobJSON(srv.URL(), "a.bin"))
	msgs := readUntil(t, ws, func(m message) bool { return m.Type == string(downloader.EventURLExpired) })
	exp := msgs[len(msgs)-1]
	if exp.JobID != j.ID || exp.File == nil || exp.File.Index != 0 || exp.File.Name != "a.bin" || exp.File.State != downloader.FileURLExpired {
		t.Fatalf("url_expired event = %+v", exp)
	}
	kept := exp.File.Done

	path := "/v1/jobs/" + j.ID + "/files/0/url"
	fresh := fmt.Sprintf(`{"url":%q}`, srv.URLWithToken(srv.FreshToken()))
	for _, tc := range []struct {
		name, path, body, contentType string
		status                        int
		code                          string
	}{
		{"an index that is no number", "/v1/jobs/" + j.ID + "/files/x/url", fresh, "", 400, CodeInvalid},
		{"a negative index", "/v1/jobs/" + j.ID + "/files/-1/url", fresh, "", 400, CodeInvalid},
		{"an index past the files", "/v1/jobs/" + j.ID + "/files/1/url", fresh, "", 404, CodeNotFound},
		{"an unknown job", "/v1/jobs/nope/files/0/url", fresh, "", 404, CodeNotFound},
		{"an ftp URL", path, `{"url":"ftp://example.com/a"}`, "", 400, CodeInvalid},
		{"no URL", path, `{}`, "", 400, CodeInvalid},
		{"an unknown field", path, `{"url":"http://x/","expires":1}`, "", 400, CodeInvalid},
		{"a text body", path, fresh, "text/plain", 415, CodeUnsupportedType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.do(req{method: http.MethodPut, path: tc.path, body: tc.body, contentType: tc.contentType, origin: portal}).want(t, tc.status, tc.code)
		})
	}

	r := e.do(req{method: http.MethodPut, path: path, body: fresh, origin: portal})
	r.want(t, http.StatusOK, "")
	msgs = readUntil(t, ws, func(m message) bool { return m.Type == string(downloader.EventJobCompleted) })
	for _, m := range msgs {
		if m.Type == string(downloader.EventJobProgress) && m.Progress.Done < kept {
			t.Fatalf("progress fell to %d after the fresh URL, below the %d bytes kept", m.Progress.Done, kept)
		}
	}
	if got, _ := os.ReadFile(exp.File.Path); !bytes.Equal(got, data) {
		t.Fatal("the file does not hold the object")
	}
	e.do(req{method: http.MethodPut, path: path, body: fresh, origin: portal}).want(t, http.StatusConflict, CodeConflict)
}

// TestBadJobsAreRefused posts malformed and invalid jobs: each is a 400
// whose message names what is wrong, and none is added.
func TestBadJobsAreRefused(t *testing.T) {
	t.Parallel()
	const u = "https://minio.example.com/b/a.zip?X-Amz-Signature=00"
	file := func(extra string) string {
		return `{"name":"o","files":[{"url":"` + u + `","name":"a.zip"` + extra + `}]}`
	}
	e := newEnv(t, withOptions(func(o *Options) { o.AllowedHosts = []string{"minio.example.com", "cdn.example.com:9000"} }))
	for _, tc := range []struct {
		name, body, mention string
	}{
		{"an empty body", ``, "empty"},
		{"a list", `[]`, "JSON object"},
		{"null", `null`, "JSON object"},
		{"not JSON", `name=o`, "JSON object"},
		{"broken JSON", `{"name":"o",}`, "not valid JSON"},
		{"a cut-off body", `{"name":"o","files":[`, "JSON"},
		{"two objects", file("") + `{}`, "more than one"},
		{"trailing garbage", file("") + `x`, "JSON"},
		{"an unknown field", `{"name":"o","unzip":true,"files":[]}`, `"unzip"`},
		{"an unknown file field", file(`,"mirror":"x"`), `files[0]: unknown field "mirror"`},
		{"a field in another case", `{"Name":"o","files":[]}`, `unknown field "Name"`},
		{"a file field in another case", `{"name":"o","files":[{"URL":"` + u + `","name":"a.zip"}]}`, `files[0]: unknown field "URL"`},
		{"a file field at the top", `{"name":"o","url":"x","files":[]}`, `"url"`},
		{"a field given twice", `{"name":"o","name":"p","files":[]}`, `"name" is given twice`},
		{"deep nesting", `{"files":[[[[[[]]]]]]}`, "nests deeper"},
		{"a size as a string", file(`,"size":"12"`), "files.size"},
		{"a fractional size", file(`,"size":1.5`), "files.size"},
		{"a negative size", file(`,"size":-1`), "size"},
		{"files as an object", `{"name":"o","files":{}}`, "files"},
		{"no files", `{"name":"o","files":[]}`, "files"},
		{"no name", `{"files":[{"url":"` + u + `","name":"a.zip"}]}`, "name"},
		{"a control character in the job name", `{"name":"o\u0007","files":[{"url":"` + u + `","name":"a.zip"}]}`, "name"},
		{"too many connections", `{"name":"o","connections":65,"files":[{"url":"` + u + `","name":"a.zip"}]}`, "connections"},
		{"a bad sha256", file(`,"sha256":"abc"`), "sha256"},
		{"a bad md5", file(`,"md5":"zz"`), "md5"},
		{"an ftp URL", `{"name":"o","files":[{"url":"ftp://minio.example.com/a","name":"a.zip"}]}`, `files[0] ("a.zip"): url`},
		{"a file URL", `{"name":"o","files":[{"url":"file:///etc/passwd","name":"a.zip"}]}`, "url"},
		{"a javascript URL", `{"name":"o","files":[{"url":"javascript:alert(1)","name":"a.zip"}]}`, "url"},
		{"a URL without host", `{"name":"o","files":[{"url":"http:///a","name":"a.zip"}]}`, "url"},
		{"a relative URL", `{"name":"o","files":[{"url":"/a.zip","name":"a.zip"}]}`, "url"},
		{"no URL", `{"name":"o","files":[{"name":"a.zip"}]}`, "url"},
		{"a host not allowed", `{"name":"o","files":[{"url":"https://evil.example/a","name":"a.zip"}]}`, `"evil.example" is not one`},
		{"an allowed host on another port", `{"name":"o","files":[{"url":"https://cdn.example.com:9001/a","name":"a.zip"}]}`, "cdn.example.com:9001"},
		{"a second file from a host not allowed", `{"name":"o","files":[{"url":"` + u + `","name":"a.zip"},{"url":"http://127.0.0.1:22/","name":"b.zip"}]}`, `files[1] ("b.zip")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := e.do(req{method: http.MethodPost, path: "/v1/jobs", body: tc.body, origin: portal})
			if tc.body == "" { // do sends no body and no content type then
				r = e.do(req{method: http.MethodPost, path: "/v1/jobs", origin: portal, contentType: "application/json"})
			}
			r.want(t, http.StatusBadRequest, CodeInvalid)
			if msg := r.apiErr().Message; !strings.Contains(msg, tc.mention) {
				t.Errorf("message %q does not mention %q", msg, tc.mention)
			}
		})
	}
	t.Run("allowed hosts are accepted", func(t *testing.T) {
		for _, url := range []string{u, "https://MINIO.example.com:8443/x", "http://cdn.example.com:9000/y"} {
			e.do(req{method: http.MethodPost, path: "/v1/jobs", body: jobJSON(url, "ok.zip"), origin: portal}).want(t, http.StatusCreated, "")
		}
	})
}

// TestHostileNames tries names that would leave the download folder or
// break on one of Linux, macOS and Windows, as file names and as folders.
func TestHostileNames(t *testing.T) {
	t.Parallel()
	srv := faultserver.New(t, []byte("x"))
	e := newEnv(t)
	long := strings.Repeat("a", 300)
	for _, name := range []string{
		"../x", "a/../../x", "..", ".", "", "a/./b", "a//b", "a/", "/abs", "/etc/passwd", `\\server\share\x`,
		`C:\x`, "C:x", "c:/x", `a\b`, `..\x`,
		"CON", "con.txt", "NUL.tar.gz", "COM1", "com1.zip", "LPT9", "aux", "PRN.log", "CONIN$",
		"name\x00", "a\nb", "a\tb", "\x7f", "trailing.", "trailing ", "dir./x", "dir /x",
		"a:b", "a*b", "a?b", `a"b`, "a<b", "a>b", "a|b",
		long, "ok/" + long,
	} {
		t.Run(fmt.Sprintf("name %q", name), func(t *testing.T) {
			t.Parallel()
			r := e.do(req{method: http.MethodPost, path: "/v1/jobs", body: jobJSON(srv.URL(), name), origin: portal})
			r.want(t, http.StatusBadRequest, CodeInvalid)
			if msg := r.apiErr().Message; !strings.Contains(msg, "files[0]") || !strings.Contains(msg, "name") {
				t.Errorf("message %q does not name files[0]'s name", msg)
			}
		})
		if name == "" {
			continue // "" is the root folder
		}
		t.Run(fmt.Sprintf("folder %q", name), func(t *testing.T) {
			t.Parallel()
			b, _ := json.Marshal(map[string]any{"name": "o", "folder": name, "files": []map[string]string{{"url": srv.URL(), "name": "a.zip"}}})
			body := string(b)
			r := e.do(req{method: http.MethodPost, path: "/v1/jobs", body: body, origin: portal})
			r.want(t, http.StatusBadRequest, CodeInvalid)
			if msg := r.apiErr().Message; !strings.HasPrefix(msg, "folder") {
				t.Errorf("message %q does not name the folder", msg)
			}
		})
	}
	for _, name := range []string{"芯片-01.zip", "sub/dir/a.zip", ".hidden", "a b.zip", "a..b.zip", "ＣＯＮ.txt", strings.Repeat("a", 255)} {
		t.Run(fmt.Sprintf("name %q is accepted", name), func(t *testing.T) {
			t.Parallel()
			j := e.addJob(jobJSON(srv.URL(), name))
			rel, err := filepath.Rel(e.root, j.Files[0].Path)
			if err != nil || !filepath.IsLocal(rel) {
				t.Errorf("%q went to %s, outside %s", name, j.Files[0].Path, e.root)
			}
		})
	}
}

// TestTenThousandFiles: the largest job allowed, with URLs as long as
// real presigned ones, fits in a body; one file more is refused.
func TestTenThousandFiles(t *testing.T) {
	t.Parallel()
	// A server that never answers keeps the job from doing real work.
	srv := faultserver.New(t, []byte("x"), faultserver.TimeToFirstByte(time.Hour))
	e := newEnv(t)
	body := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"name":"big order","files":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			url := fmt.Sprintf("%s?f=%05d&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%s&X-Amz-Signature=%064x", srv.URL(), i, strings.Repeat("C", 300), i)
			fmt.Fprintf(&b, `{"url":%q,"name":"chip-%05d.zip","size":104857,"sha256":"%064x"}`, url, i, i)
		}
		b.WriteString(`]}`)
		return b.String()
	}
	ok := body(downloader.MaxFilesPerJob)
	if len(ok) > MaxBodyBytes {
		t.Fatalf("a 10,000-file body is %d bytes, over the %d limit", len(ok), MaxBodyBytes)
	}
	r := e.do(req{method: http.MethodPost, path: "/v1/jobs", body: ok, origin: portal})
	r.want(t, http.StatusCreated, "")
	if j := r.job(t); len(j.Files) != downloader.MaxFilesPerJob {
		t.Errorf("the job has %d files", len(j.Files))
	}
	r = e.do(req{method: http.MethodPost, path: "/v1/jobs", body: body(downloader.MaxFilesPerJob + 1), origin: portal})
	r.want(t, http.StatusRequestEntityTooLarge, CodeTooManyFiles)
	if msg := r.apiErr().Message; !strings.Contains(msg, "10000") {
		t.Errorf("message %q does not state the limit", msg)
	}
}

// POST /v1/jobs/{id}/open shows the job's own folder: once it exists, with
// the opener the app gives; a 501 naming the folder without one (dlhelper
// serve); a 409 before anything was written; a 500 in words when the
// opener fails; a 404 for an unknown job.
func TestOpenShowsTheJobsFolder(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(9, 10<<10)
	srv := faultserver.New(t, data)
	var opened []string
	var openErr error
	e := newEnv(t, withOptions(func(o *Options) {
		o.OpenFolder = func(dir string) error { opened = append(opened, dir); return openErr }
	}))
	session := e.login()
	open := func(id string) result {
		return e.do(req{method: http.MethodPost, path: "/v1/jobs/" + id + "/open", origin: selfOrigins(e.port)[0], session: session})
	}
	j := e.addJob(jobJSON(srv.URL(), "a.zip"))
	j = e.waitJob(j.ID, downloader.JobCompleted)
	open(j.ID).want(t, http.StatusNoContent, "")
	if len(opened) != 1 || opened[0] != j.Dir {
		t.Fatalf("opened %q, want the job's folder %s once", opened, j.Dir)
	}
	if err := os.Rename(j.Dir, j.Dir+"-moved"); err != nil {
		t.Fatal(err)
	}
	open(j.ID).want(t, http.StatusConflict, CodeConflict)
	if err := os.Rename(j.Dir+"-moved", j.Dir); err != nil {
		t.Fatal(err)
	}
	openErr = fmt.Errorf("xdg-open: not found")
	r := open(j.ID)
	r.want(t, http.StatusInternalServerError, CodeInternal)
	if msg := r.apiErr().Message; !strings.Contains(msg, j.Dir) || !strings.Contains(msg, "open it in your file manager") {
		t.Errorf("message %q, want the folder and what to do", msg)
	}
	open("nosuchjob").want(t, http.StatusNotFound, CodeNotFound)

	headless := newEnv(t)
	h := headless.addJob(jobJSON(srv.URL(), "a.zip"))
	r = headless.do(req{method: http.MethodPost, path: "/v1/jobs/" + h.ID + "/open", origin: portal})
	r.want(t, http.StatusNotImplemented, CodeNotImplemented)
	if msg := r.apiErr().Message; !strings.Contains(msg, h.Dir) {
		t.Errorf("message %q, want the job's folder", msg)
	}
}
