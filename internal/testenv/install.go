package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
)

// The pinned server. Tests depend on its exact behaviour (error bodies,
// ETags, range answers), so a new version is a deliberate change here.
const (
	MinIOModule  = "github.com/minio/minio"
	MinIOVersion = "v0.0.0-20260212201848-7aac2a2c5b7c"
)

// MinIOTool is the pinned MinIO server as a Tool.
var MinIOTool = Tool{Name: "minio", Package: MinIOModule, Version: MinIOVersion}

// ToolsDir is the cache folder for pinned tools: $DLHELPER_TOOLS, else
// ~/.cache/dlhelper/bin. It outlives test runs so tools are built once.
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

// InstalledMinIO returns the cached MinIO if it is the pinned version,
// without installing anything.
func InstalledMinIO() (string, bool) { return MinIOTool.Installed() }

// MinIOBinary returns the pinned MinIO, installing it first if needed.
func MinIOBinary() (string, error) { return MinIOTool.Binary() }

// Tool is a pinned program built with "go install" into ToolsDir, with a
// NAME.version stamp beside it.
type Tool struct {
	Name    string // the binary's name in ToolsDir
	Package string // what "go install" builds; its last element names the built binary
	Version string
}

// Installed returns the cached binary if it is the pinned version, without
// installing anything.
func (tl Tool) Installed() (string, bool) {
	bin := filepath.Join(ToolsDir(), tl.Name)
	have, err := os.ReadFile(bin + ".version")
	if err != nil || string(bytes.TrimSpace(have)) != tl.Version {
		return "", false
	}
	if _, err := os.Stat(bin); err != nil {
		return "", false
	}
	return bin, true
}

// Binary returns the pinned binary, installing it with "go install" first
// when it is missing or of another version.
func (tl Tool) Binary() (string, error) {
	if bin, ok := tl.Installed(); ok {
		return bin, nil
	}
	dir := ToolsDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("install %s: %w", tl.Name, err)
	}
	unlock, err := lockFile(filepath.Join(dir, tl.Name+".lock"))
	if err != nil {
		return "", fmt.Errorf("install %s: %w", tl.Name, err)
	}
	defer unlock()
	// Test binaries of several packages start at once; whoever got the lock
	// first may have installed it while we waited.
	if bin, ok := tl.Installed(); ok {
		return bin, nil
	}
	if err := tl.install(dir); err != nil {
		return "", fmt.Errorf("install %s: %w", tl.Name, err)
	}
	return filepath.Join(dir, tl.Name), nil
}

// install builds the tool in a private folder (a built name like "server"
// is too generic for a shared cache), renames it into place, and stamps
// its version last, so a half-finished install never looks complete.
func (tl Tool) install(dir string) error {
	stamp := filepath.Join(dir, tl.Name+".version")
	if err := os.Remove(stamp); err != nil && !os.IsNotExist(err) {
		return err
	}
	build, err := os.MkdirTemp(dir, "."+tl.Name+"-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(build)
	cmd := exec.Command("go", "install", tl.Package+"@"+tl.Version)
	cmd.Env = append(os.Environ(), "GOBIN="+build, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("GOBIN=%s go install %s@%s: %w\n%s", build, tl.Package, tl.Version, err, tail(out, 4<<10))
	}
	if err := os.Rename(filepath.Join(build, path.Base(tl.Package)), filepath.Join(dir, tl.Name)); err != nil {
		return err
	}
	if err := writeFileAtomic(stamp, []byte(tl.Version+"\n")); err != nil {
		return fmt.Errorf("stamp: %w", err)
	}
	return nil
}

// writeFileAtomic renames into place so readers without the lock never see
// a partial stamp.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
