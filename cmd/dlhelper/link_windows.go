//go:build windows

package main

import "golang.org/x/sys/windows"

// rawSingleArgument is the link after the marker in this process's
// command line, read whole (see linkAfterMarker).
func rawSingleArgument() (string, bool) {
	return linkAfterMarker(windows.UTF16PtrToString(windows.GetCommandLine()))
}
