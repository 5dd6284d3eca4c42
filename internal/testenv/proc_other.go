//go:build !linux

package testenv

import "syscall"

// DieWithTest has no parent-death signal outside Linux.
func DieWithTest() *syscall.SysProcAttr { return nil }

// lockFile does not lock outside Linux, where the harness does not run;
// it exists so that the packages build and vet everywhere.
func lockFile(string) (unlock func(), err error) { return func() {}, nil }

// listensOn cannot look at sockets here; the health check decides alone.
func listensOn(pid, port int) bool { return true }
