package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// The pinned server, and the keys the harness starts it with.
const (
	MinIOModule  = "github.com/minio/minio"
	MinIOVersion = "v0.0.0-20260212201848-7aac2a2c5b7c"
	AccessKey    = "dlhelper"
	SecretKey    = "dlhelper-secret"
)

// ToolsDir is where pinned tools are installed.
func ToolsDir() string {
	if d := os.Getenv("DLHELPER_TOOLS"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".cache", "dlhelper", "bin")
}

// MinIOBinary returns the pinned minio binary, installing it first when it
// is missing or of another version. A file lock keeps test binaries of
// several packages from installing at once.
func MinIOBinary() (string, error) {
	dir := ToolsDir()
	bin := filepath.Join(dir, "minio")
	stamp := filepath.Join(dir, "minio.version")
	if have, err := os.ReadFile(stamp); err == nil && string(have) == MinIOVersion && fileExists(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("install minio: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "minio.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("install minio: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("install minio: lock: %w", err)
	}
	if have, err := os.ReadFile(stamp); err == nil && string(have) == MinIOVersion && fileExists(bin) {
		return bin, nil // another process installed it while we waited
	}
	cmd := exec.Command("go", "install", MinIOModule+"@"+MinIOVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s@%s failed (%v); run it by hand with GOBIN=%s to see why:\n%s", MinIOModule, MinIOVersion, err, dir, out)
	}
	if err := os.WriteFile(stamp, []byte(MinIOVersion), 0o644); err != nil {
		return "", fmt.Errorf("install minio: %w", err)
	}
	return bin, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// MinIO is a running server.
type MinIO struct {
	// Endpoint is host:port on 127.0.0.1.
	Endpoint string
	bin, dir string
	console  string
	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	log      *bytes.Buffer
	client   *minio.Client
}

// Start runs the pinned MinIO with its data in dir on a free loopback port.
func Start(ctx context.Context, dir string) (*MinIO, error) {
	bin, err := MinIOBinary()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for range 3 { // a free port may be taken between probe and bind
		m := &MinIO{bin: bin, dir: dir, Endpoint: freePort(), console: freePort()}
		if lastErr = m.start(ctx); lastErr == nil {
			return m, nil
		}
	}
	return nil, lastErr
}

func (m *MinIO) start(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.log = &bytes.Buffer{}
	m.cmd = exec.Command(m.bin, "server", m.dir, "--address", m.Endpoint, "--console-address", m.console, "--quiet")
	m.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+AccessKey, "MINIO_ROOT_PASSWORD="+SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=on")
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	if err := m.cmd.Start(); err != nil {
		return fmt.Errorf("start minio: %w", err)
	}
	m.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(m.cmd, m.exited)
	if err := m.waitLive(ctx); err != nil {
		m.cmd.Process.Kill()
		<-m.exited
		return fmt.Errorf("start minio on %s: %w\n%s", m.Endpoint, err, m.log.String())
	}
	return nil
}

// waitLive polls the health endpoint until the server answers.
func (m *MinIO) waitLive(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.URL()+"/minio/health/live", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-m.exited:
			return errors.New("the server exited")
		case <-ctx.Done():
			return errors.New("the server did not answer in 60s")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// URL is the server's base URL.
func (m *MinIO) URL() string { return "http://" + m.Endpoint }

// Stop ends the server and waits for it.
func (m *MinIO) Stop() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return nil
	}
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
		m.cmd.Process.Kill()
		<-m.exited
	}
	m.cmd = nil
	return nil
}

// Kill ends the server with SIGKILL, as a crash.
func (m *MinIO) Kill() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		m.cmd.Process.Kill()
		<-m.exited
		m.cmd = nil
	}
}

// Restart starts a stopped or killed server again on the same port and data.
func (m *MinIO) Restart(ctx context.Context) error {
	m.Kill()
	return m.start(ctx)
}

// Client is a minio-go client for the server.
func (m *MinIO) Client() *minio.Client {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.client == nil {
		c, err := minio.New(m.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(AccessKey, SecretKey, ""), Secure: false})
		if err != nil {
			panic(fmt.Sprintf("minio client: %v", err)) // only a malformed endpoint fails
		}
		m.client = c
	}
	return m.client
}

func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("no free loopback port: %v", err))
	}
	defer l.Close()
	return l.Addr().String()
}

// inCI reports a CI run, where missing tools fail instead of skipping.
func inCI() bool { return strings.EqualFold(os.Getenv("CI"), "true") }
