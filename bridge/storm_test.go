package bridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"dlhelper/downloader"
	"dlhelper/internal/faultserver"
)

// TestStormsOfBadInputAndActionsLeaveTheHelperConsistent throws hostile
// job bodies at a real listener, then pause/resume/cancel/retry storms from
// several goroutines while several WebSocket clients listen. The helper
// must answer every request with JSON and no 5xx, and end consistent:
// the API and the Manager list the same jobs, and once resumed every job
// completes with the right bytes and no partial files.
func TestStormsOfBadInputAndActionsLeaveTheHelperConsistent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := bytes.Repeat([]byte("chip"), 16<<10)
	files := faultserver.New(t, data, faultserver.RateLimit(4<<20))
	rng := rand.New(rand.NewPCG(7, 11))

	for i := range 200 {
		body := hostileBody(rng, files.URL())
		r := e.do(req{method: "POST", path: "/v1/jobs", body: body, origin: portal})
		if r.status >= 500 || (r.status != http.StatusCreated && r.apiErr().Code == "") {
			t.Fatalf("body %d (%.80q…): %d %s", i, body, r.status, r.body)
		}
	}
	jobs := e.m.Jobs()
	if len(jobs) == 0 {
		t.Fatal("no hostile-looking but valid job was accepted; the generator is broken")
	}

	var listeners sync.WaitGroup
	var streams []*websocket.Conn
	for range 3 {
		ws, _ := e.dial(originHeader(portal))
		streams = append(streams, ws)
		listeners.Go(func() {
			for { // read until the stream is closed below
				if _, _, err := ws.ReadMessage(); err != nil {
					return
				}
			}
		})
	}
	errs := make(chan error, 16)
	var storms sync.WaitGroup
	for g := range 4 {
		storms.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 3))
			for range 60 {
				id := jobs[r.IntN(len(jobs))].ID
				action := []string{"pause", "resume", "cancel", "retry"}[r.IntN(4)]
				if status, err := e.post(fmt.Sprintf("/v1/jobs/%s/%s", id, action)); err != nil || (status != 200 && status != 409) {
					errs <- fmt.Errorf("%s %s: %d %v", action, id, status, err)
					return
				}
			}
		})
	}
	storms.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	e.do(req{path: "/v1/hello"}).want(t, http.StatusOK, "")
	var listed struct{ Jobs []downloader.JobInfo }
	json.Unmarshal(e.do(req{path: "/v1/jobs"}).body, &listed)
	if len(listed.Jobs) != len(jobs) {
		t.Errorf("the API lists %d jobs, the Manager had %d", len(listed.Jobs), len(jobs))
	}
	for _, j := range jobs {
		e.m.RetryJob(j.ID)
		e.m.ResumeJob(j.ID)
	}
	for _, j := range jobs {
		got := e.waitJob(j.ID, downloader.JobCompleted, downloader.JobFailed)
		for _, f := range got.Files {
			if f.State != downloader.FileCompleted {
				t.Errorf("job %s file %q ended %s: %+v", j.ID, f.Name, f.State, f.Error)
			}
		}
	}
	for _, ws := range streams {
		ws.Close()
	}
	listeners.Wait()
	filepath.WalkDir(e.root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".part") {
			t.Errorf("partial file left: %s", p)
		}
		return nil
	})
}

// post sends a portal POST without a body from any goroutine.
func (e *env) post(path string) (int, error) {
	r, err := http.NewRequest(http.MethodPost, e.url+path, nil)
	if err != nil {
		return 0, err
	}
	r.Header.Set("Origin", portal)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// hostileBody returns one job body: valid ones with unusual but lawful
// names (unicode, duplicates), and broken ones (huge numbers, 100,000-char
// names, wrong types, duplicate keys, deep nesting, garbage).
func hostileBody(r *rand.Rand, url string) string {
	names := []string{"芯片-01.zip", "chip 1.zip", "💾.zip", "a/b/c.zip", "dup.zip", "dup.zip", "ÄÖÜ.dloc", "x"}
	switch r.IntN(8) {
	case 0, 1, 2:
		var fs []string
		for range 1 + r.IntN(3) {
			fs = append(fs, fmt.Sprintf(`{"url":%q,"name":%q}`, url, names[r.IntN(len(names))]))
		}
		return fmt.Sprintf(`{"name":"order %d","folder":"o%d","files":[%s]}`, r.IntN(9), r.IntN(3), strings.Join(fs, ","))
	case 3:
		return fmt.Sprintf(`{"name":"x","files":[{"url":%q,"name":%q}]}`, url, strings.Repeat("長", 100000))
	case 4:
		return fmt.Sprintf(`{"name":"x","connections":99999999999999999999999,"files":[{"url":%q,"name":"a","size":1e309}]}`, url)
	case 5:
		return fmt.Sprintf(`{"name":"x","name":"y","files":[{"url":%q,"name":"a"}]}`, url)
	case 6:
		return `{"name":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`
	}
	b := make([]byte, r.IntN(200))
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return string(b)
}
