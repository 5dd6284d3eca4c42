package chaos

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// A fault strikes beside a running download until ctx ends and returns
// how many times it struck. progress is the share of the order fetched
// so far, for faults that wait for the middle of a job. A toxic fault
// has no run: its toxic is on the proxy from the scenario's start to its
// end, put there by the proxy restart that begins the scenario.
type fault struct {
	name  string
	toxic *Toxic
	run   func(ctx context.Context, t *testing.T, e *env, progress func() float64) int
}

// cleanupTimeout bounds undoing a fault after its scenario ended.
const cleanupTimeout = 90 * time.Second

// toxic keeps tox on the proxy for the whole scenario. A share of the
// connections (Toxicity) suffers it, new ones included, so the engine's
// retries meet it again and again.
func toxic(tox Toxic) fault {
	return fault{name: tox.Type, toxic: &tox}
}

// toxicsOf is what faults keep on the proxy.
func toxicsOf(faults []fault) []Toxic {
	var out []Toxic
	for _, f := range faults {
		if f.toxic != nil {
			out = append(out, *f.toxic)
		}
	}
	return out
}

// resetPeer resets half the connections 100 ms into their life.
func resetPeer() fault {
	return toxic(Toxic{Name: "reset", Type: "reset_peer", Stream: "downstream", Toxicity: 0.5,
		Attributes: map[string]any{"timeout": 100}})
}

// timeoutToxic swallows every byte of a share of the connections and never
// closes them, so the engine's stall detection must cut them.
func timeoutToxic() fault {
	return toxic(Toxic{Name: "timeout", Type: "timeout", Stream: "downstream", Toxicity: 0.3,
		Attributes: map[string]any{"timeout": 0}})
}

// slicer delivers bodies in ~1 KiB pieces 100 µs apart.
func slicer() fault {
	return toxic(Toxic{Name: "slicer", Type: "slicer", Stream: "downstream", Toxicity: 1,
		Attributes: map[string]any{"average_size": 1024, "size_variation": 512, "delay": 100}})
}

// bandwidth caps each connection at 512 KB/s.
func bandwidth() fault {
	return toxic(Toxic{Name: "bandwidth", Type: "bandwidth", Stream: "downstream", Toxicity: 1,
		Attributes: map[string]any{"rate": 512}})
}

// latency delays everything by 80 ± 40 ms.
func latency() fault {
	return toxic(Toxic{Name: "latency", Type: "latency", Stream: "downstream", Toxicity: 1,
		Attributes: map[string]any{"latency": 80, "jitter": 40}})
}

func allToxics() []fault {
	return []fault{resetPeer(), timeoutToxic(), slicer(), bandwidth(), latency()}
}

// waitProgress waits until share of the order is fetched; false if ctx
// ended first.
func waitProgress(ctx context.Context, progress func() float64, share float64) bool {
	for progress() < share {
		if !sleepCtx(ctx, 20*time.Millisecond) {
			return false
		}
	}
	return true
}

// proxyCut kills the proxy once a share of the order is in, as a dropped
// network would (connections reset, the port refuses), and brings it
// back with its toxics after d.
func proxyCut(d time.Duration, at float64) fault {
	return fault{name: fmt.Sprintf("proxy cut %s", d), run: func(ctx context.Context, t *testing.T, e *env, progress func() float64) int {
		if !waitProgress(ctx, progress, at) {
			return 0
		}
		e.tp.Kill()
		sleepCtx(ctx, d)
		undo, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := e.tp.Restart(undo); err != nil {
			t.Errorf("bring the proxy back: %v", err)
		}
		return 1
	}}
}

// minioRestart kills MinIO with SIGKILL once a share of the order is in
// and starts it again on the same port with the same data.
func minioRestart(at float64) fault {
	return fault{name: "minio kill+restart", run: func(ctx context.Context, t *testing.T, e *env, progress func() float64) int {
		if !waitProgress(ctx, progress, at) {
			return 0
		}
		e.mc.Kill()
		sleepCtx(ctx, time.Second)
		undo, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := e.mc.Restart(undo); err != nil {
			t.Errorf("restart minio: %v\n%s", err, e.mc.Output())
		}
		return 1
	}}
}
