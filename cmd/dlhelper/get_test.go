package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"dlhelper/downloader"
	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

// TestGetSurvivesKill9 kills "dlhelper get" with SIGKILL at random points
// of the download, five times, then lets it finish: the file must be
// byte-identical, and the bytes the server sent in all must stay within the
// file size plus what was in flight at each kill.
func TestGetSurvivesKill9(t *testing.T) {
	t.Parallel()
	const size = 32 << 20
	data := make([]byte, size)
	rand.NewChaCha8([32]byte{9}).Read(data)
	const rate = 2 << 20
	srv := faultserver.New(t, data, faultserver.RateLimit(rate))
	bin := testenv.DlhelperBinary(t)
	dir, state := t.TempDir(), t.TempDir()
	args := []string{"get", "--dir", dir, "--state", state, "--connections", "4", "--checkpoint", "50ms", "--quiet", srv.URL()}

	const kills = 5
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for i := range kills {
		// Kill once this run has moved a random 3-5 MiB, by the server's
		// count, so the points fall anywhere in the file.
		killAfter(t, bin, args, srv, int64(3<<20+rng.IntN(2<<20)))
		if _, err := os.Stat(filepath.Join(dir, "object.bin")); err == nil {
			t.Fatalf("after kill %d the file has its final name before it is complete", i)
		}
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("final run: %v: %s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "object.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the file differs from the object (%v)", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the folder holds %d entries, want only the file", len(entries))
	}
	// In flight at a kill: what arrived since the last 50 ms checkpoint
	// (4 connections at 2 MiB/s each) plus their copy buffers. A generous
	// 2 MiB per kill still catches a restart from zero, which would cost at
	// least the 3 MiB each run moved.
	limit := int64(size + kills*(2<<20))
	if sent := srv.BytesSent(); sent > limit {
		t.Errorf("server sent %d bytes for a %d-byte file over %d kills, want at most %d", sent, size, kills, limit)
	} else {
		t.Logf("server sent %d bytes for %d (%.1f%% overhead over %d kills)", sent, size, 100*float64(sent-size)/size, kills)
	}
}

// killAfter runs bin with args and kills it with SIGKILL once srv has
// sent it more bytes; a run that exits by itself first fails the test.
func killAfter(t *testing.T, bin string, args []string, srv *faultserver.Server, more int64) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	for target := srv.BytesSent() + more; srv.BytesSent() < target; {
		select {
		case <-exited:
			t.Fatalf("dlhelper %s exited before it was killed: %s", args[0], stderr.String())
		case <-time.After(2 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill: %v", err)
	}
	<-exited
}

func TestGetFailsWithAOneLineReason(t *testing.T) {
	t.Parallel()
	srv := faultserver.New(t, []byte("x"), faultserver.StatusStatic(404))
	var stdout, stderr bytes.Buffer
	code := run([]string{"get", "--dir", t.TempDir(), "--state", t.TempDir(), srv.URL()}, &stdout, &stderr)
	if code == 0 {
		t.Fatal("get of a missing object exited 0")
	}
	msg := strings.TrimSpace(stderr.String())
	if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, "no longer has this file") {
		t.Errorf("stderr %q, want one line saying the file is gone", msg)
	}
}

func TestGetRefusesANonHTTPURL(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"get", "--state", t.TempDir(), "file:///etc/passwd"}, &stdout, &stderr); code == 0 {
		t.Fatal("get file:// exited 0")
	}
	if !strings.Contains(stderr.String(), "not an http or https URL") {
		t.Errorf("stderr %q", stderr.String())
	}
}

// writeJob writes a job file in the JSON of POST /v1/jobs.
func writeJob(t *testing.T, job map[string]any) string {
	t.Helper()
	data, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "job.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A job file brings the portal's names, folder and SHA-256s: a file that
// matches lands under its name, one that does not is refused with a
// one-line reason and never gets its final name.
func TestGetVerifiesTheChecksumsOfAJobFile(t *testing.T) {
	t.Parallel()
	data := []byte(strings.Repeat("chip data ", 50_000))
	srv := faultserver.New(t, data)
	sum := sha256.Sum256(data)
	dir, state := t.TempDir(), t.TempDir()
	for _, tc := range []struct {
		name, sha256 string
		ok           bool
	}{
		{"good.zip", hex.EncodeToString(sum[:]), true},
		{"bad.zip", strings.Repeat("ab", 32), false},
	} {
		job := writeJob(t, map[string]any{"name": "Order 7", "folder": "order-7", "files": []map[string]any{
			{"url": srv.URL(), "name": tc.name, "size": len(data), "sha256": tc.sha256},
		}})
		var stdout, stderr bytes.Buffer
		code := run([]string{"get", "--quiet", "--dir", dir, "--state", state, "--job", job}, &stdout, &stderr)
		path := filepath.Join(dir, "order-7", tc.name)
		got, readErr := os.ReadFile(path)
		if tc.ok {
			if code != 0 || !bytes.Equal(got, data) {
				t.Errorf("%s: exit %d, file read %v, equal %v; stderr %q", tc.name, code, readErr, bytes.Equal(got, data), stderr.String())
			}
			continue
		}
		msg := strings.TrimSpace(stderr.String())
		if code != 1 || strings.Count(msg, "\n") != 0 || !strings.Contains(msg, "SHA-256") {
			t.Errorf("%s: exit %d, stderr %q; want 1 and one line naming the SHA-256 check", tc.name, code, msg)
		}
		if readErr == nil {
			t.Errorf("%s: a file that failed its checksum got its final name", tc.name)
		}
	}
}

func TestGetRefusesABadJobFileSayingWhy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args func(job string) []string
		job  string
		want string
		code int
	}{
		{"not JSON", nil, `{"name": "x",`, "is not a job dlhelper can take (see the JSON of POST /v1/jobs in bridge/API.md): the job ends in the middle of a JSON value", 1},
		{"name leaves the folder", nil, `{"name":"x","files":[{"url":"http://127.0.0.1:1/a","name":"../a"}]}`, `files[0] ("../a"): name`, 1},
		{"unknown field", nil, `{"name":"x","files":[{"URL":"http://127.0.0.1:1/a","name":"a"}]}`, "unknown field", 1},
		{"bad checksum", nil, `{"name":"x","files":[{"url":"http://127.0.0.1:1/a","name":"a","sha256":"xyz"}]}`, "sha256: must be 64 hex digits", 1},
		{"missing file", func(string) []string { return []string{"--job", "/nonexistent/job.json"} }, "", "cannot read the job file", 1},
		{"URLs as well", func(job string) []string { return []string{"--job", job, "http://127.0.0.1:1/a"} }, `{}`, "either URLs or --job, not both", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "job.json")
			if err := os.WriteFile(path, []byte(tc.job), 0o600); err != nil {
				t.Fatal(err)
			}
			args := []string{"--job", path}
			if tc.args != nil {
				args = tc.args(path)
			}
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"get", "--dir", t.TempDir(), "--state", t.TempDir()}, args...), &stdout, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tc.code, tc.want)
			}
		})
	}
}

// The job file's connections apply unless --connections is given; "-"
// reads the job from standard input.
func TestGetReadsAJobFromStandardInput(t *testing.T) {
	t.Parallel()
	job := `{"name":"x","connections":3,"files":[{"url":"http://127.0.0.1:1/a","name":"a"}]}`
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--job", "-"}, 3},
		{[]string{"--connections", "5", "--job", "-"}, 5},
	} {
		o, err := parseGet(tc.args, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		spec, err := getSpec(o, strings.NewReader(job))
		if err != nil {
			t.Fatal(err)
		}
		if spec.Connections != tc.want || len(spec.Files) != 1 || spec.Files[0].Name != "a" {
			t.Errorf("%v: connections %d, files %+v; want %d connections and file a", tc.args, spec.Connections, spec.Files, tc.want)
		}
	}
}

// A second run continues an unfinished job only in the same folder: the
// same file names in another --dir are another download.
func TestGetResumesOnlyAJobOfTheSameFolder(t *testing.T) {
	t.Parallel()
	gone := faultserver.New(t, []byte("x"), faultserver.StatusStatic(404))
	data := []byte("the object")
	good := faultserver.New(t, data)
	state, first, second := t.TempDir(), t.TempDir(), t.TempDir()
	var out bytes.Buffer
	if code := run([]string{"get", "--quiet", "--dir", first, "--state", state, gone.URL()}, &out, &out); code != 1 {
		t.Fatalf("first run exited %d: %s", code, out.String())
	}
	if code := run([]string{"get", "--quiet", "--dir", second, "--state", state, good.URL()}, &out, &out); code != 0 {
		t.Fatalf("second run exited %d: %s", code, out.String())
	}
	got, err := os.ReadFile(filepath.Join(second, "object.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("the second run's file is not in its own --dir (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(first, "object.bin")); err == nil {
		t.Error("the second run wrote its file into the first run's folder")
	}
}

// TestGetOfManySmallFilesSurvivesKill9 kills "dlhelper get" of an order of
// small files at random points, three times, then lets it finish. Small
// files do not wait for their completed record's commit, so a kill can
// come between a file's rename and its record: the file is fetched again
// and must replace its own copy, not add "NAME (1)". After every kill each
// file with its final name must be whole; at the end the folder must hold
// exactly the order.
func TestGetOfManySmallFilesSurvivesKill9(t *testing.T) {
	t.Parallel()
	const files, size = 200, 32 << 10
	data := make([]byte, size)
	rand.NewChaCha8([32]byte{11}).Read(data)
	sum := sha256.Sum256(data)
	srv := faultserver.New(t, data, faultserver.RateLimit(256<<10))
	var specs []map[string]any
	for i := range files {
		specs = append(specs, map[string]any{"url": srv.URL(), "name": fmt.Sprintf("chip-%03d.zip", i), "sha256": hex.EncodeToString(sum[:])})
	}
	job := writeJob(t, map[string]any{"name": "order", "files": specs})
	bin := testenv.DlhelperBinary(t)
	dir, state := t.TempDir(), t.TempDir()
	// The default checkpoint interval: a file of 32 KiB at 256 KiB/s
	// never checkpoints, so every completed record trails its rename.
	args := []string{"get", "--dir", dir, "--state", state, "--quiet", "--job", job}

	checkFinalFiles := func(when string) int {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		whole := 0
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".part") {
				continue
			}
			got, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s: %s has its final name but not the object's bytes (%v)", when, e.Name(), err)
			}
			whole++
		}
		return whole
	}
	const kills = 3
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	for i := range kills {
		killAfter(t, bin, args, srv, int64(512<<10+rng.IntN(1<<20)))
		t.Logf("after kill %d: %d files whole", i, checkFinalFiles(fmt.Sprintf("after kill %d", i)))
	}
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("final run: %v: %s", err, out)
	}
	if n := checkFinalFiles("at the end"); n != files {
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("the folder holds %d whole files, want exactly the %d of the order: %q", n, files, names)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != files {
		t.Errorf("the folder holds %d entries, want only the %d files", len(entries), files)
	}
	t.Logf("server sent %d bytes for %d (%.1f%% overhead over %d kills)", srv.BytesSent(), files*size, 100*float64(srv.BytesSent()-files*size)/float64(files*size), kills)
}

func TestVerifiedSummarySaysWhatEachFileWasCheckedAgainst(t *testing.T) {
	t.Parallel()
	files := []downloader.FileInfo{
		{VerifiedBy: downloader.VerifiedSize}, {VerifiedBy: downloader.VerifiedSHA256},
		{VerifiedBy: downloader.VerifiedETag}, {VerifiedBy: downloader.VerifiedSHA256},
	}
	want := "Checked: 2 against the portal's SHA-256, 1 against the server's ETag (an MD5), 1 by size only."
	if got := verifiedSummary(files); got != want {
		t.Errorf("verifiedSummary = %q, want %q", got, want)
	}
}
