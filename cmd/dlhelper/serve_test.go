package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"dlhelper/bridge"
	"dlhelper/downloader"
	"dlhelper/internal/testenv"
)

const testOrigin = "http://portal.test"

// serveProc is a running "dlhelper serve" process.
type serveProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:PORT
	port   int
	dir    string
	state  string
	mu     sync.Mutex
	stderr bytes.Buffer
	exited chan struct{} // closed once the process exited and its output was read
	err    error         // the process's exit, set before exited closes
}

var listeningLine = regexp.MustCompile(`msg="dlhelper is listening" addr=127\.0\.0\.1:(\d+)`)

// startServe runs the real binary on a port the system picks and waits,
// reading its log, until it listens.
func startServe(t *testing.T, args ...string) *serveProc {
	t.Helper()
	h := &serveProc{t: t, dir: t.TempDir(), state: t.TempDir(), exited: make(chan struct{})}
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--dir", h.dir, "--state", h.state,
		"--allow-origin", testOrigin, "--config="}, args...)
	h.cmd = exec.Command(testenv.DlhelperBinary(t), args...)
	pipe, err := h.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ports := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			h.mu.Lock()
			fmt.Fprintln(&h.stderr, sc.Text())
			h.mu.Unlock()
			if m := listeningLine.FindStringSubmatch(sc.Text()); m != nil {
				p, _ := strconv.Atoi(m[1])
				ports <- p
			}
		}
		h.err = h.cmd.Wait()
		close(h.exited)
	}()
	t.Cleanup(func() {
		h.cmd.Process.Kill()
		<-h.exited
		if t.Failed() {
			t.Logf("dlhelper serve said:\n%s", h.output())
		}
	})
	select {
	case h.port = <-ports:
	case <-h.exited:
		t.Fatalf("dlhelper serve exited before listening: %v", h.err)
	}
	h.base = fmt.Sprintf("http://127.0.0.1:%d", h.port)
	return h
}

func (h *serveProc) output() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stderr.String()
}

// call sends a request as the portal's page would (Origin set), or as a
// local tool with the token when origin is "".
func (h *serveProc) call(method, path, origin string, body any) (int, []byte) {
	h.t.Helper()
	var r io.Reader = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.base+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	} else {
		tok, err := os.ReadFile(filepath.Join(h.state, bridge.TokenFile))
		if err != nil {
			h.t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func (h *serveProc) mustCall(method, path string, body any, want int) []byte {
	h.t.Helper()
	status, out := h.call(method, path, testOrigin, body)
	if status != want {
		h.t.Fatalf("%s %s: %d %s, want %d", method, path, status, out, want)
	}
	return out
}

// event is a message of the event stream, as a portal page reads it.
type event struct {
	Type     string                    `json:"type"`
	Job      string                    `json:"job"`
	Jobs     []downloader.JobInfo      `json:"jobs"`
	Info     *downloader.JobInfo       `json:"info"`
	File     *downloader.FileInfo      `json:"file"`
	Progress *downloader.Progress      `json:"progress"`
	Files    []downloader.FileProgress `json:"files"`
}

// follow reads events of job id until ok accepts one; it returns them all.
func follow(t *testing.T, ws *websocket.Conn, id string, ok func(event) bool) []event {
	t.Helper()
	var seen []event
	for {
		// The deadline only keeps a broken run from hanging.
		ws.SetReadDeadline(time.Now().Add(2 * time.Minute))
		var ev event
		if err := ws.ReadJSON(&ev); err != nil {
			t.Fatalf("event stream: %v", err)
		}
		if ev.Type == "job.failed" && ev.Job == id {
			t.Fatalf("job %s failed: %+v", id, ev.Info.Files)
		}
		if ev.Job != id {
			continue
		}
		seen = append(seen, ev)
		if ok(ev) {
			return seen
		}
	}
}

func checkSHA256(t *testing.T, path string, data []byte) {
	t.Helper()
	got, err := testenv.FileSHA256(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := testenv.SHA256Hex(data); got != want {
		t.Fatalf("%s: sha256 %s, want %s", path, got, want)
	}
}

// TestServeEndToEnd drives the real binary as a portal page would, against
// real MinIO: a job followed over the WebSocket to job.completed, then an
// expired presigned URL answered with a fresh one, the file continuing
// from the bytes it kept.
func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	mc := testenv.StartMinIO(t)
	mc.MakeBucket(t, "orders")
	small, big := testenv.RandomData(1, 6<<20), testenv.RandomData(2, 16<<20)
	mc.Put(t, "orders", "chip-001.zip", small)
	mc.Put(t, "orders", "chip-002.zip", big)
	// A speed limit keeps the second file running long enough to pause it.
	h := startServe(t, "--limit", strconv.Itoa(4<<20), "--connections", "4")

	var hello struct {
		App string `json:"app"`
		API int    `json:"api"`
	}
	status, out := h.call(http.MethodGet, "/v1/hello", "https://evil.example", nil)
	if status != http.StatusForbidden {
		t.Errorf("hello from a foreign page: %d %s, want 403", status, out)
	}
	if json.Unmarshal(h.mustCall(http.MethodGet, "/v1/hello", nil, 200), &hello); hello.App != "dlhelper" || hello.API != 1 {
		t.Fatalf("hello = %+v", hello)
	}
	if st, err := os.Stat(filepath.Join(h.state, bridge.TokenFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("token file: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
	if port, err := bridge.ReadPort(h.state); err != nil || port != h.port {
		t.Errorf("port file says %d (%v), want %d", port, err, h.port)
	}

	ws, _, err := websocket.DefaultDialer.Dial(fmt.Sprintf("ws://127.0.0.1:%d/v1/events", h.port), http.Header{"Origin": {testOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var snap event
	if err := ws.ReadJSON(&snap); err != nil || snap.Type != "snapshot" {
		t.Fatalf("first message %+v (%v), want a snapshot", snap, err)
	}

	t.Run("a job is followed to job.completed", func(t *testing.T) {
		var j downloader.JobInfo
		json.Unmarshal(h.mustCall(http.MethodPost, "/v1/jobs", map[string]any{
			"name": "order 1", "folder": "order-1",
			"files": []map[string]any{{"url": mc.Presign(t, "orders", "chip-001.zip", time.Hour), "name": "chip-001.zip",
				"size": len(small), "sha256": testenv.SHA256Hex(small)}},
		}, http.StatusCreated), &j)
		evs := follow(t, ws, j.ID, func(ev event) bool { return ev.Type == "job.completed" })
		if evs[0].Type != "job.added" {
			t.Errorf("first event of the job: %s, want job.added", evs[0].Type)
		}
		checkSHA256(t, filepath.Join(h.dir, "order-1", "chip-001.zip"), small)
	})

	t.Run("an expired URL is answered with a fresh one", func(t *testing.T) {
		var j downloader.JobInfo
		json.Unmarshal(h.mustCall(http.MethodPost, "/v1/jobs", map[string]any{
			"name": "order 2",
			"files": []map[string]any{{"url": mc.Presign(t, "orders", "chip-002.zip", time.Hour), "name": "chip-002.zip",
				"sha256": testenv.SHA256Hex(big)}},
		}, http.StatusCreated), &j)
		path := "/v1/jobs/" + j.ID

		// Fetch a part of the file with a valid URL, then pause.
		follow(t, ws, j.ID, func(ev event) bool { return ev.Type == "job.progress" && ev.Progress.Done >= 3<<20 })
		h.mustCall(http.MethodPost, path+"/pause", nil, http.StatusOK)

		// The page hands over a URL signed for one second, which expires
		// before the job resumes.
		short := mc.Presign(t, "orders", "chip-002.zip", time.Second)
		h.mustCall(http.MethodPut, path+"/files/0/url", map[string]string{"url": short}, http.StatusOK)
		waitExpired(t, short)
		h.mustCall(http.MethodPost, path+"/resume", nil, http.StatusOK)

		evs := follow(t, ws, j.ID, func(ev event) bool { return ev.Type == "file.url_expired" })
		exp := evs[len(evs)-1].File
		if exp == nil || exp.Index != 0 || exp.Name != "chip-002.zip" || exp.State != "url_expired" {
			t.Fatalf("file.url_expired carries %+v", exp)
		}
		kept := exp.Done
		if kept < 3<<20 || kept >= int64(len(big)) {
			t.Fatalf("the expired file kept %d bytes, want at least the 3 MiB fetched before", kept)
		}
		var waiting downloader.JobInfo
		status, out := h.call(http.MethodGet, path, "", nil)
		if json.Unmarshal(out, &waiting); status != 200 || waiting.State != "waiting" {
			t.Errorf("GET %s with the token: %d, state %q; want 200, waiting", path, status, waiting.State)
		}

		h.mustCall(http.MethodPut, path+"/files/0/url", map[string]string{"url": mc.Presign(t, "orders", "chip-002.zip", time.Hour)}, http.StatusOK)
		evs = follow(t, ws, j.ID, func(ev event) bool { return ev.Type == "job.completed" })
		progressed := false
		for _, ev := range evs {
			if ev.Type != "job.progress" {
				continue
			}
			progressed = true
			// Fetching again from zero would reset the count first.
			if ev.Progress.Done < kept {
				t.Fatalf("after the fresh URL progress went back to %d bytes, below the %d kept", ev.Progress.Done, kept)
			}
		}
		if !progressed {
			t.Error("no progress between the fresh URL and completion")
		}
		checkSHA256(t, filepath.Join(h.dir, "chip-002.zip"), big)
	})

	// SIGTERM shuts down cleanly: exit 0, the stream told, the port file gone.
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(time.Minute))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
				t.Errorf("the stream ended with %v, want close 1001", err)
			}
			break
		}
	}
	<-h.exited
	if h.err != nil {
		t.Errorf("dlhelper serve exited with %v after SIGTERM, want 0", h.err)
	}
	if _, err := os.Stat(filepath.Join(h.state, bridge.PortFile)); !os.IsNotExist(err) {
		t.Errorf("the port file outlived the helper (%v)", err)
	}
}

// waitExpired waits out a presigned URL's lifetime, then checks that MinIO
// indeed refuses it. Only the clock can tell; one extra second covers
// signing times truncated to the second.
func waitExpired(t *testing.T, url string) {
	t.Helper()
	time.Sleep(2 * time.Second)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("the URL signed for 1s still answers %d after 2s", resp.StatusCode)
	}
}

func TestServeRefusesANonLoopbackAddress(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	code := run([]string{"serve", "--addr", "0.0.0.0:17315", "--config=", "--state", t.TempDir(), "--dir", t.TempDir()}, io.Discard, &stderr)
	if want := "dlhelper: the address 0.0.0.0:17315 is not a loopback address; use 127.0.0.1:PORT\n"; code == 0 || stderr.String() != want {
		t.Errorf("exit %d, stderr %q; want a refusal %q", code, stderr.String(), want)
	}
}

func TestServeOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	config := filepath.Join(dir, "config.json")
	os.WriteFile(config, []byte(`{"addr":"127.0.0.1:17400","dir":"/c/dl","state":"/c/st","allowOrigins":["https://Portal.Example.com/"],
		"allowHosts":["minio.example.com"],"connections":4,"filesAtOnce":3,"rateLimit":1000}`), 0o600)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"allowOrigin":["https://portal.example.com"]}`), 0o600)

	for _, tc := range []struct {
		name    string
		args    []string
		want    serveOptions
		wantErr string
	}{
		{name: "the config file", args: []string{"--config", config},
			want: serveOptions{Addr: "127.0.0.1:17400", Dir: "/c/dl", State: "/c/st", AllowOrigins: []string{"https://portal.example.com"},
				AllowHosts: []string{"minio.example.com"}, Connections: 4, FilesAtOnce: 3, RateLimit: 1000}},
		{name: "flags win over it", args: []string{"--config", config, "--addr", "127.0.0.1:0", "--dir", "/f/dl", "--allow-origin", "http://portal.test",
			"--allow-origin", "https://b.example", "--files", "7", "--limit", "0", "--headless"},
			want: serveOptions{Addr: "127.0.0.1:0", Dir: "/f/dl", State: "/c/st", AllowOrigins: []string{"http://portal.test", "https://b.example"},
				AllowHosts: []string{"minio.example.com"}, Connections: 4, FilesAtOnce: 7, RateLimit: 0}},
		{name: "no config file", args: []string{"--config=", "--dir", "/d", "--state", "/s"}, want: serveOptions{Dir: "/d", State: "/s"}},
		{name: "a missing config file named", args: []string{"--config", filepath.Join(dir, "nope.json")}, wantErr: "does not exist"},
		{name: "a typo in the config file", args: []string{"--config", bad}, wantErr: `unknown field "allowOrigin"`},
		{name: "an origin with a path", args: []string{"--config=", "--allow-origin", "https://portal.example.com/app"}, wantErr: "must not have a path"},
		{name: "too many connections", args: []string{"--config=", "--connections", "65"}, wantErr: "--connections"},
		{name: "a negative limit", args: []string{"--config=", "--limit", "-1"}, wantErr: "--limit"},
		{name: "a URL as a host", args: []string{"--config=", "--allow-host", "https://minio.example.com/"}, wantErr: "--allow-host"},
		{name: "an argument", args: []string{"--config=", "now"}, wantErr: "only flags"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseServe(tc.args, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("options\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
