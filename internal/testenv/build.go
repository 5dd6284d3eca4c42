package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
func DlhelperBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dlhelper-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtPath = filepath.Join(dir, "dlhelper")
		out, err := exec.Command("go", "build", "-o", builtPath, "dlhelper/cmd/dlhelper").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build dlhelper/cmd/dlhelper: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build dlhelper: %v", buildErr)
	}
	return builtPath
}
