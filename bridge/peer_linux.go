package bridge

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// peerIsUs finds the peer's socket in /proc/net/tcp{,6}: the entry whose
// local address is the peer's end (our RemoteAddr) and whose remote address
// is ours carries the uid of the user who opened it.
func peerIsUs(local, remote *net.TCPAddr) error {
	uid, err := peerUID(local, remote)
	if err != nil {
		return err
	}
	if uid != os.Getuid() {
		return fmt.Errorf("%w (uid %d)", ErrOtherUser, uid)
	}
	return nil
}

func peerUID(local, remote *net.TCPAddr) (int, error) {
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		uid, found, err := findSocket(table, procAddr(remote, table), procAddr(local, table))
		if err != nil {
			return 0, err
		}
		if found {
			return uid, nil
		}
	}
	return 0, fmt.Errorf("the peer %s is in no socket table; refusing what cannot be checked", remote)
}

// procAddr writes a as the kernel does in table: each 32-bit word of the
// address in host byte order, then the port, in hex. An IPv4 peer of an
// IPv6 socket appears as ::ffff:a.b.c.d.
func procAddr(a *net.TCPAddr, table string) string {
	ip := a.IP.To4()
	if strings.HasSuffix(table, "6") || ip == nil {
		ip = a.IP.To16()
	}
	var b strings.Builder
	for i := 0; i+4 <= len(ip); i += 4 {
		fmt.Fprintf(&b, "%08X", binary.NativeEndian.Uint32(ip[i:i+4]))
	}
	fmt.Fprintf(&b, ":%04X", a.Port)
	return b.String()
}

// findSocket scans a socket table for the entry from src to dst, skipping
// TIME_WAIT entries, which belong to no one (uid 0).
func findSocket(table, src, dst string) (uid int, found bool, err error) {
	f, err := os.Open(table)
	if os.IsNotExist(err) {
		return 0, false, nil // no IPv6 in this kernel
	}
	if err != nil {
		return 0, false, fmt.Errorf("read %s: %w", table, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// sl local rem st tx:rx tr:when retrnsmt uid …
		fields := strings.Fields(sc.Text())
		if len(fields) < 8 || fields[1] != src || fields[2] != dst || fields[3] == "06" {
			continue
		}
		uid, err := strconv.Atoi(fields[7])
		if err != nil {
			return 0, false, fmt.Errorf("read %s: a uid %q: %w", table, fields[7], err)
		}
		return uid, true, nil
	}
	if err := sc.Err(); err != nil {
		return 0, false, fmt.Errorf("read %s: %w", table, err)
	}
	return 0, false, nil
}
