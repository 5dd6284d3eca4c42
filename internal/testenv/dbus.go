package testenv

import (
	"bufio"
	"os/exec"
	"strings"
	"testing"
)

// PrivateBus starts a D-Bus daemon of the test's own (a session bus, as
// .ci/setup installs Debian's dbus-daemon) and returns its address; fakes
// of system services (logind, NetworkManager, notifications) are exported
// on it. The daemon is killed when the test ends.
func PrivateBus(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Fatalf("dbus-daemon is missing; .ci/setup installs the Debian package dbus-daemon: %v", err)
	}
	cmd := exec.Command(bin, "--session", "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(addr)
}
