package chaos

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"dlhelper/internal/testenv"
)

// The pinned fault proxy. Its API and toxics are what the suite drives, so
// a new version is a deliberate change here.
const (
	ToxiproxyModule  = "github.com/Shopify/toxiproxy/v2/cmd/server"
	ToxiproxyVersion = "v2.12.0"
)

const toxiproxyName = "toxiproxy-server"

// InstallCommand is the command that installs the pinned server, for
// messages that tell a person (or CI) what to run.
const InstallCommand = "go run ./internal/chaos/cmd/install-toxiproxy"

// InstalledToxiproxy returns the cached binary if it is the pinned
// version, without installing anything.
func InstalledToxiproxy() (string, bool) {
	dir := testenv.ToolsDir()
	bin := filepath.Join(dir, toxiproxyName)
	have, err := os.ReadFile(bin + ".version")
	if err != nil || string(bytes.TrimSpace(have)) != ToxiproxyVersion {
		return "", false
	}
	if _, err := os.Stat(bin); err != nil {
		return "", false
	}
	return bin, true
}

// ToxiproxyBinary returns the pinned server, installing it with
// "go install" first when it is missing or of another version. A file lock
// keeps parallel test binaries from building it twice.
func ToxiproxyBinary() (string, error) {
	if bin, ok := InstalledToxiproxy(); ok {
		return bin, nil
	}
	dir := testenv.ToolsDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("install toxiproxy: %w", err)
	}
	unlock, err := lockFile(filepath.Join(dir, toxiproxyName+".lock"))
	if err != nil {
		return "", fmt.Errorf("install toxiproxy: %w", err)
	}
	defer unlock()
	// Whoever got the lock first may have installed it while we waited.
	if bin, ok := InstalledToxiproxy(); ok {
		return bin, nil
	}
	if err := installToxiproxy(dir); err != nil {
		return "", err
	}
	return filepath.Join(dir, toxiproxyName), nil
}

// lockFile takes an exclusive flock; the kernel drops it if the process
// dies, so a killed install never blocks the next one.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// installToxiproxy builds the server into a private folder (its binary is
// called "server", too generic for a shared cache), renames it into place
// and stamps its version last, so a half-finished install never looks
// complete.
func installToxiproxy(dir string) error {
	bin := filepath.Join(dir, toxiproxyName)
	stamp := bin + ".version"
	if err := os.Remove(stamp); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("install toxiproxy: %w", err)
	}
	build, err := os.MkdirTemp(dir, ".toxiproxy-build-")
	if err != nil {
		return fmt.Errorf("install toxiproxy: %w", err)
	}
	defer os.RemoveAll(build)
	cmd := exec.Command("go", "install", ToxiproxyModule+"@"+ToxiproxyVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+build, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("install toxiproxy: GOBIN=%s go install %s@%s: %w\n%s",
			build, ToxiproxyModule, ToxiproxyVersion, err, out)
	}
	if err := os.Rename(filepath.Join(build, "server"), bin); err != nil {
		return fmt.Errorf("install toxiproxy: %w", err)
	}
	tmp := stamp + ".tmp"
	if err := os.WriteFile(tmp, []byte(ToxiproxyVersion+"\n"), 0o644); err != nil {
		return fmt.Errorf("install toxiproxy: stamp: %w", err)
	}
	if err := os.Rename(tmp, stamp); err != nil {
		return fmt.Errorf("install toxiproxy: stamp: %w", err)
	}
	return nil
}
