package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
)

// restartSelf starts the new program at exe with the same arguments; the
// caller exits next, having released the instance lock first, so the new
// program takes the lock rather than handing over to this one.
func restartSelf(exe string, log *slog.Logger) error {
	log.Info("starting the new version", "exe", exe)
	cmd := exec.Command(exe, restartArgs()...)
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("the new version is installed but could not be started (%v); start dlhelper again", err)
	}
	return cmd.Process.Release()
}
