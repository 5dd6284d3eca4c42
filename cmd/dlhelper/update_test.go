package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"dlhelper/bridge"
	"dlhelper/downloader"
	"dlhelper/internal/brand"
	"dlhelper/internal/testenv"
	"dlhelper/internal/update"
)

// TestHelperUpdatesWhenTheDownloadsEnd runs the real program, version
// 1.0.0, against a local https feed that offers a signed 1.1.0 while a job
// is in flight: the helper downloads and verifies the build, waits for the
// job, installs the build over itself, restarts into 1.1.0, and the job is
// complete. The refusals (tampered build, downgrade, plain http) are
// internal/update's tests, on the same engine.
func TestHelperUpdatesWhenTheDownloadsEnd(t *testing.T) {
	pub, priv, err := update.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pubText, _ := pub.MarshalText()
	jobAdded, release := make(chan struct{}), make(chan struct{})
	data := testenv.RandomData(1, 3<<20)
	var feed []byte
	mux := http.NewServeMux()
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	var added, released sync.Once
	addJob := func() { added.Do(func() { close(jobAdded) }) }
	releaseJob := func() { released.Do(func() { close(release) }) }
	t.Cleanup(func() { addJob(); releaseJob() }) // srv.Close waits for the handlers
	mux.HandleFunc("/feed.json", func(w http.ResponseWriter, r *http.Request) {
		<-jobAdded // the check at start sees the feed once the job runs
		w.Write(feed)
	})
	var newBuild []byte
	mux.HandleFunc("/build", func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "build", time.Time{}, bytes.NewReader(newBuild))
	})
	mux.HandleFunc("/order.bin", func(w http.ResponseWriter, r *http.Request) {
		<-release // the job stays in flight until the test says
		w.Header().Set("ETag", `"order"`)
		http.ServeContent(w, r, "order.bin", time.Time{}, bytes.NewReader(data))
	})

	b := brand.Brand{ProductName: "Acme Downloads", FeedURL: srv.URL + "/feed.json", PublicKey: string(pubText)}
	dir := t.TempDir()
	exe := buildBranded(t, b, "1.0.0", filepath.Join(dir, "dlhelper"))
	newBuild, _ = os.ReadFile(buildBranded(t, b, "1.1.0", filepath.Join(t.TempDir(), "dlhelper")))
	sum := sha256.Sum256(newBuild)
	platform := runtime.GOOS + "/" + runtime.GOARCH
	feed, _ = json.Marshal(update.Feed{Version: "1.1.0", Builds: map[string]update.Build{platform: {
		URL: srv.URL + "/build", Size: int64(len(newBuild)), SHA256: hex.EncodeToString(sum[:]),
		Signature: update.SignBuild(priv, newBuild, "1.1.0", platform)}}})

	// The helper trusts the test server through the system's roots.
	certFile := filepath.Join(dir, "cert.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
	h := startProc(t, exe, []string{"SSL_CERT_FILE=" + certFile})

	var job downloader.JobInfo
	json.Unmarshal(h.mustCall(t, "POST", "/v1/jobs", map[string]any{"name": "order", "files": []map[string]any{
		{"url": srv.URL + "/order.bin", "name": "order.bin"}}}, http.StatusCreated), &job)
	addJob()
	h.waitLine(t, "the update waits until no download is running", "the update is installed")
	if got, _ := os.ReadFile(exe); bytes.Equal(got, newBuild) {
		t.Fatal("the program was replaced while a download ran")
	}
	releaseJob()
	h.waitLine(t, "the update is installed")
	h.waitListening(t) // the new program, in the same process

	var hello struct{ Version string }
	json.Unmarshal(h.mustCall(t, "GET", "/v1/hello", nil, http.StatusOK), &hello)
	if hello.Version != "1.1.0" {
		t.Errorf("after the restart the helper is version %q, want 1.1.0", hello.Version)
	}
	if got, _ := os.ReadFile(exe); !bytes.Equal(got, newBuild) {
		t.Error("the program on disk is not the new build")
	}
	json.Unmarshal(h.mustCall(t, "GET", "/v1/jobs/"+job.ID, nil, http.StatusOK), &job)
	if job.State != downloader.JobCompleted {
		t.Errorf("after the restart the job is %s, want completed", job.State)
	}
	checkSHA256(t, filepath.Join(h.dir, "order.bin"), data)
}

// buildBranded links dlhelper with a version and brand, as mkdist does.
func buildBranded(t *testing.T, b brand.Brand, version, out string) string {
	t.Helper()
	enc, err := brand.Encode(b)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-o", out, "-ldflags", "-X main.version="+version+" -X dlhelper/internal/brand.encoded="+enc, ".")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, msg)
	}
	return out
}

// proc is a "dlhelper serve" whose log lines the test waits on.
type proc struct {
	cmd   *exec.Cmd
	dir   string
	state string
	base  string
	lines chan string
	log   strings.Builder
}

var listenLine = regexp.MustCompile(`msg="dlhelper is listening" addr=127\.0\.0\.1:(\d+)`)

func startProc(t *testing.T, exe string, env []string) *proc {
	t.Helper()
	h := &proc{dir: t.TempDir(), state: t.TempDir(), lines: make(chan string, 1000)}
	h.cmd = exec.Command(exe, "serve", "--addr", "127.0.0.1:0", "--dir", h.dir, "--state", h.state, "--config=")
	h.cmd.Env = append(os.Environ(), env...)
	pipe, _ := h.cmd.StderrPipe()
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
		close(h.lines)
	}()
	t.Cleanup(func() {
		h.cmd.Process.Kill()
		h.cmd.Wait()
		if t.Failed() {
			t.Logf("dlhelper said:\n%s", h.log.String())
		}
	})
	h.waitListening(t)
	return h
}

// waitLine reads the log until a line holds s; a line holding one of
// wrong first fails the test.
func (h *proc) waitLine(t *testing.T, s string, wrong ...string) string {
	t.Helper()
	for line := range h.lines {
		h.log.WriteString(line + "\n")
		if strings.Contains(line, s) {
			return line
		}
		for _, w := range wrong {
			if strings.Contains(line, w) {
				t.Fatalf("dlhelper said %q before %q", w, s)
			}
		}
	}
	t.Fatalf("dlhelper exited before saying %q", s)
	return ""
}

func (h *proc) waitListening(t *testing.T) {
	t.Helper()
	m := listenLine.FindStringSubmatch(h.waitLine(t, "dlhelper is listening"))
	h.base = "http://127.0.0.1:" + m[1]
}

func (h *proc) mustCall(t *testing.T, method, path string, body any, want int) []byte {
	t.Helper()
	var r io.Reader = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	tok, err := os.ReadFile(filepath.Join(h.state, bridge.TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, out, want)
	}
	return out
}
