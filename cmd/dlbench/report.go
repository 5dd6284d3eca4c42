package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"dlhelper/internal/testenv"
	"dlhelper/internal/wan"
)

// report is everything one benchmark measured; results.json is this.
type report struct {
	Started    time.Time   `json:"started"`
	Seconds    float64     `json:"seconds"` // the whole benchmark, uploads included
	Host       host        `json:"host"`
	Settings   settings    `json:"settings"`
	Contenders []contender `json:"contenders"`
	Workloads  []workload  `json:"workloads"`
	Results    []result    `json:"results"`
}

type host struct {
	OS     string `json:"os"`
	Arch   string `json:"arch"`
	CPUs   int    `json:"cpus"`
	CPU    string `json:"cpu,omitempty"`
	Kernel string `json:"kernel,omitempty"`
	Go     string `json:"go"`
}

type settings struct {
	Rounds int           `json:"rounds"`
	Warmup int           `json:"warmup"`
	Scale  float64       `json:"scale"`
	WAN    []wan.Profile `json:"wan,omitempty"` // the links measured; none is loopback
	HTTPS  bool          `json:"https,omitempty"`
}

func newReport(started time.Time, o options, cs []contender, ws []workload) *report {
	return &report{
		Started: started.UTC().Truncate(time.Second),
		Host: host{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(),
			CPU: cpuModel(), Kernel: firstLine("/proc/sys/kernel/osrelease"), Go: runtime.Version()},
		Settings:   settings{Rounds: o.rounds, Warmup: o.warmup, Scale: o.scale, WAN: o.wan, HTTPS: o.https},
		Contenders: cs,
		Workloads:  ws,
	}
}

// failedRuns counts runs, warm-ups included, that failed or wrote a wrong
// byte.
func (r *report) failedRuns() int {
	n := 0
	for _, res := range r.Results {
		for _, run := range res.Runs {
			if !run.valid() {
				n++
			}
		}
	}
	return n
}

func (r *report) workload(name string) workload {
	for _, w := range r.Workloads {
		if w.Name == name {
			return w
		}
	}
	return workload{Name: name, Title: name}
}

// writeReport writes results.json, results.md and chart.svg into dir.
func writeReport(dir string, r *report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	files := map[string][]byte{
		"results.json": append(js, '\n'),
		"results.md":   []byte(markdown(r)),
		"chart.svg":    chartSVG(r),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("write results: %w", err)
		}
	}
	return nil
}

// readReport reads a results.json that writeReport wrote.
func readReport(path string) (*report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the results to render: %w", err)
	}
	var r report
	if err := json.Unmarshal(data, &r); err != nil || len(r.Results) == 0 {
		return nil, fmt.Errorf("%s is not a results.json written by dlbench (%v); give the one in a --out folder", path, err)
	}
	return &r, nil
}

// markdown is the results table with a paragraph saying how it was made.
func markdown(r *report) string {
	if len(r.Settings.WAN) > 0 {
		return wanMarkdown(r)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Median of %d measured round(s) after %d warm-up round(s), contenders interleaved; "+
		"a ratio is the median over rounds of contender / aria2c in the same round (below 1: less than aria2c). "+
		"CPU is the process's own (rusage); machine CPU is every CPU's busy time, less MinIO's, from the start until the files are on disk "+
		"(it adds the kernel's write-back, which a program that never fsyncs leaves to the kernel's threads). "+
		"%s; scale %g; %s.\n\n", r.Settings.Rounds, r.Settings.Warmup, r.machine(), r.Settings.Scale, r.Started.Format("2006-01-02"))
	b.WriteString("| workload | contender | median wall (s) | ratio to aria2c | CPU s (user+sys) | CPU ratio | machine CPU s | machine CPU ratio | peak RSS (MiB) | sha256 ok |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|---|\n")
	for _, res := range r.Results {
		w := r.workload(res.Workload)
		wall, cpu, machine, rss := "—", "—", "—", "—"
		if res.ValidRuns > 0 {
			wall, cpu, rss = fmt.Sprintf("%.2f", res.MedianWallS), fmt.Sprintf("%.2f", res.MedianCPUS), fmt.Sprintf("%.0f", res.PeakRSSMiB)
			machine = fmt.Sprintf("%.2f", res.MedianMachineCPUS)
		}
		fmt.Fprintf(&b, "| %s: %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", w.Name, w.Title, res.Contender,
			wall, ratio(res.WallRatio), cpu, ratio(res.CPURatio), machine, ratio(res.MachineCPURatio), rss, verdict(res))
	}
	return b.String()
}

// machine names the host and the versions measured, for the table's note.
func (r *report) machine() string {
	var parts []string
	cpu := fmt.Sprintf("%d CPUs", r.Host.CPUs)
	if r.Host.CPU != "" {
		cpu += " (" + r.Host.CPU + ")"
	}
	server := "MinIO " + shortMinIO() + " on loopback"
	if r.Settings.HTTPS {
		server += " over HTTPS (a self-signed test certificate)"
	}
	parts = append(parts, cpu, r.Host.OS+" "+r.Host.Kernel, server)
	for _, c := range r.Contenders {
		parts = append(parts, c.Name+" "+shortVersion(c))
	}
	return strings.Join(parts, ", ")
}

// shortVersion is the version number alone: "aria2 version 1.36.0" and
// "curl 7.88.1 (x86_64-pc-linux-gnu) libcurl/…" give 1.36.0 and 7.88.1.
func shortVersion(c contender) string {
	for _, f := range strings.Fields(c.Version) {
		if f != c.Name && f != "dlhelper" && f != "aria2" && f != "version" {
			return f
		}
	}
	return "unknown"
}

// shortMinIO is the date and commit of the pinned MinIO's pseudo-version.
func shortMinIO() string {
	parts := strings.Split(testenv.MinIOVersion, "-")
	if len(parts) != 3 || len(parts[1]) < 8 {
		return testenv.MinIOVersion
	}
	return parts[1][:8] + "-" + parts[2]
}

func ratio(p *float64) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprintf("%.2f", *p)
}

// verdict is the sha256 column: every run verified, or how many did not.
func verdict(res result) string {
	if res.SHA256OK && res.ValidRuns > 0 {
		return "yes"
	}
	bad := 0
	for _, r := range res.Runs {
		if !r.valid() {
			bad++
		}
	}
	return fmt.Sprintf("**no** (%d of %d runs failed)", bad, len(res.Runs))
}

// cpuModel is the first "model name" of /proc/cpuinfo, or "".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return ""
}

func firstLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line)
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	s := fmt.Sprintf("%.1f", float64(n)/float64(div))
	return strings.TrimSuffix(s, ".0") + " " + string("KMGTPE"[exp]) + "iB"
}

// thousands writes n with comma separators: 2000 → "2,000".
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
