package testenv

import (
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	builtPath string
	buildErr  error
)

// DlhelperBinary builds the real dlhelper program once per test binary,
// for tests that run, kill and restart it as a user would.
//
// Every test binary of one checkout builds to the same path, so a run
// leaves one program behind in the temp folder, not one per package and
// run. Packages build at the same time: each builds beside the path and
// renames over it, and a program already running keeps the file it started.
func DlhelperBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() { builtPath, buildErr = buildDlhelper() })
	if buildErr != nil {
		t.Fatalf("build dlhelper: %v", buildErr)
	}
	return builtPath
}

func buildDlhelper() (string, error) {
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("go list -m: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte(strings.TrimSpace(string(root))))
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("dlhelper-test-bin-%x", h.Sum64()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	out, err := exec.Command("go", "build", "-o", tmp.Name(), "dlhelper/cmd/dlhelper").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build dlhelper/cmd/dlhelper: %w\n%s", err, out)
	}
	path := filepath.Join(dir, "dlhelper")
	return path, os.Rename(tmp.Name(), path)
}
