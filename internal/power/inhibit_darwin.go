package power

import (
	"os"
	"os/exec"
	"strconv"
)

// System returns a power assertion held by caffeinate, which macOS ships:
// it needs no cgo, and -w ends it with dlhelper should dlhelper die.
func System() Inhibitor { return &caffeinate{} }

type caffeinate struct{ cmd *exec.Cmd }

func (c *caffeinate) Inhibit() error {
	c.cmd = exec.Command("/usr/bin/caffeinate", "-i", "-w", strconv.Itoa(os.Getpid()))
	return c.cmd.Start()
}

func (c *caffeinate) Release() {
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
}
