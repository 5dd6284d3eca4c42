package power

import (
	"context"
	"log/slog"
)

// Waker is told when the computer resumes from sleep: a
// downloader.Manager, whose Woke drops the connections the sleep killed.
type Waker interface{ Woke() }

// WatchResume calls w.Woke each time the system says it resumed from
// sleep, until ctx ends. It returns at once where the system has no such
// word for it (Windows, macOS): there the engine's own check of the clocks
// notices a wake within seconds, which is all this saves.
func WatchResume(ctx context.Context, w Waker, log *slog.Logger) error {
	return watchResume(ctx, "", w, log)
}
