//go:build !windows

package downloader

import "syscall"

// goneErrnos are what a file operation meets when its drive is lost: a
// USB drive pulled (EIO, ENODEV, ENXIO), a network share or FUSE mount
// whose server went away (ENOTCONN, ESTALE, EIO).
var goneErrnos = []error{syscall.EIO, syscall.ENODEV, syscall.ENXIO, syscall.ENOTCONN, syscall.ESTALE}
