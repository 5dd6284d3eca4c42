//go:build !linux

package netstate

import (
	"context"
	"errors"
)

// System would read Windows' network cost (INetworkCostManager) or
// macOS's expensive-path flag; neither is read yet.
func System() Watcher { return unsupported{} }

type unsupported struct{}

func (unsupported) Watch(context.Context, chan<- bool) error {
	return errors.New("metered connections are detected on Linux (NetworkManager) only")
}
