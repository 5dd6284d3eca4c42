//go:build !linux

package testenv

import "syscall"

// sysProcAttr has no parent-death signal outside Linux.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// listensOn cannot look at sockets here; the health check decides alone.
func listensOn(pid, port int) bool { return true }
