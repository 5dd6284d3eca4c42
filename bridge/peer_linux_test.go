package bridge

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// otherUser is the second account of the machine the test connects as;
// CI runs as root and the test creates it.
const otherUser = "dlh-other"

// Issue 16: another user of the same machine could add jobs to this user's
// Downloads and read settings and events. Guard closes such connections as
// they are accepted; the test connects for real as another user.
func TestConnectionsOfOtherUsersAreRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to create and become a second user (CI runs as root)")
	}
	uid, gid := ensureUser(t, otherUser)
	e := newEnv(t, withGuard())
	bin := exposedTestBinary(t)

	asOther := runPeerClient(t, bin, e.url, &syscall.Credential{Uid: uid, Gid: gid})
	if !strings.HasPrefix(asOther, "refused") {
		t.Errorf("a connection as %s: %s, want it refused", otherUser, asOther)
	}
	// The same client as ourselves gets in: the refusal is about the user.
	if asUs := runPeerClient(t, bin, e.url, nil); !strings.HasPrefix(asUs, "answered 200") {
		t.Errorf("a connection as ourselves: %s, want 200", asUs)
	}
	e.do(req{path: "/v1/jobs"}).want(t, http.StatusOK, "")
}

// TestPeerClientProcess is the client TestConnectionsOfOtherUsersAreRefused
// runs as another user; it does nothing in a normal run.
func TestPeerClientProcess(t *testing.T) {
	base := os.Getenv("DLHELPER_PEER_CLIENT")
	if base == "" {
		t.Skip("only run as a client by TestConnectionsOfOtherUsersAreRefused")
	}
	fmt.Println(peerRequest(base))
}

// peerRequest asks GET /v1/hello on a raw connection and says what came of
// it: "answered STATUS" or "refused: …".
func peerRequest(base string) string {
	addr := strings.TrimPrefix(base, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return "refused: " + err.Error()
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second)) // only keeps a broken test from hanging
	fmt.Fprintf(c, "GET /v1/hello HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", addr)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return "refused: " + err.Error()
	}
	io.Copy(io.Discard, resp.Body)
	return "answered " + strconv.Itoa(resp.StatusCode)
}

func runPeerClient(t *testing.T, bin, base string, cred *syscall.Credential) string {
	t.Helper()
	cmd := exec.Command(bin, "-test.run=^TestPeerClientProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "DLHELPER_PEER_CLIENT="+base, "GOCOVERDIR="+os.TempDir())
	cmd.Dir = filepath.Dir(bin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "answered") || strings.HasPrefix(line, "refused") {
			return line
		}
	}
	t.Fatalf("the client printed no verdict (%v): %s", err, out)
	return ""
}

// ensureUser creates name if the system lacks it and returns its ids.
func ensureUser(t *testing.T, name string) (uid, gid uint32) {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		if out, err := exec.Command("useradd", "-m", name).CombinedOutput(); err != nil {
			t.Fatalf("useradd -m %s: %v: %s", name, err, out)
		}
		if u, err = user.Lookup(name); err != nil {
			t.Fatal(err)
		}
	}
	id, _ := strconv.Atoi(u.Uid)
	g, _ := strconv.Atoi(u.Gid)
	if id == os.Getuid() {
		t.Fatalf("user %s has our uid %d", name, id)
	}
	return uint32(id), uint32(g)
}

// exposedTestBinary copies this test binary where another user may run it
// (the build cache's folders are ours alone).
func exposedTestBinary(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dlhelper-peer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bridge.test")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestProcAddrIsTheKernelsForm(t *testing.T) {
	for _, tc := range []struct {
		addr  *net.TCPAddr
		table string
		want  string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 17315}, "/proc/net/tcp", "0100007F:43A3"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 80}, "/proc/net/tcp6", "00000000000000000000000001000000:0050"},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}, "/proc/net/tcp6", "0000000000000000FFFF00000100007F:0050"},
	} {
		if got := procAddr(tc.addr, tc.table); got != tc.want {
			t.Errorf("procAddr(%s, %s) = %s, want %s", tc.addr, tc.table, got, tc.want)
		}
	}
}

// Our own connections pass Guard over both loopback families (the helper
// listens on 127.0.0.1 and [::1]).
func TestGuardFindsOurOwnConnections(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, host := range []string{"127.0.0.1", "[::1]"} {
		l, err := net.Listen("tcp", host+":0")
		if err != nil {
			t.Logf("no %s here: %v", host, err)
			continue
		}
		g := e.s.Guard(l)
		t.Cleanup(func() { g.Close() })
		go func() {
			// A refused connection ends Accept's wait: it closes the
			// listener once the server closed the connection.
			defer g.Close()
			if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
				c.Read(make([]byte, 1))
				c.Close()
			}
		}()
		c, err := g.Accept()
		if err != nil {
			t.Fatalf("%s: our own connection: %v", host, err)
		}
		if err := checkPeer(c.(*slotConn).Conn); err != nil {
			t.Errorf("%s: our own connection: %v", host, err)
		}
		c.Close()
	}
}
