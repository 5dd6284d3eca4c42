//go:build chaos

package chaos

// chaosTag selects the full suite: go test -tags chaos.
const chaosTag = true
