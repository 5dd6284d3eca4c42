//go:build !linux

package power

import (
	"context"
	"log/slog"
)

// watchResume has nothing to watch here. On Windows the word would be
// PBT_APMRESUMEAUTOMATIC, given only to a window's message loop or a
// PowerRegisterSuspendResumeNotification callback; no well-kept Go
// library offers either, and the clocks' jump (downloader/wake.go)
// notices the same wake at most two seconds later.
func watchResume(context.Context, string, Waker, *slog.Logger) error { return nil }
