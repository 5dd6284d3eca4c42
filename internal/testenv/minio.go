package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// The root keys every harness server runs with. They are fixed so a failing
// test can be reproduced by hand with any S3 client.
const (
	AccessKey = "dlhelper"
	SecretKey = "dlhelper-secret"
)

const (
	startTimeout = 60 * time.Second
	stopTimeout  = 10 * time.Second
	pollEvery    = 50 * time.Millisecond
	startTries   = 3
)

// MinIO is a MinIO server on loopback, run from a data folder.
type MinIO struct {
	// Endpoint is host:port on 127.0.0.1.
	Endpoint string

	bin, dir, console string
	env               []string // extra environment, e.g. a KMS key
	client            *minio.Client
	output            *tailBuffer
	certs             *Certificate // HTTPS with this certificate; nil is plain HTTP (tls.go)

	mu   sync.Mutex
	proc *process // nil while stopped or killed
}

// process is one run of the server binary.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once Wait has returned
}

// StartError is a server that did not come up. Output holds what the
// server printed, which usually names the reason.
type StartError struct {
	Endpoint string
	Err      error
	Output   string
}

func (e *StartError) Error() string {
	return fmt.Sprintf("start minio on %s: %v", e.Endpoint, e.Err)
}

func (e *StartError) Unwrap() error { return e.Err }

// errExited is a server that quit before answering; usually its port was
// taken between our probe and its bind, so Start tries other ports.
var errExited = errors.New("the server exited before it answered")

// Start runs the pinned MinIO (installing it if needed) with its data in
// dir on free loopback ports. ctx bounds the start only; the server runs
// until Stop or Kill.
func Start(ctx context.Context, dir string) (*MinIO, error) {
	bin, err := MinIOBinary()
	if err != nil {
		return nil, err
	}
	return StartBinary(ctx, bin, dir)
}

// StartBinary is Start with a given minio binary.
func StartBinary(ctx context.Context, bin, dir string) (*MinIO, error) {
	return StartBinaryEnv(ctx, bin, dir, nil)
}

// StartBinaryEnv is StartBinary with extra environment ("NAME=value") for
// the server, such as MINIO_KMS_SECRET_KEY or MINIO_COMPRESSION_ENABLE;
// it is kept across Restart.
func StartBinaryEnv(ctx context.Context, bin, dir string, env []string) (*MinIO, error) {
	var err error
	for range startTries {
		var m *MinIO
		if m, err = newMinIO(bin, dir); err != nil {
			return nil, err
		}
		m.env = env
		if err = m.start(ctx); err == nil {
			return m, nil
		}
		if !errors.Is(err, errExited) {
			return nil, err
		}
	}
	return nil, err
}

func newMinIO(bin, dir string) (*MinIO, error) {
	api, console, err := freePorts()
	if err != nil {
		return nil, fmt.Errorf("start minio: %w", err)
	}
	client, err := minio.New(api, &minio.Options{
		Creds:  credentials.NewStaticV4(AccessKey, SecretKey, ""),
		Secure: false,
	})
	if err != nil {
		return nil, fmt.Errorf("start minio: client: %w", err)
	}
	return &MinIO{Endpoint: api, bin: bin, dir: dir, console: console, client: client, output: &tailBuffer{}}, nil
}

// freePorts asks the kernel for two distinct free loopback ports. Both
// listeners stay open until both are chosen so they cannot be the same.
func freePorts() (api, console string, err error) {
	a, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", fmt.Errorf("free port: %w", err)
	}
	defer a.Close()
	c, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", fmt.Errorf("free port: %w", err)
	}
	defer c.Close()
	return a.Addr().String(), c.Addr().String(), nil
}

// start runs the binary and waits until it serves; on failure the process
// is gone when it returns.
func (m *MinIO) start(ctx context.Context) error {
	p, err := m.spawn()
	if err != nil {
		return &StartError{Endpoint: m.Endpoint, Err: err, Output: m.output.String()}
	}
	if err := m.waitLive(ctx, p); err != nil {
		m.take(p)
		p.kill()
		return &StartError{Endpoint: m.Endpoint, Err: err, Output: m.output.String()}
	}
	return nil
}

func (m *MinIO) spawn() (*process, error) {
	cmd := exec.Command(m.bin, "server", m.dir,
		"--address", m.Endpoint, "--console-address", m.console, "--quiet")
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+AccessKey, "MINIO_ROOT_PASSWORD="+SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off",
		// CI/CD mode lets MinIO run from a folder on the root disk.
		"MINIO_CI_CD=on")
	if m.certs != nil {
		cmd.Args = append(cmd.Args, "--certs-dir", m.certs.Dir)
	}
	cmd.Env = append(cmd.Env, m.env...)
	cmd.Stdout, cmd.Stderr = m.output, m.output
	cmd.SysProcAttr = DieWithTest()
	m.output.Reset()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	m.mu.Lock()
	m.proc = p
	m.mu.Unlock()
	return p, nil
}

// waitLive polls the liveness endpoint until our process answers it.
func (m *MinIO) waitLive(ctx context.Context, p *process) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	hc := &http.Client{Timeout: time.Second, Transport: m.healthTransport()}
	for {
		if m.ownsPort(p) && m.live(ctx, hc) {
			return nil
		}
		select {
		case <-p.done:
			return errExited
		case <-ctx.Done():
			return fmt.Errorf("no answer from /minio/health/live: %w", context.Cause(ctx))
		case <-time.After(pollEvery):
		}
	}
}

// ownsPort guards against a neighbour (another test's MinIO) that took our
// port: its health answer must not pass for ours.
func (m *MinIO) ownsPort(p *process) bool {
	_, port, _ := net.SplitHostPort(m.Endpoint)
	n, _ := strconv.Atoi(port)
	return listensOn(p.cmd.Process.Pid, n)
}

// live reports a 200 from a server whose object layer is up; before that
// MinIO answers 200 too but marks itself offline.
func (m *MinIO) live(ctx context.Context, hc *http.Client) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL()+"/minio/health/live", nil)
	if err != nil {
		return false
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK && resp.Header.Get("X-Minio-Server-Status") == ""
}

// PID is the running server's process ID, 0 while it is stopped.
func (m *MinIO) PID() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.proc == nil {
		return 0
	}
	return m.proc.cmd.Process.Pid
}

// URL is the server's base URL, "http://127.0.0.1:port" (https with a
// certificate).
func (m *MinIO) URL() string { return m.scheme() + "://" + m.Endpoint }

// Dir is the server's data folder, for tests that look at how an object
// is stored (compressed, inlined).
func (m *MinIO) Dir() string { return m.dir }

// Client is a minio-go client for the server with the root keys.
func (m *MinIO) Client() *minio.Client { return m.client }

// Output is the tail of what the server printed since its last start.
func (m *MinIO) Output() string { return m.output.String() }

// take detaches the running process, if it is still p (or any, for nil).
func (m *MinIO) take(p *process) *process {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.proc
	if cur == nil || (p != nil && cur != p) {
		return nil
	}
	m.proc = nil
	return cur
}

// Stop ends the server gracefully (SIGTERM), killing it if it lingers,
// and waits for it. Stopping a stopped server does nothing.
func (m *MinIO) Stop() error {
	p := m.take(nil)
	if p == nil {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.kill()
		return fmt.Errorf("stop minio: %w", err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
		p.kill()
		return fmt.Errorf("stop minio: still running %v after SIGTERM; killed", stopTimeout)
	}
}

// Kill ends the server with SIGKILL, as a crash would, and waits for it.
func (m *MinIO) Kill() {
	if p := m.take(nil); p != nil {
		p.kill()
	}
}

// Restart kills the server if it runs and starts it again on the same
// ports with the same data, as after a crash.
func (m *MinIO) Restart(ctx context.Context) error {
	m.Kill()
	return m.start(ctx)
}

func (p *process) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// tailBuffer keeps the last tailLimit bytes the server printed. The exec
// package writes to it from its own goroutines, hence the lock.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailLimit = 64 << 10

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > tailLimit {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-tailLimit:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

func (b *tailBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = b.buf[:0]
}
