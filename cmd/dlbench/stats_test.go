package main

import (
	"slices"
	"testing"
)

func TestMedian(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestPairRatios checks that ratios pair runs of the same round and leave
// out warm-ups and rounds where either run is void.
func TestPairRatios(t *testing.T) {
	t.Parallel()
	ok := func(round int, wall float64) runResult {
		return runResult{Round: round, Warmup: round <= 0, WallS: wall, SHA256OK: true}
	}
	bad := ok(3, 1)
	bad.SHA256OK = false
	runs := []runResult{ok(0, 100), ok(1, 2), ok(2, 6), bad, ok(4, 3)}
	ref := []runResult{ok(0, 1), ok(2, 3), ok(1, 4), ok(3, 1)} // no round 4; rounds out of order
	got := pairRatios(runs, ref, func(r runResult) float64 { return r.WallS })
	if want := []float64{0.5, 2}; !slices.Equal(got, want) {
		t.Errorf("pairRatios = %v, want %v", got, want)
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	w := workload{Name: "order", TotalBytes: 100 << 20}
	cs := []contender{{Name: "dlhelper"}, {Name: "aria2c"}}
	run := func(round int, wall float64, kib int64, ok bool) runResult {
		return runResult{Round: round, Warmup: round <= 0, WallS: wall, CPUS: wall / 2, MachineCPUS: wall * 2, PeakRSSKiB: kib, SHA256OK: ok}
	}
	runs := map[string][]runResult{
		"dlhelper": {run(0, 9, 1024, true), run(1, 1, 2048, true), run(2, 3, 4096, true), run(3, 2, 3072, true)},
		"aria2c":   {run(0, 9, 1024, true), run(1, 2, 1024, true), run(2, 2, 1024, false), run(3, 2, 1024, true)},
	}
	got := summarize(w, cs, runs)
	d, a := got[0], got[1]
	if d.ValidRuns != 3 || d.MedianWallS != 2 || d.PeakRSSMiB != 3 || d.MaxRSSMiB != 4 || d.MiBPerS != 50 || !d.SHA256OK {
		t.Errorf("dlhelper: %+v; want 3 valid runs, median 2 s, RSS 3 MiB (max 4), 50 MiB/s, sha256 ok", d)
	}
	// Round 2 is void for aria2c, so only rounds 1 and 3 pair: 1/2 and 2/2.
	if d.WallRatio == nil || *d.WallRatio != 0.75 {
		t.Errorf("dlhelper wall ratio %v, want 0.75", d.WallRatio)
	}
	if d.MedianMachineCPUS != 4 || d.MachineCPURatio == nil || *d.MachineCPURatio != 0.75 {
		t.Errorf("dlhelper machine CPU median %v, ratio %v; want 4 and 0.75", d.MedianMachineCPUS, d.MachineCPURatio)
	}
	if a.SHA256OK || a.ValidRuns != 2 || a.WallRatio == nil || *a.WallRatio != 1 {
		t.Errorf("aria2c: sha256 ok %v, %d valid runs, ratio %v; want false, 2, 1", a.SHA256OK, a.ValidRuns, a.WallRatio)
	}
}

func TestSummarizeWithoutAria2c(t *testing.T) {
	t.Parallel()
	runs := map[string][]runResult{"curl": {{Round: 1, WallS: 1, SHA256OK: true}}}
	got := summarize(workload{Name: "big"}, []contender{{Name: "curl"}}, runs)
	if got[0].WallRatio != nil || got[0].CPURatio != nil {
		t.Errorf("ratios without aria2c = %v, %v; want none", got[0].WallRatio, got[0].CPURatio)
	}
}
