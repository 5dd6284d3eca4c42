package bridge

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// acceptsOn dials addr and checks that l accepts that connection.
func acceptsOn(t *testing.T, l net.Listener, addr string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	got, err := l.Accept()
	if err != nil {
		t.Fatalf("accept the connection to %s: %v", addr, err)
	}
	if want := c.LocalAddr().String(); got.RemoteAddr().String() != want {
		t.Errorf("accepted a connection from %s, want %s", got.RemoteAddr(), want)
	}
	got.Close()
}

func TestListenTakesThePortOnBothLoopbackFamilies(t *testing.T) {
	t.Parallel()
	if !hasIPv6Loopback() {
		t.Fatal("this machine has no [::1]; the test needs IPv6 on loopback")
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		l, err := Listen(addr, 1)
		if err != nil {
			t.Fatalf("Listen(%q): %v", addr, err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if !ListensOnIPv6(l) {
			t.Errorf("Listen(%q) did not take [::1]:%d", addr, port)
		}
		acceptsOn(t, l, fmt.Sprintf("127.0.0.1:%d", port))
		acceptsOn(t, l, fmt.Sprintf("[::1]:%d", port))
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if _, err := l.Accept(); err == nil {
			t.Error("Accept after Close succeeded")
		}
	}
}

// squatIPv6 holds a port on [::1] that is free on 127.0.0.1, as another
// user's program would.
func squatIPv6(t *testing.T) int {
	for range 20 {
		l, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if v4, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			v4.Close()
			t.Cleanup(func() { l.Close() })
			return port
		}
		l.Close()
	}
	t.Fatal("found no port free on 127.0.0.1 whose [::1] twin could be taken")
	return 0
}

func TestListenSkipsAPortHeldOnIPv6ByAnotherProgram(t *testing.T) {
	t.Parallel()
	port := squatIPv6(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if l, err := Listen(addr, 1); err == nil {
		l.Close()
		t.Fatalf("Listen(%s, 1) succeeded though [::1]:%d is someone else's", addr, port)
	}
	l, err := Listen(addr, 5)
	if err != nil {
		t.Fatalf("Listen(%s, 5): %v", addr, err)
	}
	defer l.Close()
	if got := l.Addr().(*net.TCPAddr).Port; got == port {
		t.Errorf("Listen(%s, 5) took port %d, which another program holds on [::1]", addr, got)
	}
}

func TestServerRefusesTheIPv6HostItDoesNotHold(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		ipv4Only bool
		want     int
	}{{false, http.StatusOK}, {true, http.StatusMisdirectedRequest}} {
		s := New(Options{Port: 17999, IPv4Only: tt.ipv4Only, Logger: quietLogger()})
		r := httptest.NewRequest(http.MethodGet, "http://[::1]:17999/v1/hello", nil)
		r.Header.Set("Origin", "http://[::1]:17999")
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("IPv4Only %v: a request to [::1] from its page got %d, want %d", tt.ipv4Only, w.Code, tt.want)
		}
		s.Close()
	}
}
