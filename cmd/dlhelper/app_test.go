//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"dlhelper/bridge"
	"dlhelper/downloader"
	"dlhelper/internal/testenv"
)

// appWait bounds every wait of the desktop tests so a broken helper fails
// the test instead of hanging it; nothing is timed against it.
const appWait = 60 * time.Second

// TestDesktopAppUnderXvfb runs the real binary as a desktop app on a
// virtual display with a session bus: it serves /v1/hello, shows its tray
// icon without a tray error, hands a second start over to itself, and quits
// cleanly on SIGTERM with a job in flight, which the next start resumes and
// finishes without fetching the file again, with a desktop notification.
func TestDesktopAppUnderXvfb(t *testing.T) {
	t.Parallel()
	display := startXvfb(t)
	bus := startSessionBus(t)
	notes := serveNotifications(t, bus)
	bin := testenv.DlhelperBinary(t)
	home := t.TempDir()
	env := desktopEnv(t, home, display, bus)
	opened := filepath.Join(home, "opened")
	env = withRecordingOpener(t, env, opened)
	state := filepath.Join(home, "state", "dlhelper")
	logPath := filepath.Join(state, logName)
	const size = 8 << 20
	data := testenv.RandomData(7, size)
	srv := newHeldServer(t, data)

	first := startApp(t, bin, env)
	port := first.ready(t, state)
	waitAppLogged(t, first, logPath, "tray icon shown", 1)

	second := exec.Command(bin, "open", "dlhelper://start")
	second.Env = env
	if out, err := second.CombinedOutput(); err != nil {
		t.Fatalf("a second start with dlhelper://start: %v: %s", err, out)
	}
	waitAppLogged(t, first, logPath, "dlhelper is already running; handed over to it", 1)

	token, err := bridge.LoadOrCreateToken(state)
	if err != nil {
		t.Fatal(err)
	}
	id := appAddJob(t, port, token, srv.URL+"/chip-007.zip")
	before := appWaitJob(t, first, port, token, id, "some bytes in", func(j downloader.JobInfo) bool { return j.Done > 0 })
	status := exec.Command(bin, "status")
	status.Env = env
	login := "http://127.0.0.1:" + strconv.Itoa(port) + "/login?n="
	if out, err := status.CombinedOutput(); err != nil || !strings.Contains(string(out), login) || !strings.Contains(string(out), "Order 7") {
		t.Errorf("dlhelper status = %v:\n%s\nwant a login link and the job", err, out)
	}
	// A second start asked for the status page opens a one-time login
	// link the running helper minted, not the bare address.
	page := exec.Command(bin, "open", "dlhelper://status")
	page.Env = env
	if out, err := page.CombinedOutput(); err != nil {
		t.Fatalf("a second start with dlhelper://status: %v: %s", err, out)
	}
	link := waitOpenedPrefix(t, first, opened, login)
	if resp, err := noRedirect.Get(link); err != nil || resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Errorf("GET %s: %v %v, want 303 with the session cookie", link, resp, err)
	}
	first.stop(t)

	sentBefore := srv.sent.Load()
	again := startApp(t, bin, env)
	port = again.ready(t, state)
	waitAppLogged(t, again, logPath, "tray icon shown", 2)
	resumed := appWaitJob(t, again, port, token, id, "the job back", func(downloader.JobInfo) bool { return true })
	if resumed.Done < before.Done || resumed.State == downloader.JobCompleted {
		t.Fatalf("after the restart the job is %s with %d bytes, want unfinished with at least the %d it had", resumed.State, resumed.Done, before.Done)
	}
	srv.release()
	done := appWaitJob(t, again, port, token, id, "the job completed", func(j downloader.JobInfo) bool { return j.State == downloader.JobCompleted })
	select {
	case n := <-notes:
		if !strings.HasPrefix(n, "Download complete: Order 7: 1 file in ") {
			t.Errorf("notification %q, want one that Order 7 completed", n)
		}
	case <-again.ctx.Done():
		t.Errorf("no notification came for the completed order")
	}
	// The status page's "Open folder": the desktop's opener gets the folder.
	if code, body := appPost(t, port, token, "/v1/jobs/"+id+"/open"); code != http.StatusNoContent {
		t.Errorf("POST /v1/jobs/%s/open: %d %s, want 204", id, code, body)
	} else {
		waitOpened(t, again, opened, done.Dir)
	}
	again.stop(t)

	got, err := os.ReadFile(done.Files[0].Path)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("the downloaded file differs from the object (%v)", err)
	}
	if resent := srv.sent.Load() - sentBefore; resent >= size {
		t.Errorf("the second start fetched %d bytes of a %d-byte file: it started over instead of resuming", resent, size)
	}
	checkNoTrayErrors(t, logPath, first, again)
}

// TestHeadlessWithoutADisplay starts the desktop app where there is no
// display: it says so in its log, serves, and quits cleanly on SIGTERM.
func TestHeadlessWithoutADisplay(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	state := filepath.Join(home, "state", "dlhelper")
	p := startApp(t, testenv.DlhelperBinary(t), desktopEnv(t, home, "", ""))
	port := p.ready(t, state)
	waitAppLogged(t, p, filepath.Join(state, logName), "running headless, without a tray icon", 1)
	token, err := bridge.LoadOrCreateToken(state)
	if err != nil {
		t.Fatal(err)
	}
	srv := newHeldServer(t, []byte("data"))
	id := appAddJob(t, port, token, srv.URL+"/chip-007.zip")
	if code, body := appPost(t, port, token, "/v1/jobs/"+id+"/open"); code != http.StatusNotImplemented || !strings.Contains(body, "without a desktop") {
		t.Errorf("headless POST /v1/jobs/%s/open: %d %s, want 501 saying there is no desktop", id, code, body)
	}
	srv.release()
	p.stop(t)
	if n := countAppLogged(t, filepath.Join(state, logName), "tray icon shown"); n != 0 {
		t.Errorf("without a display the log says the tray icon was shown")
	}
	checkNoTrayErrors(t, filepath.Join(state, logName), p)
}

// appProc is one run of the binary.
type appProc struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	exited chan struct{}
	ctx    context.Context // ends when the process exits or after appWait
}

func startApp(t *testing.T, bin string, env []string) *appProc {
	t.Helper()
	// Started as the menu entry and the link handler start it.
	p := &appProc{cmd: exec.Command(bin, "open"), exited: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stderr = &p.stderr
	p.cmd.SysProcAttr = testenv.DieWithTest()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), appWait)
	p.ctx = ctx
	go func() {
		p.cmd.Wait()
		cancel()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// ready waits until the helper answers /v1/hello and returns its port.
func (p *appProc) ready(t *testing.T, state string) int {
	t.Helper()
	port, h, err := waitForHelper(p.ctx, state)
	if err != nil {
		t.Fatalf("the helper does not answer /v1/hello (%v); stderr: %s", err, p.errText())
	}
	if h.App != "dlhelper" || h.API != bridge.APIVersion {
		t.Fatalf("/v1/hello = %+v", h)
	}
	return port
}

// stop sends SIGTERM and wants a clean exit.
func (p *appProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(appWait):
		t.Fatal("the helper did not exit after SIGTERM")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("after SIGTERM the helper exited %d; stderr: %s", code, p.errText())
	}
}

// errText is what the helper wrote to stderr; read it once it has exited.
func (p *appProc) errText() string {
	select {
	case <-p.exited:
		return p.stderr.String()
	default:
		return "(still running)"
	}
}

// waitAppLogged waits until the log holds msg n times.
func waitAppLogged(t *testing.T, p *appProc, logPath, msg string, n int) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if countAppLogged(t, logPath, msg) >= n {
			return
		}
		select {
		case <-p.ctx.Done():
			data, _ := os.ReadFile(logPath)
			t.Fatalf("the log never said %q %d times; stderr: %s\nlog:\n%s", msg, n, p.errText(), data)
		case <-tick.C:
		}
	}
}

// appLogRecord is one line of the JSON log.
type appLogRecord struct {
	Level string `json:"level"`
	Msg   string `json:"msg"`
}

func readAppLog(t *testing.T, path string) []appLogRecord {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []appLogRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r appLogRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("the log has a line that is not JSON: %q", sc.Text())
		}
		recs = append(recs, r)
	}
	return recs
}

func countAppLogged(t *testing.T, path, msg string) int {
	n := 0
	for _, r := range readAppLog(t, path) {
		if r.Msg == msg {
			n++
		}
	}
	return n
}

// checkNoTrayErrors wants no error in the log and no GTK, GLib or systray
// complaint on stderr.
func checkNoTrayErrors(t *testing.T, logPath string, runs ...*appProc) {
	t.Helper()
	for _, r := range readAppLog(t, logPath) {
		if r.Level == "ERROR" {
			t.Errorf("the log has an error: %s", r.Msg)
		}
	}
	for i, p := range runs {
		for _, bad := range []string{"CRITICAL", "WARNING", "ERROR", "systray"} {
			if s := p.errText(); strings.Contains(s, bad) {
				t.Errorf("run %d wrote %s on stderr:\n%s", i+1, bad, s)
			}
		}
	}
}

func appAddJob(t *testing.T, port int, token, url string) string {
	t.Helper()
	body := fmt.Sprintf(`{"name":"Order 7","files":[{"url":%q,"name":"chip-007.zip"}]}`, url)
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:"+strconv.Itoa(port)+"/v1/jobs", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := helperClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info downloader.JobInfo
	if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&info) != nil {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST /v1/jobs: %s %s", resp.Status, msg)
	}
	return info.ID
}

// appPost sends a POST without a body with the token and returns the
// status and body of the answer.
func appPost(t *testing.T, port int, token, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:"+strconv.Itoa(port)+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := helperClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// withRecordingOpener puts an xdg-open first on env's PATH that writes
// what it was asked to open into the file record.
func withRecordingOpener(t *testing.T, env []string, record string) []string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bin")
	script := "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '" + record + "'\n"
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	out := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}
	for _, kv := range env {
		if !strings.HasPrefix(kv, "PATH=") {
			out = append(out, kv)
		}
	}
	return out
}

// waitOpened waits until the recording opener was asked for want.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// waitOpenedPrefix waits until the desktop's opener got a target starting
// with prefix, and returns it.
func waitOpenedPrefix(t *testing.T, p *appProc, record, prefix string) string {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		b, _ := os.ReadFile(record)
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, prefix) {
				return line
			}
		}
		select {
		case <-tick.C:
		case <-p.ctx.Done():
			t.Fatalf("the desktop's opener was not asked for %s…; it got %q", prefix, b)
		}
	}
}

func waitOpened(t *testing.T, p *appProc, record, want string) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(record); err == nil && strings.Contains(string(b), want+"\n") {
			return
		}
		select {
		case <-tick.C:
		case <-p.ctx.Done():
			b, _ := os.ReadFile(record)
			t.Fatalf("the desktop's opener was not asked for %s; it got %q", want, b)
		}
	}
}

// appWaitJob polls the job until cond holds.
func appWaitJob(t *testing.T, p *appProc, port int, token, id, what string, cond func(downloader.JobInfo) bool) downloader.JobInfo {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var j downloader.JobInfo
		err := getJSON(p.ctx, port, "/v1/jobs/"+id, token, &j)
		if err == nil && cond(j) {
			return j
		}
		select {
		case <-p.ctx.Done():
			t.Fatalf("gave up waiting for %s: job %+v, err %v; stderr: %s", what, j, err, p.errText())
		case <-tick.C:
		}
	}
}

// heldServer serves one object with Range support; a request for the
// first bytes (the engine's probe) is answered at once, every other waits
// until release, so a test holds a job in flight as long as it likes.
type heldServer struct {
	*httptest.Server
	gate chan struct{}
	once sync.Once
	sent atomic.Int64
}

func newHeldServer(t *testing.T, data []byte) *heldServer {
	s := &heldServer{gate: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Range"), "bytes=0-") {
			select {
			case <-s.gate:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("ETag", `"held-object"`)
		http.ServeContent(heldCounter{w, &s.sent}, r, "chip.zip", time.Unix(1700000000, 0), bytes.NewReader(data))
	}))
	t.Cleanup(func() { s.release(); s.Close() })
	return s
}

func (s *heldServer) release() { s.once.Do(func() { close(s.gate) }) }

type heldCounter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w heldCounter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n.Add(int64(n))
	return n, err
}

// desktopEnv is the environment of a desktop session in home: its own X
// display and session bus, XDG folders below home, and a config file that
// lets the helper listen on any free port.
func desktopEnv(t *testing.T, home, display, bus string) []string {
	t.Helper()
	runtimeDir := filepath.Join(home, "run")
	if err := os.MkdirAll(runtimeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(home, "config")
	if err := writeFileAtomic(filepath.Join(config, "dlhelper", "config.json"), []byte(`{"addr": "127.0.0.1:0"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "HOME", k == "DISPLAY", k == "WAYLAND_DISPLAY", k == "DBUS_SESSION_BUS_ADDRESS", strings.HasPrefix(k, "XDG_"):
		default:
			env = append(env, kv)
		}
	}
	if display != "" {
		// The test bus has no accessibility service; GTK's wait for one
		// times out under load with a warning the test would count.
		env = append(env, "DISPLAY="+display, "DBUS_SESSION_BUS_ADDRESS="+bus, "NO_AT_BRIDGE=1")
	}
	return append(env, "HOME="+home, "XDG_RUNTIME_DIR="+runtimeDir, "XDG_CONFIG_HOME="+config,
		"XDG_DATA_HOME="+filepath.Join(home, "data"), "XDG_STATE_HOME="+filepath.Join(home, "state"),
		"XDG_DOWNLOAD_DIR="+filepath.Join(home, "Downloads"))
}

// requireDesktopTool finds a program the desktop tests need. Missing in CI is a
// failure (the setup step installs it); elsewhere the test is skipped with
// the package to install.
func requireDesktopTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing; .ci/setup must install the Debian package %s", name, pkg)
	}
	t.Skipf("%s is missing; install the Debian package %s to run this test", name, pkg)
	return ""
}

// startXvfb starts a virtual X server on a free display and returns its
// name. Xvfb picks the display and writes its number to -displayfd once it
// accepts connections, so there is nothing to poll.
func startXvfb(t *testing.T) string {
	t.Helper()
	bin := requireDesktopTool(t, "Xvfb", "xvfb")
	// -noreset: without it the server resets when its last client leaves,
	// and the helper's display check is such a client; GTK connecting
	// during that reset failed with "cannot open display" now and then.
	num := startAnnouncing(t, exec.Command(bin, "-displayfd", "3", "-noreset", "-nolisten", "tcp", "-screen", "0", "1024x768x24"))
	return ":" + num
}

// startSessionBus starts a D-Bus session bus, as a desktop session has,
// and returns its address; without one the tray library warns.
func startSessionBus(t *testing.T) string {
	t.Helper()
	bin := requireDesktopTool(t, "dbus-daemon", "dbus-daemon")
	return startAnnouncing(t, exec.Command(bin, "--session", "--nofork", "--nopidfile", "--print-address=3"))
}

// notificationServer stands in for the desktop's notification daemon on
// the session bus (org.freedesktop.Notifications) and passes on what it is
// asked to show.
type notificationServer struct{ got chan string }

// Notify is the one method of the spec the helper calls.
func (s *notificationServer) Notify(app string, replaces uint32, icon, summary, body string,
	actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	select {
	case s.got <- summary + ": " + body:
	default: // the test reads the first few; never block the bus
	}
	return 1, nil
}

func serveNotifications(t *testing.T, bus string) <-chan string {
	t.Helper()
	conn, err := dbus.Connect(bus)
	if err != nil {
		t.Fatalf("connect to the session bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	s := &notificationServer{got: make(chan string, 8)}
	if err := conn.Export(s, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("take the notification service's name: %v (reply %v)", err, reply)
	}
	return s.got
}

// startAnnouncing starts a server that writes one line to fd 3 when it is
// ready, returns that line, and stops the server when the test ends.
func startAnnouncing(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.ExtraFiles, cmd.Stderr = []*os.File{w}, &stderr
	// No Pdeathsig: it fires when the starting OS thread exits, which the
	// Go runtime may do mid-test. Cleanup stops the server.
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("%s did not start: %v: %s", cmd.Path, err, stderr.String())
	}
	return strings.TrimSpace(line)
}

func TestRotatorKeepsThreeCappedFiles(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.log")
	r, err := openRotator(path, 100, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		fmt.Fprintf(r, "%02d %s\n", i, strings.Repeat("x", 36)) // 40 bytes
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"x.log": "08 09", "x.log.1": "06 07", "x.log.2": "04 05"}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != len(want) {
		t.Errorf("%d files, want %d", len(entries), len(want))
	}
	for name, lines := range want {
		data, err := os.ReadFile(filepath.Join(filepath.Dir(path), name))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for l := range strings.Lines(string(data)) {
			got = append(got, l[:2])
		}
		if strings.Join(got, " ") != lines {
			t.Errorf("%s holds records %v, want %s", name, got, lines)
		}
	}
	if _, err := fmt.Fprintln(r, "late"); err == nil {
		t.Error("a write after Close succeeded")
	}
}

func TestRotatorAppendsToTheFileItFinds(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.log")
	os.WriteFile(path, []byte("old\n"), 0o600)
	r, err := openRotator(path, 1<<20, 3)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(r, "new")
	r.Close()
	if data, _ := os.ReadFile(path); string(data) != "old\nnew\n" {
		t.Errorf("log = %q, want the old line then the new", data)
	}
}
