//go:build !linux && !windows && !darwin

package power

import "errors"

// System is not known on this system: Inhibit fails, and Run says so once.
func System() Inhibitor { return none{} }

type none struct{}

func (none) Inhibit() error { return errors.New("not supported on this system") }
func (none) Release()       {}
