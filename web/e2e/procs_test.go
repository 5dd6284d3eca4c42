package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"dlhelper/bridge"
	"dlhelper/internal/testenv"
)

// binaries are built once per test run, without -race: the code under test
// here is the pages, and a race build of the helper only slows the suite.
var binaries struct {
	once             sync.Once
	done             chan struct{}
	dir              string
	dlhelper, portal string
	err              error
}

// startBuild builds dlhelper and portal-demo in the background, both at
// once; buildBinaries waits for them.
func startBuild() {
	binaries.once.Do(func() {
		binaries.done = make(chan struct{})
		go func() {
			defer close(binaries.done)
			binaries.err = build()
		}()
	})
}

func build() error {
	dir, err := os.MkdirTemp("", "dlhelper-e2e-bin-")
	if err != nil {
		return err
	}
	binaries.dir = dir
	binaries.dlhelper = filepath.Join(dir, "dlhelper")
	binaries.portal = filepath.Join(dir, "portal-demo")
	errs := make(chan error, 2)
	for _, b := range []struct{ out, pkg string }{
		{binaries.dlhelper, "dlhelper/cmd/dlhelper"},
		{binaries.portal, "dlhelper/cmd/portal-demo"},
	} {
		go func() {
			out, err := exec.Command("go", "build", "-o", b.out, b.pkg).CombinedOutput()
			if err != nil {
				err = fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
			}
			errs <- err
		}()
	}
	return errors.Join(<-errs, <-errs)
}

func buildBinaries(t *testing.T) (dlhelper, portal string) {
	t.Helper()
	startBuild()
	<-binaries.done
	if binaries.err != nil {
		t.Fatal(binaries.err)
	}
	return binaries.dlhelper, binaries.portal
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopSharedMinIO()
	if binaries.dir != "" {
		os.RemoveAll(binaries.dir)
	}
	os.Exit(code)
}

// proc is a program the test started; it dies with the test.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *testenv.Buffer
	done chan struct{}
}

// startProc runs bin; its output is logged if the test fails, and it is
// killed at the end of the test if still running.
func startProc(t *testing.T, name, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(bin, args...), out: &testenv.Buffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = testenv.DieWithTest()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.out.String())
		}
	})
	return p
}

func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// stop ends the program as a user quitting it would (SIGTERM) and waits.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.kill()
		t.Fatalf("%s did not stop within 15s of SIGTERM", p.name)
	}
}

// waitHTTP polls url until it answers 200, the program exits or the time
// is up. Polling is the only way to learn that another process serves.
func (p *proc) waitHTTP(t *testing.T, url string, within time.Duration) {
	t.Helper()
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(within)
	for {
		resp, err := hc.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before serving %s:\n%s", p.name, url, p.out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not serve %s within %v (last error %v):\n%s", p.name, url, within, err, p.out.String())
		}
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// helperProc runs "dlhelper serve" on a fixed port, so it can be stopped
// and started again where the page expects it.
type helperProc struct {
	bin                string
	port               int
	dir, state, origin string
	*proc
}

func (h *helperProc) start(t *testing.T, extra ...string) {
	t.Helper()
	// An empty config of our own, so the user's config never applies.
	config := filepath.Join(h.state, "e2e-config.json")
	if err := os.WriteFile(config, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"serve", "--addr", "127.0.0.1:" + strconv.Itoa(h.port), "--dir", h.dir, "--state", h.state, "--config", config}
	if h.origin != "" {
		args = append(args, "--allow-origin", h.origin)
	}
	h.proc = startProc(t, "dlhelper", h.bin, append(args, extra...)...)
	h.waitHTTP(t, h.url()+"/v1/hello", 20*time.Second)
}

func (h *helperProc) url() string { return "http://127.0.0.1:" + strconv.Itoa(h.port) }

// statusLink asks the helper, with its token, for a one-time link to its
// status page, as the tray and "dlhelper open" do: the bare address shows
// only how to get one.
func (h *helperProc) statusLink(t *testing.T) string {
	t.Helper()
	token, err := bridge.LoadOrCreateToken(h.state)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, h.url()+"/v1/status-link", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var link struct{ URL string }
	if err := json.NewDecoder(resp.Body).Decode(&link); err != nil || link.URL == "" {
		t.Fatalf("status-link: %s (%v)", resp.Status, err)
	}
	return link.URL
}

// portalLog counts the lines of the portal's log that contain s.
func (p *proc) count(s string) int { return strings.Count(p.out.String(), s) }

var errNoChromium = errors.New("no chromium")

// chromiumPath finds the browser: $CHROMIUM, else Debian's package.
func chromiumPath() (string, error) {
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errNoChromium
}

// ctxFor bounds a step of a test.
func ctxFor(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, d)
}
