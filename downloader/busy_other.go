//go:build !windows

package downloader

// isBusy is false: POSIX systems have no mandatory sharing modes.
func isBusy(error) bool { return false }
