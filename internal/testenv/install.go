package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// The pinned server. Tests depend on its exact behaviour (error bodies,
// ETags, range answers), so a new version is a deliberate change here.
const (
	MinIOModule  = "github.com/minio/minio"
	MinIOVersion = "v0.0.0-20260212201848-7aac2a2c5b7c"
)

// ToolsDir is the cache folder for pinned tools: $DLHELPER_TOOLS, else
// ~/.cache/dlhelper/bin. It outlives test runs so MinIO is built once.
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

// InstalledMinIO returns the cached binary if it is the pinned version,
// without installing anything.
func InstalledMinIO() (string, bool) {
	dir := ToolsDir()
	bin := filepath.Join(dir, "minio")
	have, err := os.ReadFile(filepath.Join(dir, "minio.version"))
	if err != nil || string(bytes.TrimSpace(have)) != MinIOVersion {
		return "", false
	}
	if _, err := os.Stat(bin); err != nil {
		return "", false
	}
	return bin, true
}

// MinIOBinary returns the pinned minio binary, installing it with
// "go install" first when it is missing or of another version.
func MinIOBinary() (string, error) {
	if bin, ok := InstalledMinIO(); ok {
		return bin, nil
	}
	dir := ToolsDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("install minio: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return "", fmt.Errorf("install minio: %w", err)
	}
	defer unlock()
	// Test binaries of several packages start at once; whoever got the lock
	// first may have installed it while we waited.
	if bin, ok := InstalledMinIO(); ok {
		return bin, nil
	}
	if err := installMinIO(dir); err != nil {
		return "", err
	}
	return filepath.Join(dir, "minio"), nil
}

// lockDir takes an exclusive flock on dir/minio.lock. The kernel drops it
// if the process dies, so a killed install never blocks the next one.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, "minio.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return func() { f.Close() }, nil // closing the file releases the lock
}

// installMinIO builds the pinned server into dir and stamps its version.
func installMinIO(dir string) error {
	stamp := filepath.Join(dir, "minio.version")
	// Drop the stamp first so a half-finished install never looks complete.
	if err := os.Remove(stamp); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("install minio: %w", err)
	}
	cmd := exec.Command("go", "install", MinIOModule+"@"+MinIOVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("install minio: GOBIN=%s go install %s@%s: %w\n%s",
			dir, MinIOModule, MinIOVersion, err, tail(out, 4<<10))
	}
	if err := writeFileAtomic(stamp, []byte(MinIOVersion+"\n")); err != nil {
		return fmt.Errorf("install minio: stamp: %w", err)
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
