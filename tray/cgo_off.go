//go:build !cgo

package tray

const cgoEnabled = false
