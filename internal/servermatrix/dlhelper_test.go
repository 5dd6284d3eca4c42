package servermatrix

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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"dlhelper/bridge"
	"dlhelper/internal/testenv"
)

// runGet downloads urls with "dlhelper get" into a new folder and
// returns it with what get printed; a run that does not exit 0 fails the
// test.
func runGet(t *testing.T, urls []string) (dir, stdout string) {
	t.Helper()
	dir = t.TempDir()
	args := append([]string{"get", "--dir", dir, "--state", t.TempDir(), "--connections", "4"}, urls...)
	var out, errs bytes.Buffer
	cmd := exec.Command(testenv.DlhelperBinary(t), args...)
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Errorf("dlhelper get: %v: %s", err, errs.String())
	}
	return dir, out.String()
}

// checkedLine checks get's summary of what the files were verified
// against ("Checked: 5 against the server's ETag (an MD5), 1 by size
// only.") against want(o) for each file.
func checkedLine(t *testing.T, stdout string, order []object, want func(object) string) {
	t.Helper()
	var line string
	for l := range strings.Lines(stdout) {
		if strings.HasPrefix(l, "Checked: ") {
			line = strings.TrimSpace(l)
		}
	}
	if line == "" {
		t.Errorf("get printed no \"Checked: …\" line; it printed:\n%s", stdout)
		return
	}
	count := map[string]int{}
	for _, o := range order {
		count[want(o)]++
	}
	says := map[string]string{"sha256": "against the portal's SHA-256", "md5": "against the portal's MD5",
		"etag-md5": "against the server's ETag (an MD5)", "size": "by size only"}
	for by, n := range count {
		if part := fmt.Sprintf("%d %s", n, says[by]); !strings.Contains(line, part) {
			t.Errorf("get says %q, want it to say %q", line, part)
		}
	}
}

// serveProc is a running "dlhelper serve", driven as a local tool: no
// Origin, the token from its state folder.
type serveProc struct {
	base, token string
	mu          sync.Mutex
	log         bytes.Buffer
}

var listeningLine = regexp.MustCompile(`msg="dlhelper is listening" addr=127\.0\.0\.1:(\d+)`)

// startServe runs the real binary on a port the system picks, reading
// its log until it listens, and kills it when the test ends.
func startServe(t *testing.T) *serveProc {
	t.Helper()
	state := t.TempDir()
	cmd := exec.Command(testenv.DlhelperBinary(t), "serve", "--addr", "127.0.0.1:0",
		"--dir", t.TempDir(), "--state", state, "--allow-origin", "http://portal.test", "--config=")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &serveProc{}
	ports, exited := make(chan string, 1), make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			s.mu.Lock()
			fmt.Fprintln(&s.log, sc.Text())
			s.mu.Unlock()
			if m := listeningLine.FindStringSubmatch(sc.Text()); m != nil {
				ports <- m[1]
			}
		}
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			s.mu.Lock()
			t.Logf("dlhelper serve said:\n%s", s.log.String())
			s.mu.Unlock()
		}
	})
	select {
	case port := <-ports:
		s.base = "127.0.0.1:" + port
	case <-exited:
		t.Fatalf("dlhelper serve exited before listening:\n%s", s.log.String())
	}
	tok, err := os.ReadFile(filepath.Join(state, bridge.TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	s.token = strings.TrimSpace(string(tok))
	return s
}

// jobFile is a file of a job as the bridge reports it. VerifiedBy is
// decoded from JSON so the test reads the API, not the engine's types.
type jobFile struct {
	Index      int    `json:"index"`
	Name       string `json:"name"`
	Path       string `json:"path"`
	State      string `json:"state"`
	VerifiedBy string `json:"verifiedBy"`
	Error      *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type job struct {
	ID    string    `json:"id"`
	State string    `json:"state"`
	Files []jobFile `json:"files"`
}

// events opens the event stream. Opened before jobs are added, it sees
// every one of their events.
func (s *serveProc) events(t *testing.T) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+s.base+"/v1/events", http.Header{"Authorization": {"Bearer " + s.token}})
	if err != nil {
		t.Fatalf("event stream: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// add posts a job and returns its id.
func (s *serveProc) add(t *testing.T, spec map[string]any) string {
	t.Helper()
	body, _ := json.Marshal(spec)
	req, _ := http.NewRequest(http.MethodPost, "http://"+s.base+"/v1/jobs", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /v1/jobs: %v", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var j job
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(out, &j) != nil {
		t.Fatalf("POST /v1/jobs: %d %s", resp.StatusCode, out)
	}
	return j.ID
}

// waitEnded reads the stream until every job in ids has completed or
// failed, and returns each as its last event showed it.
func waitEnded(t *testing.T, ws *websocket.Conn, ids ...string) map[string]job {
	t.Helper()
	ended := map[string]job{}
	for len(ended) < len(ids) {
		// The deadline only keeps a broken run from hanging the suite.
		ws.SetReadDeadline(time.Now().Add(90 * time.Second))
		var ev struct {
			Type string `json:"type"`
			Job  string `json:"job"`
			Info *job   `json:"info"`
		}
		if err := ws.ReadJSON(&ev); err != nil {
			t.Fatalf("event stream: %v (jobs ended so far: %d of %d)", err, len(ended), len(ids))
		}
		if (ev.Type == "job.completed" || ev.Type == "job.failed") && ev.Info != nil {
			ended[ev.Job] = *ev.Info
		}
	}
	return ended
}

// checkFile checks that a file of the order is on disk, whole.
func checkFile(t *testing.T, path string, o object) {
	t.Helper()
	got, err := testenv.FileSHA256(path)
	if err != nil {
		t.Errorf("%s: %v", o.key, err)
		return
	}
	if want := testenv.SHA256Hex(o.data); got != want {
		t.Errorf("%s: SHA-256 on disk %s, want %s (%d bytes)", o.key, got, want, len(o.data))
	}
}

// checkJob checks every file completed, is whole on disk, and says it
// was verified against want(o).
func checkJob(t *testing.T, j job, order []object, want func(object) string) {
	t.Helper()
	if len(j.Files) != len(order) {
		t.Fatalf("job %s has %d files, want %d", j.ID, len(j.Files), len(order))
	}
	for i, f := range j.Files {
		o := order[i]
		if f.State != "completed" {
			msg := ""
			if f.Error != nil {
				msg = f.Error.Code + ": " + f.Error.Message
			}
			t.Errorf("%s: state %s, want completed (%s)", o.key, f.State, msg)
			continue
		}
		checkFile(t, f.Path, o)
		if w := want(o); f.VerifiedBy != w {
			t.Errorf("%s: verifiedBy %q, want %q", o.key, f.VerifiedBy, w)
		}
	}
}

// portalJob is the job a portal posts: names, URLs and, with sums, each
// file's size and SHA-256.
func portalJob(folder string, order []object, urls []string, sums bool) map[string]any {
	var files []map[string]any
	for i, o := range order {
		f := map[string]any{"url": urls[i], "name": o.key}
		if sums {
			f["size"] = len(o.data)
			f["sha256"] = testenv.SHA256Hex(o.data)
		}
		files = append(files, f)
	}
	return map[string]any{"name": "Order " + folder, "folder": folder, "files": files}
}
