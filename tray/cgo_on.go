//go:build cgo

package tray

const cgoEnabled = true
