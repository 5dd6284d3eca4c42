package main

import (
	"slices"
)

// result sums up one contender on one workload over the measured rounds.
// Warm-up runs are kept in Runs but count for nothing else; medians are
// over valid runs only.
type result struct {
	Workload    string      `json:"workload"`
	Contender   string      `json:"contender"`
	Runs        []runResult `json:"runs"`
	ValidRuns   int         `json:"valid_runs"` // measured runs that succeeded and verified
	SHA256OK    bool        `json:"sha256_ok"`  // every run, warm-ups included, verified
	MedianWallS float64     `json:"median_wall_s"`
	MedianCPUS  float64     `json:"median_cpu_s"`
	MedianUserS float64     `json:"median_user_s"`
	MedianSysS  float64     `json:"median_sys_s"`
	// MedianMachineCPUS is the median of runResult.MachineCPUS.
	MedianMachineCPUS float64 `json:"median_machine_cpu_s"`
	PeakRSSMiB        float64 `json:"peak_rss_mib"`     // median of the runs' peaks
	MaxRSSMiB         float64 `json:"max_peak_rss_mib"` // the highest peak of any run
	MiBPerS           float64 `json:"mib_per_s"`        // workload bytes / median wall
	// Ratios to aria2c: per measured round, this contender's value over
	// aria2c's in the same round, and their median. Nil without aria2c or
	// without a round where both runs are valid.
	WallRatios []float64 `json:"wall_ratios,omitempty"`
	CPURatios  []float64 `json:"cpu_ratios,omitempty"`
	WallRatio  *float64  `json:"wall_ratio_to_aria2c"`
	CPURatio   *float64  `json:"cpu_ratio_to_aria2c"`
	// The same for the machine's CPU (runResult.MachineCPUS).
	MachineCPURatios []float64 `json:"machine_cpu_ratios,omitempty"`
	MachineCPURatio  *float64  `json:"machine_cpu_ratio_to_aria2c"`
	// Through the WAN emulator: the profile's name, the link limit (the
	// workload's bytes at the line's rate plus a round trip) and the
	// median wall time over it. Empty on loopback.
	Link       string   `json:"link,omitempty"`
	LinkLimitS float64  `json:"link_limit_s,omitempty"`
	LinkRatio  *float64 `json:"ratio_to_link_limit,omitempty"`
}

// summarize turns each contender's runs on w into a result, in the
// contenders' order.
func summarize(w workload, cs []contender, runs map[string][]runResult) []result {
	var out []result
	for _, c := range cs {
		rs := runs[c.Name]
		res := result{Workload: w.Name, Contender: c.Name, Runs: rs, SHA256OK: len(rs) > 0}
		var wall, cpu, user, sys, rss, machine []float64
		for _, r := range rs {
			res.SHA256OK = res.SHA256OK && r.SHA256OK
			if r.Warmup || !r.valid() {
				continue
			}
			wall, cpu = append(wall, r.WallS), append(cpu, r.CPUS)
			user, sys = append(user, r.UserS), append(sys, r.SysS)
			machine = append(machine, r.MachineCPUS)
			rss = append(rss, float64(r.PeakRSSKiB)/1024)
		}
		res.ValidRuns = len(wall)
		if res.ValidRuns > 0 {
			res.MedianWallS, res.MedianCPUS = median(wall), median(cpu)
			res.MedianUserS, res.MedianSysS = median(user), median(sys)
			res.MedianMachineCPUS = median(machine)
			res.PeakRSSMiB, res.MaxRSSMiB = median(rss), slices.Max(rss)
			res.MiBPerS = float64(w.TotalBytes) / (1 << 20) / res.MedianWallS
		}
		if ref, ok := runs[reference]; ok {
			res.WallRatios = pairRatios(rs, ref, func(r runResult) float64 { return r.WallS })
			res.CPURatios = pairRatios(rs, ref, func(r runResult) float64 { return r.CPUS })
			res.MachineCPURatios = pairRatios(rs, ref, func(r runResult) float64 { return r.MachineCPUS })
			res.WallRatio, res.CPURatio = medianPtr(res.WallRatios), medianPtr(res.CPURatios)
			res.MachineCPURatio = medianPtr(res.MachineCPURatios)
		}
		out = append(out, res)
	}
	return out
}

// pairRatios divides value(run) by value(reference run) for every measured
// round in which both runs are valid, in round order.
func pairRatios(runs, ref []runResult, value func(runResult) float64) []float64 {
	byRound := make(map[int]runResult, len(ref))
	for _, r := range ref {
		byRound[r.Round] = r
	}
	var ratios []float64
	for _, r := range runs {
		b, ok := byRound[r.Round]
		if r.Warmup || !ok || !r.valid() || !b.valid() || value(b) <= 0 {
			continue
		}
		ratios = append(ratios, value(r)/value(b))
	}
	return ratios
}

// median of xs, which must not be empty; the mean of the middle two for an
// even count.
func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func medianPtr(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	m := median(xs)
	return &m
}
