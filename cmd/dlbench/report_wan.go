package main

import (
	"fmt"
	"strings"
)

// wanMarkdown is the table of a run through the WAN emulator: per link,
// workload and contender, the median wall time next to the link limit,
// the least time the line allows, and the ratios to it and to aria2c.
// The machine's CPU is left out: the emulator runs inside dlbench, so the
// machine's busy time would charge its work to the contender.
func wanMarkdown(r *report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Median of %d measured round(s) after %d warm-up round(s), contenders interleaved, through the WAN emulator (internal/wan) in front of MinIO:\n\n",
		r.Settings.Rounds, r.Settings.Warmup)
	for _, p := range r.Settings.WAN {
		fmt.Fprintf(&b, "- %s\n", p)
	}
	fmt.Fprintf(&b, "\nThe link limit is the workload's bytes at the line's rate plus one round trip; no client can beat it, "+
		"and a ratio to it of 1.00 fills the line from the start. A ratio to aria2c is the median over rounds of contender / aria2c in the same round. "+
		"CPU is the process's own (rusage). %s; scale %g; %s.\n\n", r.machine(), r.Settings.Scale, r.Started.Format("2006-01-02"))
	b.WriteString("| link | workload | contender | median wall (s) | link limit (s) | ratio to link limit | ratio to aria2c | CPU s (user+sys) | peak RSS (MiB) | sha256 ok |\n")
	b.WriteString("|---|---|---|--:|--:|--:|--:|--:|--:|---|\n")
	for _, res := range r.Results {
		w := r.workload(res.Workload)
		wall, cpu, rss := "—", "—", "—"
		if res.ValidRuns > 0 {
			wall, cpu, rss = fmt.Sprintf("%.2f", res.MedianWallS), fmt.Sprintf("%.2f", res.MedianCPUS), fmt.Sprintf("%.0f", res.PeakRSSMiB)
		}
		link := res.Link
		if link == "" {
			link = "loopback"
		}
		fmt.Fprintf(&b, "| %s | %s: %s | %s | %s | %.2f | %s | %s | %s | %s | %s |\n", link, w.Name, w.Title, res.Contender,
			wall, res.LinkLimitS, ratio(res.LinkRatio), ratio(res.WallRatio), cpu, rss, verdict(res))
	}
	return b.String()
}
