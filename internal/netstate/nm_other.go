//go:build !linux && !windows

package netstate

import (
	"context"
	"errors"
)

// System would read macOS's expensive-path flag (NWPathMonitor), which
// needs cgo and Network.framework; it is not read yet.
func System() Watcher { return unsupported{} }

type unsupported struct{}

func (unsupported) Watch(context.Context, chan<- bool) error {
	return errors.New("metered connections are detected on Linux (NetworkManager) and Windows only")
}
