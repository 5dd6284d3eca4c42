package testenv

import (
	"errors"
	"fmt"
	"os/exec"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// The pinned versitygw, an S3 gateway that is not MinIO: the matrix
// checks that nothing in the engine leans on MinIO's own ways.
const (
	VersityGWPackage = "github.com/versity/versitygw/cmd/versitygw"
	VersityGWVersion = "v1.8.0"
)

// VersityGWTool is the pinned versitygw as a Tool, built once into
// ToolsDir like MinIO.
var VersityGWTool = Tool{Name: "versitygw", Package: VersityGWPackage, Version: VersityGWVersion}

// VersityGWInstallCommand installs it; CI's setup step runs it.
const VersityGWInstallCommand = "go run ./internal/testenv/cmd/install-versitygw"

// VersityGW is versitygw's posix backend on loopback: buckets are
// folders, objects are files, metadata (the ETag) lives in xattrs.
type VersityGW struct {
	// Endpoint is host:port on 127.0.0.1.
	Endpoint string

	client *minio.Client
	output *tailBuffer
}

// URL is "http://127.0.0.1:port".
func (g *VersityGW) URL() string { return "http://" + g.Endpoint }

// Client is a minio-go client with the root keys; it signs presigned
// URLs for versitygw as it does for MinIO.
func (g *VersityGW) Client() *minio.Client { return g.client }

// StartVersityGW runs the pinned versitygw with its data in t.TempDir()
// on a free loopback port until the test ends. Like MinIO, it is never
// skipped: missing in CI it fails with the command to run.
func StartVersityGW(t testing.TB) *VersityGW {
	t.Helper()
	bin := toolForTest(t, VersityGWTool, VersityGWInstallCommand)
	var err error
	for range startTries {
		var g *VersityGW
		if g, err = startVersityGW(t, bin); err == nil {
			return g
		}
		if !errors.Is(err, errExited) {
			break
		}
	}
	t.Fatalf("versitygw for the test did not start: %v", err)
	return nil
}

func startVersityGW(t testing.TB, bin string) (*VersityGW, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	client, err := minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(AccessKey, SecretKey, "")})
	if err != nil {
		return nil, fmt.Errorf("start versitygw: client: %w", err)
	}
	g := &VersityGW{Endpoint: addr, client: client, output: &tailBuffer{}}
	cmd := exec.Command(bin, "--access", AccessKey, "--secret", SecretKey,
		"--port", addr, "--quiet", "posix", t.TempDir())
	cmd.Stdout, cmd.Stderr = g.output, g.output
	cmd.SysProcAttr = DieWithTest()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start versitygw: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop := func() { cmd.Process.Kill(); <-done }
	if err := waitHTTP(g.URL()+"/", cmd.Process.Pid, done); err != nil {
		stop()
		return nil, fmt.Errorf("versitygw on %s: %w; it said:\n%s", addr, err, g.output.String())
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("versitygw output:\n%s", g.output.String())
		}
	})
	return g, nil
}

// toolForTest finds a pinned tool. In CI the setup step must have
// installed it; elsewhere the first test installs it.
func toolForTest(t testing.TB, tl Tool, installCommand string) string {
	t.Helper()
	if bin, ok := tl.Installed(); ok {
		return bin
	}
	if inCI() {
		t.Fatalf("%s %s is not installed in %s; CI must run `make setup` (%s) before the tests", tl.Name, tl.Version, ToolsDir(), installCommand)
	}
	t.Logf("installing %s %s into %s (once)", tl.Name, tl.Version, ToolsDir())
	bin, err := tl.Binary()
	if err != nil {
		t.Fatalf("%s for the test could not be installed: %v", tl.Name, err)
	}
	return bin
}
