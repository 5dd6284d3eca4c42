package main

import (
	"fmt"
	"io"
)

// runServe starts the local server; it is built in the bridge issue.
func runServe(_ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "dlhelper: serve is not built yet.")
	return 1
}

// runApp starts the helper with its tray icon.
func runApp(args []string, stdout, stderr io.Writer) int {
	return runServe(args, stdout, stderr)
}
