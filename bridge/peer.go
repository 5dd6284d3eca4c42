package bridge

import (
	"errors"
	"net"
)

// ErrOtherUser refuses a connection that another user of this computer
// opened: the token is the user's alone, and so are the helper's answers.
var ErrOtherUser = errors.New("the connection comes from another user of this computer")

// checkPeer refuses c unless it comes from a program of the user running
// the helper, where the system can tell (peerIsUs). A connection whose
// owner cannot be found is refused too: it is gone, or hidden.
func checkPeer(c net.Conn) error {
	local, lok := c.LocalAddr().(*net.TCPAddr)
	remote, rok := c.RemoteAddr().(*net.TCPAddr)
	if !lok || !rok {
		return nil // not TCP: a test's pipe, never the helper's listener
	}
	return peerIsUs(local, remote)
}
