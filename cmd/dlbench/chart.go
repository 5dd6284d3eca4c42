package main

import (
	"fmt"
	"html"
	"math"
	"strings"

	"dlhelper/internal/wan"
)

// The chart's geometry, in pixels. Each workload gets a panel with its own
// time axis: a 1 GiB object and 2,000 small files take very different
// times, and one shared axis would flatten the short workloads into slivers.
const (
	chartWidth  = 820
	plotLeft    = 136 // bars start here; contender names sit left of it
	plotRight   = 640 // the end of each panel's axis; value labels go beyond
	barHeight   = 20
	barGap      = 7
	panelTitle  = 30 // heading above a panel's bars
	panelAxis   = 34 // tick labels below them
	panelGap    = 14
	headerSpace = 92 // title, subtitle and legend
)

// contenderColors are from the Okabe–Ito palette, distinct for colour-blind
// readers too.
var contenderColors = map[string]string{"dlhelper": "#0072B2", "dlhelper-sha256": "#56B4E9", "aria2c": "#E69F00", "curl": "#009E73"}

// chartSVG draws the median wall time of every contender, grouped by
// workload, as horizontal bars; by hand, so dlbench needs no plotting
// library.
func chartSVG(r *report) []byte {
	groups := groupResults(r)
	height := headerSpace
	for _, g := range groups {
		height += panelHeight(len(g))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`+"\n",
		chartWidth, height, chartWidth, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	chartHeader(&b, r)
	y := headerSpace
	for _, g := range groups {
		chartPanel(&b, r, g, y)
		y += panelHeight(len(g))
	}
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

// groupResults splits the results by link and workload, keeping their
// order.
func groupResults(r *report) [][]result {
	var groups [][]result
	for _, res := range r.Results {
		if n := len(groups); n > 0 && groups[n-1][0].Workload == res.Workload && groups[n-1][0].Link == res.Link {
			groups[n-1] = append(groups[n-1], res)
			continue
		}
		groups = append(groups, []result{res})
	}
	return groups
}

func panelHeight(bars int) int {
	return panelTitle + bars*(barHeight+barGap) - barGap + panelAxis + panelGap
}

func chartHeader(b *strings.Builder, r *report) {
	text(b, 20, 30, "start", `font-size="17" font-weight="bold" fill="#111"`, "Download time, median wall seconds (lower is better)")
	over := "on MinIO over loopback"
	if len(r.Settings.WAN) > 0 {
		over = "on MinIO through the WAN emulator"
	}
	if r.Settings.HTTPS {
		over += ", HTTPS"
	}
	sub := fmt.Sprintf("%d round(s) after %d warm-up, interleaved, %s · %d CPUs · scale %g · %s",
		r.Settings.Rounds, r.Settings.Warmup, over, r.Host.CPUs, r.Settings.Scale, r.Started.Format("2006-01-02"))
	text(b, 20, 50, "start", `fill="#555"`, sub)
	x := 20
	for _, c := range r.Contenders {
		fmt.Fprintf(b, `<rect x="%d" y="62" width="14" height="14" rx="2" fill="%s"/>`+"\n", x, color(c.Name))
		label := c.Name
		switch c.Name {
		case "dlhelper":
			label = "dlhelper get"
		case withSHA256:
			label = "dlhelper get --job (SHA-256s)"
		}
		text(b, x+20, 74, "start", `fill="#222"`, label)
		x += 30 + 8*len(label)
	}
	note := "×: ratio to aria2c, median of rounds"
	if len(r.Settings.WAN) > 0 {
		note = "×: ratio to aria2c · dashed: link limit"
	}
	text(b, chartWidth-20, 74, "end", `fill="#555"`, note)
}

// chartPanel draws one workload's bars on an axis of its own, from y;
// through the WAN emulator, with the link limit as a dashed line.
func chartPanel(b *strings.Builder, r *report, rs []result, y int) {
	w := r.workload(rs[0].Workload)
	heading := w.Name + ": " + w.Title
	if w.Files > 1 {
		heading += " (" + humanBytes(w.TotalBytes) + ")"
	}
	if link := linkTitle(r, rs[0].Link); link != "" {
		heading = fmt.Sprintf("%s · %s · link limit %.2f s", link, heading, rs[0].LinkLimitS)
	}
	text(b, 20, y+18, "start", `font-size="14" font-weight="bold" fill="#111"`, heading)
	top := y + panelTitle
	bottom := top + len(rs)*(barHeight+barGap) - barGap
	longest := rs[0].LinkLimitS
	for _, res := range rs {
		longest = max(longest, res.MedianWallS)
	}
	axisMax, step := niceAxis(longest)
	scale := float64(plotRight-plotLeft) / axisMax
	for v := 0.0; v <= axisMax+step/2; v += step {
		x := plotLeft + int(math.Round(v*scale))
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#e3e3e3"/>`+"\n", x, top-4, x, bottom+4)
		text(b, x, bottom+18, "middle", `font-size="11" fill="#666"`, tickLabel(v, step))
	}
	text(b, plotRight+14, bottom+18, "start", `font-size="11" fill="#666"`, "s")
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999"/>`+"\n", plotLeft, top-4, plotLeft, bottom+4)
	for i, res := range rs {
		barY := top + i*(barHeight+barGap)
		mid := barY + barHeight/2 + 4
		text(b, plotLeft-8, mid, "end", `fill="#222"`, res.Contender)
		if res.ValidRuns == 0 {
			text(b, plotLeft+6, mid, "start", `fill="#c00" font-weight="bold"`, "no valid run")
			continue
		}
		width := max(1, int(math.Round(res.MedianWallS*scale)))
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" rx="2" fill="%s"><title>%s</title></rect>`+"\n",
			plotLeft, barY, width, barHeight, color(res.Contender), html.EscapeString(barTitle(res)))
		fmt.Fprintf(b, `<text x="%d" y="%d" fill="#222">%s</text>`+"\n", plotLeft+width+6, mid, barLabel(res))
	}
	// Over the bars, so a bar's end shows against it.
	if limit := rs[0].LinkLimitS; limit > 0 {
		x := plotLeft + int(math.Round(limit*scale))
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#D55E00" stroke-width="1.5" stroke-dasharray="4 3"/>`+"\n", x, top-4, x, bottom+4)
	}
}

// barLabel is the value at a bar's end, "3.21 s", then in grey the
// ratio to aria2c, "×1.05", and through the WAN emulator the ratio to the
// link limit, "1.68× limit".
func barLabel(res result) string {
	s := html.EscapeString(fmt.Sprintf("%.2f s", res.MedianWallS))
	if res.WallRatio != nil && res.Contender != reference {
		s += fmt.Sprintf(`<tspan dx="8" fill="#666">×%.2f</tspan>`, *res.WallRatio)
	}
	if res.LinkRatio != nil {
		s += fmt.Sprintf(`<tspan dx="8" fill="#D55E00">%.2f× limit</tspan>`, *res.LinkRatio)
	}
	if !res.SHA256OK {
		s += `<tspan dx="8" fill="#c00">some runs failed</tspan>`
	}
	return s
}

// barTitle is the tooltip: the other measurements of the row.
func barTitle(res result) string {
	return fmt.Sprintf("%s: %.2f s wall, %.2f s CPU, %.0f MiB peak RSS, %.0f MiB/s, %d valid run(s)",
		res.Contender, res.MedianWallS, res.MedianCPUS, res.PeakRSSMiB, res.MiBPerS, res.ValidRuns)
}

// niceAxis picks an axis end at or above v and a tick step of 1, 2 or 5
// times a power of ten, giving four to ten ticks.
func niceAxis(v float64) (end, step float64) {
	if !(v > 0) {
		return 1, 0.2
	}
	raw := v / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * mag
	for _, f := range []float64{1, 2, 5} {
		if f*mag >= raw {
			step = f * mag
			break
		}
	}
	return math.Ceil(v/step-1e-9) * step, step
}

// tickLabel prints v with as many decimals as step needs.
func tickLabel(v, step float64) string {
	decimals := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	return fmt.Sprintf("%.*f", decimals, v)
}

func color(name string) string {
	if c, ok := contenderColors[name]; ok {
		return c
	}
	return "#888888"
}

func text(b *strings.Builder, x, y int, anchor, attrs, s string) {
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="%s" %s>%s</text>`+"\n", x, y, anchor, attrs, html.EscapeString(s))
}

// linkTitle names a WAN link for a panel heading, "rtt60 (60 ms, 4 MiB/s
// per connection, 50 MiB/s line)"; "" on loopback.
func linkTitle(r *report, name string) string {
	if name == "" {
		return ""
	}
	for _, p := range r.Settings.WAN {
		if p.Name == name {
			return fmt.Sprintf("%s (%d ms, %g/%g MiB/s)", p.Name, p.RTT.Milliseconds(), float64(p.ConnRate)/wan.MiB, float64(p.LineRate)/wan.MiB)
		}
	}
	return name
}
