package wan

import (
	"sync"
	"time"
)

// bucket is a token bucket of bytes that lets a taker go into debt: take
// always succeeds and says how long to wait before sending, and the next
// taker waits behind that debt too. Sharing one bucket thus serves its
// takers in the order they came, at the bucket's rate in total; a sleep
// that overshoots leaves tokens that the next take uses (up to the burst).
type bucket struct {
	mu     sync.Mutex
	rate   float64 // bytes per second
	burst  float64 // the most tokens it holds
	tokens float64 // below zero while in debt
	last   time.Time
}

// newBucket returns a full bucket, or nil (no cap) for a rate of 0.
func newBucket(rate, burst int64, now time.Time) *bucket {
	if rate <= 0 {
		return nil
	}
	return &bucket{rate: float64(rate), burst: float64(burst), tokens: float64(burst), last: now}
}

// take spends n tokens at now and returns how long to wait until they are
// paid for. A nil bucket never waits.
func (b *bucket) take(now time.Time, n int) time.Duration {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
	b.tokens -= float64(n)
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}
