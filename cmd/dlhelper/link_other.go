//go:build !windows

package main

// rawSingleArgument is for Windows: elsewhere the program gets its
// arguments as a list, and the link is one of them.
func rawSingleArgument() (string, bool) { return "", false }
