// Command dlhelper is the download helper a portal page hands its orders to.
//
//	dlhelper                 start the helper: local server and tray icon
//	dlhelper serve ...       start the local server without a tray
//	dlhelper install         register start at login and dlhelper:// links
//	dlhelper get URL...      download URLs from a terminal, with progress bars
//	dlhelper version         print the version
//
// Run "dlhelper help" or "dlhelper COMMAND -h" for the flags.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// version is set by the build: -ldflags "-X main.version=…".
var version = "dev"

// commands maps a sub-command to the function that runs it; each returns
// the process exit code.
var commands = map[string]func(args []string, stdout, stderr io.Writer) int{
	"get":     runGet,
	"serve":   runServe,
	"version": runVersion,
}

func main() {
	args := os.Args[1:]
	if len(args) > 0 && commands[args[0]] != nil {
		// The tray library locks the main goroutine to the main thread in
		// its init, as GTK and Cocoa need; the commands run no tray. Left
		// locked, every wake-up of the main goroutine (get follows each
		// file's events there) is a hand-over between two threads: on
		// 2,000 small files a quarter of all futex calls (22,300 of them
		// became 16,500).
		runtime.UnlockOSThread()
	}
	os.Exit(run(args, os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if cmd, ok := commands[args[0]]; ok {
			return cmd(args[1:], stdout, stderr)
		}
		switch args[0] {
		case "help", "-h", "-help", "--help":
			usage(stdout)
			return 0
		}
	}
	// No command: the desktop helper, with its flags or a dlhelper:// link
	// (how the portal and the OS start it).
	if len(args) == 0 || strings.HasPrefix(args[0], "-") || strings.HasPrefix(args[0], "dlhelper:") {
		return runApp(args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "dlhelper: unknown command %q. Run \"dlhelper help\" to see the commands.\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `dlhelper downloads a portal's orders with resumable, parallel range requests.

Usage:
  dlhelper [flags]          start the helper (local server and tray icon)
  dlhelper serve [flags]    start the local server without a tray
  dlhelper open LINK        start or wake the helper for a dlhelper:// link
  dlhelper status           show what the running helper is doing
  dlhelper install          register start at login and dlhelper:// links
  dlhelper uninstall        remove what install registered
  dlhelper get [flags] URL...
                            download URLs here, with progress bars; run the
                            same command again to resume after an interruption
  dlhelper version          print the version

Run "dlhelper COMMAND -h" for a command's flags.
`)
}

func runVersion(_ []string, stdout, _ io.Writer) int {
	fmt.Fprintf(stdout, "dlhelper %s\n", version)
	return 0
}
