package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		// Kill once this run has moved a random 3-5 MiB, by the server's
		// count, so the points fall anywhere in the file.
		target := srv.BytesSent() + int64(3<<20+rng.IntN(2<<20))
		for srv.BytesSent() < target {
			select {
			case <-exited:
				t.Fatalf("run %d exited before it was killed: %s", i, stderr.String())
			case <-time.After(2 * time.Millisecond):
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		<-exited
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
