package downloader

import (
	"errors"

	"golang.org/x/sys/windows"
)

// isBusy reports an error that says another program holds the file.
func isBusy(err error) bool {
	return errors.Is(err, windows.ERROR_SHARING_VIOLATION) || errors.Is(err, windows.ERROR_LOCK_VIOLATION)
}
