// Command dlhelper is the download helper a portal page hands its orders to.
//
// Without a command it starts the helper: the local server pages talk to,
// and the tray icon. Its commands are open, serve, status, get, install,
// uninstall, version and help; "dlhelper help" says what each does and
// "dlhelper COMMAND -h" lists its flags.
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

// command is one of dlhelper's commands. "dlhelper help" is built from the
// table, so the help and what runs cannot drift apart.
type command struct {
	name    string // "" is the desktop app: no command, its flags or a link
	args    string // what follows the name in the help
	summary string // one line for the help
	run     func(args []string, stdout, stderr io.Writer) int
	// tray says the command may show the tray icon: the main goroutine then
	// stays locked to the main thread, as GTK and Cocoa need.
	tray bool
}

// commandTable lists every command, in the order the help shows them. It is
// a function, not a variable, because help's run reads the table.
func commandTable() []command {
	return []command{
		{"", "[flags]", "start the helper (local server and tray icon)", runTrayApp, true},
		{"open", "[LINK]", "start or wake the helper for a dlhelper:// link", runTrayApp, true},
		{"serve", "[flags]", "start the local server without a tray", runServe, false},
		{"status", "", "show what the running helper is doing", runStatus, false},
		{"get", "[flags] URL...", "download URLs here; run it again to resume", runGet, false},
		{"install", "", "register start at login and dlhelper:// links", runInstall, false},
		{"uninstall", "", "remove what install registered", runUninstall, false},
		{"version", "", "print the version", runVersion, false},
		{"help", "", "show this help", runHelp, false},
	}
}

func main() {
	args := os.Args[1:]
	if !keepsMainThread(args) {
		// The tray library locks the main goroutine to the main thread in
		// its init. Left locked, every wake-up of the main goroutine (get
		// follows each file's events there) is a hand-over between two
		// threads, paid in futex calls, for a tray that never shows.
		runtime.UnlockOSThread()
	}
	os.Exit(run(args, os.Stdout, os.Stderr))
}

// keepsMainThread reports whether the command args ask for may show the
// tray, and so must keep the main goroutine on the main thread.
func keepsMainThread(args []string) bool {
	c, ok := lookup(commandName(args))
	return ok && c.tray
}

func run(args []string, stdout, stderr io.Writer) int {
	name := commandName(args)
	c, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "dlhelper: unknown command %q. Run \"dlhelper help\" to see the commands.\n", name)
		return 2
	}
	if name != "" {
		args = args[1:]
	}
	return c.run(args, stdout, stderr)
}

// commandName is the command args ask for; "" is the desktop app, which
// takes flags or a dlhelper:// link (how the portal and the OS start it).
func commandName(args []string) string {
	switch {
	case len(args) == 0:
		return ""
	case args[0] == "-h" || args[0] == "-help" || args[0] == "--help":
		return "help"
	case strings.HasPrefix(args[0], "-") || strings.HasPrefix(strings.ToLower(args[0]), "dlhelper:"):
		return ""
	}
	return args[0]
}

func lookup(name string) (command, bool) {
	for _, c := range commandTable() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func runHelp(_ []string, stdout, _ io.Writer) int {
	usage(stdout)
	return 0
}

func usage(w io.Writer) {
	fmt.Fprint(w, "dlhelper downloads a portal's orders with resumable, parallel range requests.\n\nUsage:\n")
	table := commandTable()
	width := 0
	for _, c := range table {
		width = max(width, len(synopsis(c)))
	}
	for _, c := range table {
		fmt.Fprintf(w, "  %-*s  %s\n", width, synopsis(c), c.summary)
	}
	fmt.Fprint(w, "\nRun \"dlhelper COMMAND -h\" for a command's flags.\n")
}

// synopsis is how the help writes a command: "dlhelper get [flags] URL...".
func synopsis(c command) string {
	return strings.Join(strings.Fields("dlhelper "+c.name+" "+c.args), " ")
}

func runVersion(_ []string, stdout, _ io.Writer) int {
	fmt.Fprintf(stdout, "dlhelper %s\n", version)
	return 0
}
