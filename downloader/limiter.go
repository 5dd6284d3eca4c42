package downloader

import (
	"context"
	"sync/atomic"

	"golang.org/x/time/rate"
)

// limiter is the optional global speed limit. When off, wait costs one
// atomic load: the copy path stays free of locks.
type limiter struct {
	on  atomic.Bool
	lim *rate.Limiter
}

func newLimiter(bytesPerSecond int64) *limiter {
	l := &limiter{lim: rate.NewLimiter(rate.Inf, bufSize)}
	l.set(bytesPerSecond)
	return l
}

// set changes the limit; 0 means none.
func (l *limiter) set(bytesPerSecond int64) {
	if bytesPerSecond <= 0 {
		l.on.Store(false)
		l.lim.SetLimit(rate.Inf)
		return
	}
	l.lim.SetLimit(rate.Limit(bytesPerSecond))
	l.on.Store(true)
}

// wait blocks until n more bytes may be read.
func (l *limiter) wait(ctx context.Context, n int) error {
	if !l.on.Load() {
		return nil
	}
	return l.lim.WaitN(ctx, n)
}
