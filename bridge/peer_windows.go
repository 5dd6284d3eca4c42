package bridge

import (
	"encoding/binary"
	"fmt"
	"net"
	"unsafe"

	"golang.org/x/sys/windows"
)

// peerIsUs finds the process that owns the peer's end of the connection in
// the system's TCP table (GetExtendedTcpTable), and compares the user of
// that process's token with ours. A process we may not even query belongs
// to someone else.
func peerIsUs(local, remote *net.TCPAddr) error {
	pid, err := peerPID(local, remote)
	if err != nil {
		return err
	}
	theirs, err := processUser(pid)
	if err != nil {
		return fmt.Errorf("%w (process %d: %v)", ErrOtherUser, pid, err)
	}
	ours, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return fmt.Errorf("read this process's user: %w", err)
	}
	if !theirs.Equals(ours.User.Sid) {
		return fmt.Errorf("%w (process %d)", ErrOtherUser, pid)
	}
	return nil
}

var procGetExtendedTcpTable = windows.NewLazySystemDLL("iphlpapi.dll").NewProc("GetExtendedTcpTable")

const tcpTableOwnerPIDConnections = 4 // TCP_TABLE_OWNER_PID_CONNECTIONS

// peerPID is the owning process of the connection from remote to local
// (the peer's own row: local address = remote, remote address = local).
func peerPID(local, remote *net.TCPAddr) (uint32, error) {
	if remote.IP.To4() != nil {
		return findRow(windows.AF_INET, remote, local)
	}
	return findRow(windows.AF_INET6, remote, local)
}

// findRow reads the table of family and finds the row from src to dst.
// Rows are read by offset (MIB_TCPROW_OWNER_PID, MIB_TCP6ROW_OWNER_PID):
// addresses as in memory, ports in network order in a DWORD's first bytes.
func findRow(family int, src, dst *net.TCPAddr) (uint32, error) {
	buf, err := tcpTable(family)
	if err != nil {
		return 0, err
	}
	rowSize, addrLen, lAddr, lPort, rAddr, rPort, pidAt := 24, 4, 4, 8, 12, 16, 20
	if family == windows.AF_INET6 {
		rowSize, addrLen, lAddr, lPort, rAddr, rPort, pidAt = 56, 16, 0, 20, 24, 44, 52
	}
	srcIP, dstIP := src.IP.To4(), dst.IP.To4()
	if family == windows.AF_INET6 {
		srcIP, dstIP = src.IP.To16(), dst.IP.To16()
	}
	n := int(binary.LittleEndian.Uint32(buf))
	for i := range n {
		off := 4 + i*rowSize
		if off+rowSize > len(buf) {
			break
		}
		row := buf[off : off+rowSize]
		if net.IP(row[lAddr:lAddr+addrLen]).Equal(srcIP) && int(binary.BigEndian.Uint16(row[lPort:])) == src.Port &&
			net.IP(row[rAddr:rAddr+addrLen]).Equal(dstIP) && int(binary.BigEndian.Uint16(row[rPort:])) == dst.Port {
			return binary.LittleEndian.Uint32(row[pidAt:]), nil
		}
	}
	return 0, fmt.Errorf("the peer %s is in no TCP table; refusing what cannot be checked", src)
}

// tcpTable returns the raw MIB_TCP(6)TABLE_OWNER_PID of family, growing
// the buffer while connections come and go between the calls.
func tcpTable(family int) ([]byte, error) {
	size := uint32(16 << 10)
	for range 5 {
		buf := make([]byte, size)
		r, _, _ := procGetExtendedTcpTable.Call(uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&size)),
			0, uintptr(family), tcpTableOwnerPIDConnections, 0)
		switch windows.Errno(r) {
		case 0:
			return buf[:size], nil
		case windows.ERROR_INSUFFICIENT_BUFFER:
			continue
		default:
			return nil, fmt.Errorf("GetExtendedTcpTable: %w", windows.Errno(r))
		}
	}
	return nil, fmt.Errorf("GetExtendedTcpTable: the table kept growing")
}

// processUser is the user SID of process pid.
func processUser(pid uint32) (*windows.SID, error) {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return nil, err
	}
	defer windows.CloseHandle(h)
	var tok windows.Token
	if err := windows.OpenProcessToken(h, windows.TOKEN_QUERY, &tok); err != nil {
		return nil, err
	}
	defer tok.Close()
	tu, err := tok.GetTokenUser()
	if err != nil {
		return nil, err
	}
	return tu.User.Sid.Copy()
}
