package wan

import (
	"testing"
	"time"
)

// The shaping arithmetic, on a clock the test moves by hand.
func TestBucketTake(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	type take struct {
		at   time.Time
		n    int
		want time.Duration
	}
	tests := []struct {
		name        string
		rate, burst int64
		takes       []take
	}{
		{"a full bucket lets its burst through at once", 1000, 500, []take{{t0, 500, 0}}},
		{"beyond the burst a taker waits for the debt to be paid", 1000, 500, []take{{t0, 1500, time.Second}}},
		{"the next taker waits behind the debt", 1000, 0, []take{{t0, 1000, time.Second}, {t0, 500, 1500 * time.Millisecond}}},
		{"time refills the bucket at its rate", 1000, 1000, []take{{t0, 1000, 0}, {ms(250), 500, 250 * time.Millisecond}}},
		{"the refill stops at the burst", 1000, 100, []take{{t0, 100, 0}, {ms(5000), 300, 200 * time.Millisecond}}},
		{"a take dated before the last one does not refill", 1000, 0, []take{{ms(100), 100, 100 * time.Millisecond}, {t0, 100, 200 * time.Millisecond}}},
		{"64 MiB at 4 MiB/s is 16 s", 4 * MiB, 0, []take{{t0, 64 * MiB, 16 * time.Second}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBucket(tt.rate, tt.burst, t0)
			for i, tk := range tt.takes {
				if got := b.take(tk.at, tk.n); got != tk.want {
					t.Errorf("take %d (%d bytes at +%v) waits %v, want %v", i+1, tk.n, tk.at.Sub(t0), got, tk.want)
				}
			}
		})
	}
}

// Two connections sharing a line of 1,000 B/s: whatever order they take
// in, the line's total rate holds, and each one's wait grows with the
// other's traffic.
func TestSharedBucketServesInTurn(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	line := newBucket(1000, 0, t0)
	var last time.Duration
	for i := range 10 {
		last = line.take(t0, 100) // connection i%2, 100 bytes each
		if want := time.Duration(i+1) * 100 * time.Millisecond; last != want {
			t.Fatalf("take %d waits %v, want %v", i+1, last, want)
		}
	}
}

func TestNoCapNeverWaits(t *testing.T) {
	t.Parallel()
	var b *bucket = newBucket(0, 0, time.Now())
	if got := b.take(time.Now(), 1<<30); got != 0 {
		t.Errorf("an uncapped bucket waits %v for 1 GiB, want 0", got)
	}
}

func TestDeliverAt(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	rtt := 60 * time.Millisecond
	tests := []struct {
		name            string
		sent, notBefore time.Time
		want            time.Time
	}{
		{"bytes arrive half a round trip after they leave", t0, time.Time{}, t0.Add(30 * time.Millisecond)},
		{"a new connection's first bytes wait for the handshake", t0, t0.Add(rtt), t0.Add(90 * time.Millisecond)},
		{"bytes sent after the handshake only pay the half trip", t0.Add(time.Second), t0.Add(rtt), t0.Add(1030 * time.Millisecond)},
	}
	for _, tt := range tests {
		if got := deliverAt(tt.sent, tt.notBefore, rtt); !got.Equal(tt.want) {
			t.Errorf("%s: deliverAt = +%v, want +%v", tt.name, got.Sub(t0), tt.want.Sub(t0))
		}
	}
}

func TestLinkLimit(t *testing.T) {
	t.Parallel()
	if got, want := RTT60.LinkLimit(256*MiB), 5*time.Second+180*time.Millisecond; got != want {
		t.Errorf("rtt60, 256 MiB: %v, want %v", got, want)
	}
	if got, want := RTT200.LinkLimit(500*256<<10), 5*time.Second+200*time.Millisecond; got != want {
		t.Errorf("rtt200, 500 × 256 KiB: %v, want %v", got, want)
	}
}
