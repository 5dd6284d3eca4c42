package netstate

import (
	"context"
	"testing"
	"time"
)

// On the first Windows machine that runs it: the Network List Manager
// answers, and Watch reports the current cost at once.
func TestTheNetworkListManagerSaysWhetherTheConnectionIsMetered(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	states := make(chan bool)
	done := make(chan error, 1)
	go func() { done <- System().Watch(ctx, states) }()
	select {
	case m := <-states:
		t.Logf("metered: %v", m)
	case err := <-done:
		t.Fatalf("Watch: %v", err)
	case <-time.After(20 * time.Second): // a guard against a hang
		t.Fatal("no state after 20 s")
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("Watch after stop: %v", err)
	}
}
