package bridge

import (
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestLoadOrCreateToken(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state") // not there yet
	tok, err := LoadOrCreateToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := hex.DecodeString(tok); err != nil || len(b) != 32 {
		t.Errorf("token %q is not 32 bytes in hex", tok)
	}
	path := filepath.Join(dir, TokenFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", st.Mode().Perm())
	}
	again, err := LoadOrCreateToken(dir)
	if err != nil || again != tok {
		t.Errorf("second load = %q, %v; want the same token", again, err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".token-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	other, _ := LoadOrCreateToken(t.TempDir())
	if other == tok {
		t.Error("two state folders got the same token")
	}
}

func TestTokenFileOthersCanReadIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no group and other mode bits")
	}
	t.Parallel()
	dir := t.TempDir()
	if _, err := LoadOrCreateToken(dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, TokenFile)
	os.Chmod(path, 0o644)
	_, err := LoadOrCreateToken(dir)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a 0644 token file gave %v, want a refusal that says to chmod", err)
	}
	os.Chmod(path, 0o600)
	if _, err := LoadOrCreateToken(dir); err != nil {
		t.Fatalf("after chmod 600: %v", err)
	}
}

func TestDamagedTokenFileIsRefused(t *testing.T) {
	t.Parallel()
	for _, content := range []string{"", "short", strings.Repeat("z", 64), strings.Repeat("a", 62)} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, TokenFile), []byte(content), 0o600)
		if _, err := LoadOrCreateToken(dir); err == nil || !strings.Contains(err.Error(), "delete it") {
			t.Errorf("token file %q gave %v, want a refusal that says to delete it", content, err)
		}
	}
}

func TestPortFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := ReadPort(dir); err == nil {
		t.Error("ReadPort without a port file succeeded")
	}
	for _, p := range []int{17315, 17319} {
		if err := WritePort(dir, p); err != nil {
			t.Fatal(err)
		}
		if got, err := ReadPort(dir); err != nil || got != p {
			t.Errorf("ReadPort = %d, %v; want %d", got, err, p)
		}
	}
}

func TestListenRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.168.1.10:0", "example.com:0", "127.0.0.2:0", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000"} {
		l, err := Listen(addr, 1)
		if err == nil {
			l.Close()
			t.Errorf("Listen(%q) succeeded", addr)
			continue
		}
		if !strings.Contains(err.Error(), "127.0.0.1:") {
			t.Errorf("Listen(%q): %q does not say what to use", addr, err)
		}
	}
	if _, err := Listen("0.0.0.0:17315", 1); err == nil || err.Error() != "the address 0.0.0.0:17315 is not a loopback address; use 127.0.0.1:PORT" {
		t.Errorf("Listen(0.0.0.0:17315) = %v", err)
	}
}

func TestListenOnLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		l, err := Listen(addr, 1)
		if err != nil {
			t.Fatalf("Listen(%q): %v", addr, err)
		}
		if ip := l.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
			t.Errorf("Listen(%q) listens on %v", addr, ip)
		}
		l.Close()
	}
}

func TestListenTriesTheNextPorts(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if l, err := Listen(addr, 1); err == nil {
		l.Close()
		t.Fatalf("Listen(%s, 1) on a taken port succeeded", addr)
	} else if !strings.Contains(err.Error(), "--addr") {
		t.Errorf("error %q does not say what to do", err)
	}
	l, err := Listen(addr, 5)
	if err != nil {
		t.Skipf("ports %d-%d are all taken here: %v", port, port+4, err)
	}
	defer l.Close()
	if got := l.Addr().(*net.TCPAddr).Port; got <= port || got > port+4 {
		t.Errorf("Listen(%s, 5) took port %d", addr, got)
	}
}
