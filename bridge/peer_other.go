//go:build !linux && !windows

package bridge

import "net"

// peerIsUs accepts every peer: macOS and the BSDs offer no supported way
// to learn the user behind a loopback TCP connection (API.md says so).
func peerIsUs(_, _ *net.TCPAddr) error { return nil }
