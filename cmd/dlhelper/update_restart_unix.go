//go:build !windows

package main

import (
	"fmt"
	"log/slog"
	"os"
	"syscall"
)

// restartSelf replaces this process with the new program at exe, same
// arguments and environment. The instance lock's descriptor is
// close-on-exec, so the new program takes the lock afresh.
func restartSelf(exe string, log *slog.Logger) error {
	log.Info("starting the new version", "exe", exe)
	if err := syscall.Exec(exe, append([]string{os.Args[0]}, restartArgs()...), os.Environ()); err != nil {
		return fmt.Errorf("the new version is installed but could not be started (%v); start dlhelper again", err)
	}
	return nil
}
