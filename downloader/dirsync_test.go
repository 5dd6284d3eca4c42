package downloader

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// Every caller must return only after a folder sync that started after it
// called (its rename is then durable); callers that arrive while a sync
// runs share the next one.
func TestDirSyncerCoversEveryCallerWithFewerSyncs(t *testing.T) {
	s := newDirSyncer()
	var calls, syncs, covered atomic.Int64 // covered: most calls begun before a finished sync started
	release := make(chan struct{})
	s.sync = func(string) error {
		begun := calls.Load()
		if syncs.Add(1) == 1 {
			<-release // hold the first sync while the others arrive
		}
		for c := covered.Load(); begun > c && !covered.CompareAndSwap(c, begun); c = covered.Load() {
		}
		return nil
	}
	const callers = 20
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			c := calls.Add(1)
			if err := s.Sync("/order"); err != nil {
				t.Errorf("Sync: %v", err)
			}
			if covered.Load() < c {
				t.Errorf("call %d returned before a folder sync that began after it finished", c)
			}
		})
	}
	// Wait until every caller is inside Sync, then let the first sync end.
	for {
		s.mu.Lock()
		d := s.dirs["/order"]
		in := d != nil && d.waiters == callers
		s.mu.Unlock()
		if in {
			break
		}
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if n := syncs.Load(); n != 2 {
		t.Errorf("%d callers made %d folder syncs; want 2 (the first, and one shared by the %d that came while it ran)", callers, n, callers-1)
	}
	if len(s.dirs) != 0 {
		t.Errorf("%d folder entries left after every caller returned", len(s.dirs))
	}
}

func TestDirSyncerReportsTheSyncError(t *testing.T) {
	s := newDirSyncer()
	boom := errors.New("EIO")
	s.sync = func(string) error { return boom }
	if err := s.Sync("/order"); !errors.Is(err, boom) {
		t.Fatalf("Sync = %v, want %v", err, boom)
	}
	s.sync = func(string) error { return nil }
	if err := s.Sync("/order"); err != nil {
		t.Fatalf("a later good sync still reports %v", err)
	}
}
