package testenv

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// DieWithTest returns process attributes that make the kernel kill a
// child when the test binary dies (a panic, a -timeout), so no orphaned
// server outlives a run. The signal is sent when the OS thread that
// started the child exits; Go may end an idle thread, so it suits
// servers a test kills itself, not children meant to outlive a step.
func DieWithTest() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// lockFile takes an exclusive flock. The kernel drops it if the process
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
	return func() { f.Close() }, nil // closing the file releases the lock
}

// listensOn reports whether process pid holds a listening TCP socket on
// port, by matching /proc/net/tcp inodes against the process's fds. When
// /proc cannot tell, it says yes and leaves the judgement to the health
// check.
func listensOn(pid, port int) bool {
	inodes, err := listenInodes(port)
	if err != nil {
		return true
	}
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return true
	}
	for _, e := range entries {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name()))
		if err == nil && inodes[link] {
			return true
		}
	}
	return false
}

// listenInodes returns "socket:[inode]" names of IPv4 sockets listening
// on port.
func listenInodes(port int) (map[string]bool, error) {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	want := fmt.Sprintf(":%04X", port)
	inodes := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || !strings.HasSuffix(fields[1], want) || fields[3] != "0A" {
			continue // 0A is TCP_LISTEN
		}
		if _, err := strconv.ParseUint(fields[9], 10, 64); err == nil {
			inodes["socket:["+fields[9]+"]"] = true
		}
	}
	return inodes, sc.Err()
}
