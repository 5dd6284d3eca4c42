package downloader

import (
	"fmt"
	"testing"
	"time"

	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

func TestFileWantIsOneConnectionPerPieceLeft(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	for _, c := range []struct {
		name       string
		left       int64
		most, want int
	}{
		{"a file of one piece wants one", 256 << 10, 32, 1},
		{"a file with nothing left still counts one", 0, 32, 1},
		{"a file of five pieces wants five", 5 * mib, 32, 5},
		{"a part of a piece counts whole", 5*mib + 1, 32, 6},
		{"a large file wants what it may have", 256 * mib, 32, 32},
		{"a fixed count bounds the want", 256 * mib, 4, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := fileWant(c.left, mib, c.most); got != c.want {
				t.Errorf("fileWant(%d, 1 MiB, %d) = %d, want %d", c.left, c.most, got, c.want)
			}
		})
	}
}

func TestRoomForAnotherFileWhileWantsAreUnderTheBudget(t *testing.T) {
	t.Parallel()
	ones := make([]int, 31)
	for i := range ones {
		ones[i] = 1
	}
	for _, c := range []struct {
		name  string
		wants []int
		want  bool
	}{
		{"an idle host starts a file", nil, true},
		{"31 small files leave room for a 32nd", ones, true},
		{"32 small files fill a budget of 32", append(ones, 1), false},
		{"a large file wanting the budget runs alone", []int{32}, false},
		{"a large file in its tail lets the next start", []int{3}, true},
		{"two files of 16 fill it", []int{16, 16}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := roomFor(c.wants, 32); got != c.want {
				t.Errorf("roomFor(%v, 32) = %v, want %v", c.wants, got, c.want)
			}
		})
	}
}

// settle feeds g the windows it skips after a growth.
func settle(g *growth, bytes float64) {
	for range settleWindows {
		g.next(bytes, 100)
	}
}

func TestGrowthDoublesWhileTheRateFollows(t *testing.T) {
	t.Parallel()
	// Each connection does 4 units a window, up to a line of 50.
	rate := func(workers int) float64 { return min(4*float64(workers), 50) }
	g := newGrowth(8, 32, time.Second)
	settle(&g, rate(8))
	if add := g.next(rate(8), 24); add != 8 {
		t.Fatalf("first measure added %d, want 8 (doubling)", add)
	}
	settle(&g, rate(16))
	// 8 → 16 took 32 to 50: 18 of the 32 promised, less than growGain.
	if add := g.next(rate(16), 16); add != 0 || !g.stopped {
		t.Fatalf("after a doubling that brought 18 of 32 it added %d (stopped %v), want 0 and stopped", add, g.stopped)
	}
	if add := g.next(rate(16), 16); add != 0 {
		t.Errorf("a stopped growth added %d", add)
	}
}

func TestGrowthKeepsGoingWhenTheLineIsFar(t *testing.T) {
	t.Parallel()
	rate := func(workers int) float64 { return 1 * float64(workers) } // no line in sight
	g := newGrowth(4, 32, time.Second)
	settle(&g, rate(4))
	for _, want := range []int{4, 8, 16, 0} {
		add := g.next(rate(g.workers), 100)
		if add != want {
			t.Fatalf("at %d workers it added %d, want %d", g.workers-add, add, want)
		}
		settle(&g, rate(g.workers))
	}
	if g.workers != 32 {
		t.Errorf("ended with %d workers, want the most, 32", g.workers)
	}
}

func TestGrowthWaitsForRoomOnTheHost(t *testing.T) {
	t.Parallel()
	g := newGrowth(8, 32, time.Second)
	settle(&g, 8)
	if add := g.next(8, 0); add != 0 {
		t.Fatalf("with no room it added %d", add)
	}
	if add := g.next(8, 3); add != 3 {
		t.Errorf("with room for 3 it added %d, want 3", add)
	}
}

func TestGrowthWantsWhatItMayUseUntilItStops(t *testing.T) {
	t.Parallel()
	g := newGrowth(8, 32, time.Second)
	if got := g.want(100<<20, 1<<20); got != 32 {
		t.Errorf("a growing file wants %d, want 32", got)
	}
	g.stopped = true
	if got := g.want(100<<20, 1<<20); got != 8 {
		t.Errorf("a file done growing wants %d, want its 8", got)
	}
}

func TestSmallFilesRunABudgetAtOnce(t *testing.T) {
	t.Parallel()
	// Files of one piece, each a round trip away: the budget, not a fixed
	// five files at once, says how many are in flight.
	data := testenv.RandomData(21, 32<<10)
	srv := faultserver.New(t, data, faultserver.TimeToFirstByte(50*time.Millisecond))
	cfg := testConfig(t)
	ct := withCounting(&cfg)
	m := newTestManager(t, cfg)
	var files []FileSpec
	for i := range 64 {
		files = append(files, FileSpec{URL: srv.URL(), Name: fmt.Sprintf("f%d", i)})
	}
	if j := runJob(t, m, JobSpec{Name: "x", Files: files}); j.State != JobCompleted {
		t.Fatalf("job ended %s", j.State)
	}
	if got := ct.peak.Load(); got < 16 || got > defaultConnsPerHost {
		t.Errorf("%d requests were open at once, want from 16 to the budget, %d", got, defaultConnsPerHost)
	}
}

func TestALargeFileGrowsPastItsFirstConnections(t *testing.T) {
	t.Parallel()
	// Each connection is capped and nothing else is: more connections
	// raise the rate, so the file grows past startConns.
	data := testenv.RandomData(22, 4<<20)
	srv := faultserver.New(t, data, faultserver.RateLimit(512<<10))
	cfg := testConfig(t)
	ct := withCounting(&cfg)
	m := newTestManager(t, cfg)
	j := runJob(t, m, JobSpec{Name: "x", Files: []FileSpec{{URL: srv.URL(), Name: "f"}}})
	if j.State != JobCompleted {
		t.Fatalf("job ended %s", j.State)
	}
	assertFile(t, j.Files[0].Path, data)
	if got := ct.peak.Load(); got <= startConns || got > defaultConnsPerHost {
		t.Errorf("%d requests were open at once, want more than the %d it starts with and at most %d", got, startConns, defaultConnsPerHost)
	}
}

func TestGrowthGivesBackADoublingThatRaisedNothing(t *testing.T) {
	t.Parallel()
	// The CPU or the disk is the limit (loopback): the rate stays put.
	g := newGrowth(8, 32, time.Second)
	settle(&g, 100)
	if add := g.next(100, 24); add != 8 {
		t.Fatalf("first measure added %d, want 8", add)
	}
	settle(&g, 103)
	if add := g.next(103, 16); add != -8 || g.workers != 8 || !g.stopped {
		t.Errorf("a doubling that raised the rate by 3%% returned %d (workers %d, stopped %v), want -8, 8 and stopped", add, g.workers, g.stopped)
	}
}

func TestGrowthLeavesFastConnectionsAlone(t *testing.T) {
	t.Parallel()
	// 8 connections of 100 MiB/s each: the CPU or the disk is the limit.
	g := newGrowth(8, 32, time.Second)
	settle(&g, 800<<20)
	if add := g.next(800<<20, 24); add != 0 || !g.stopped {
		t.Errorf("connections of 100 MiB/s got %d more (stopped %v), want none and stopped", add, g.stopped)
	}
}
