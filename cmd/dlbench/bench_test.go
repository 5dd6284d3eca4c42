package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"dlhelper/internal/testenv"
)

// TestSmoke runs the whole benchmark in-process at a tiny scale, one round
// and no warm-up, and checks that every workload × contender has a run
// whose files verified. It times nothing: CI machines are too noisy for
// that, and the numbers are the benchmark's job, not the test's.
//
// DLBENCH_DLHELPER, when set, names a prebuilt dlhelper to measure instead
// of building ./cmd/dlhelper.
func TestSmoke(t *testing.T) {
	requireTools(t)
	out := t.TempDir()
	args := []string{"--scale", "0.005", "--rounds", "1", "--warmup", "0", "--out", out, "--work", t.TempDir()}
	args = append(args, dlhelperFlag(t)...)
	if code := run(t.Context(), args, io.Discard, t.Output()); code != 0 {
		t.Fatalf("dlbench %s exited %d, want 0 (its log is above)", strings.Join(args, " "), code)
	}

	var rep report
	b, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	for _, w := range workloadNames() {
		for _, c := range contenderNames {
			res, ok := findResult(rep, w, c)
			switch {
			case !ok:
				t.Errorf("results.json has no result for %s × %s", w, c)
			case !res.SHA256OK || res.ValidRuns != 1:
				t.Errorf("%s × %s: sha256_ok %v, valid_runs %d, want true and 1; runs %+v", w, c, res.SHA256OK, res.ValidRuns, res.Runs)
			case res.PeakRSSMiB <= 0 || res.MedianCPUS <= 0:
				t.Errorf("%s × %s: peak RSS %.1f MiB, CPU %.3f s; want both measured", w, c, res.PeakRSSMiB, res.MedianCPUS)
			}
		}
	}
	for _, name := range []string{"results.md", "chart.svg"} {
		if b, err := os.ReadFile(filepath.Join(out, name)); err != nil || len(b) == 0 {
			t.Errorf("%s missing or empty (%v)", name, err)
		}
	}
}

// dlhelperFlag is the --dlhelper flag of a smoke test: DLBENCH_DLHELPER
// when set, else one build of ./cmd/dlhelper that the package's smoke
// tests share, which saves a link of the binary per test.
func dlhelperFlag(t *testing.T) []string {
	t.Helper()
	if bin := os.Getenv("DLBENCH_DLHELPER"); bin != "" {
		return []string{"--dlhelper", bin}
	}
	bin, err := sharedDlhelper()
	if err != nil {
		t.Fatal(err)
	}
	return []string{"--dlhelper", bin}
}

var sharedDlhelper = sync.OnceValues(func() (string, error) {
	return buildDlhelper(context.Background(), filepath.Join(testDir, "bin"), io.Discard)
})

// testDir holds what the package's tests share; TestMain removes it.
var testDir string

func TestMain(m *testing.M) {
	var err error
	if testDir, err = os.MkdirTemp("", "dlbench-test-"); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(testDir)
	os.Exit(code)
}

func findResult(rep report, workload, contender string) (result, bool) {
	for _, r := range rep.Results {
		if r.Workload == workload && r.Contender == contender {
			return r, true
		}
	}
	return result{}, false
}

// requireTools fails in CI, where `make setup` must have installed aria2c,
// curl and MinIO, and skips elsewhere with the sentence that fixes it.
func requireTools(t *testing.T) {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	for _, tool := range []string{"aria2c", "curl"} {
		if _, err := exec.LookPath(tool); err == nil {
			continue
		}
		msg := tool + " is not installed; the benchmark compares against it: " + installHint
		if ci {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if _, ok := testenv.InstalledMinIO(); ci && !ok {
		t.Fatalf("MinIO %s is not installed in %s; CI must run `make setup` before the tests", testenv.MinIOVersion, testenv.ToolsDir())
	}
}
