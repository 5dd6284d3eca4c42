package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestContenderArgs(t *testing.T) {
	t.Parallel()
	one := task{dir: "/d", scratch: t.TempDir(), urls: []string{"http://h/b/a.bin?X=1&Y=2"}, names: []string{"a.bin"}}
	many := task{dir: "/d", scratch: t.TempDir(), urls: []string{"http://h/1?s=1", "http://h/2?s=2"}, names: []string{"one.zip", "two.zip"},
		sha256s: []string{strings.Repeat("1", 64), strings.Repeat("2", 64)}}

	if got, _ := curlArgs(one); strings.Join(got, " ") != "-q -sSf -o /d/a.bin http://h/b/a.bin?X=1&Y=2" {
		t.Errorf("curl, one URL: %q", got)
	}
	if got, _ := aria2Args(one); !strings.HasSuffix(strings.Join(got, " "), "--out a.bin http://h/b/a.bin?X=1&Y=2") {
		t.Errorf("aria2c, one URL: %q", got)
	}
	if got, _ := dlhelperArgs(many); strings.Join(got[:2], " ") != "get --quiet" || got[len(got)-1] != "http://h/2?s=2" {
		t.Errorf("dlhelper: %q", got)
	}
	if got, _ := dlhelperJobArgs(many); strings.Join(got[len(got)-2:], " ") != "--job "+filepath.Join(many.scratch, "job.json") {
		t.Errorf("dlhelper-sha256: %q", got)
	}
	if _, err := curlArgs(many); err != nil {
		t.Fatal(err)
	}
	if _, err := aria2Args(many); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"curl.cfg":    "url = \"http://h/1?s=1\"\noutput = \"/d/one.zip\"\nurl = \"http://h/2?s=2\"\noutput = \"/d/two.zip\"\n",
		"aria2c.list": "http://h/1?s=1\n  out=one.zip\nhttp://h/2?s=2\n  out=two.zip\n",
		"job.json": `{"name":"dlbench","files":[{"url":"http://h/1?s=1","name":"one.zip","sha256":"` + strings.Repeat("1", 64) +
			`"},{"url":"http://h/2?s=2","name":"two.zip","sha256":"` + strings.Repeat("2", 64) + `"}]}`,
	}
	for name, want := range files {
		b, err := os.ReadFile(filepath.Join(many.scratch, name))
		if err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", name, b, err, want)
		}
	}
}

func TestDlhelperArgsTooLong(t *testing.T) {
	t.Parallel()
	long := task{dir: "/d", scratch: "/s", urls: make([]string, 20000)}
	for i := range long.urls {
		long.urls[i] = "http://127.0.0.1:9000/" + strings.Repeat("x", 300)
	}
	if _, err := dlhelperArgs(long); err == nil || !strings.Contains(err.Error(), "lower --scale") {
		t.Errorf("20,000 long URLs: %v, want an error asking to lower --scale", err)
	}
}

func TestNiceAxis(t *testing.T) {
	t.Parallel()
	tests := []struct{ v, end, step float64 }{
		{0.79, 0.8, 0.2},
		{3.2, 4, 1},
		{12, 15, 5},
		{47, 50, 10},
		{0, 1, 0.2},
	}
	for _, tt := range tests {
		end, step := niceAxis(tt.v)
		if end < tt.v || abs(end-tt.end) > 1e-9 || abs(step-tt.step) > 1e-9 {
			t.Errorf("niceAxis(%v) = %v, %v; want %v, %v", tt.v, end, step, tt.end, tt.step)
		}
	}
}

func abs(x float64) float64 { return max(x, -x) }

// TestReportRendering checks the table and chart of a report with a failed
// contender and a missing reference: dashes, a visible failure, escaped text.
func TestReportRendering(t *testing.T) {
	t.Parallel()
	r := &report{
		Settings:   settings{Rounds: 1, Scale: 0.01},
		Contenders: []contender{{Name: "dlhelper", Version: "dlhelper v1<2"}, {Name: "curl", Version: "curl 7.88.1 (x86_64)"}},
		Workloads:  []workload{{Name: "small", Title: "20 × 64 KiB", Files: 20, TotalBytes: 20 << 16}},
		Results: []result{
			{Workload: "small", Contender: "dlhelper", ValidRuns: 1, SHA256OK: true, MedianWallS: 1.5, MedianCPUS: 0.5, MedianMachineCPUS: 0.75, PeakRSSMiB: 12,
				Runs: []runResult{{Round: 1, SHA256OK: true}}},
			{Workload: "small", Contender: "curl", Runs: []runResult{{Round: 1, Error: "chip: sha256 wrong"}}},
		},
	}
	md := markdown(r)
	for _, want := range []string{
		"| small: 20 × 64 KiB | dlhelper | 1.50 | — | 0.50 | — | 0.75 | — | 12 | yes |",
		"| small: 20 × 64 KiB | curl | — | — | — | — | — | — | — | **no** (1 of 1 runs failed) |",
		"dlhelper v1<2, curl 7.88.1;",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	svg := string(chartSVG(r))
	for _, want := range []string{"small: 20 × 64 KiB (1.2 MiB)", "no valid run", "1.50 s", "</svg>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if strings.Contains(svg, "v1<2") {
		t.Error("chart holds unescaped text")
	}
}

func TestThousands(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{7: "7", 200: "200", 2000: "2,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestShortVersionIsTheNumberAlone(t *testing.T) {
	for _, tc := range []struct{ name, version, want string }{
		{"aria2c", "aria2 version 1.36.0", "1.36.0"},
		{"curl", "curl 7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1", "7.88.1"},
		{"dlhelper", "dlhelper 58da067", "58da067"},
		{"dlhelper-sha256", "dlhelper 58da067", "58da067"},
		{"baseline", "dlhelper dev", "dev"},
		{"curl", "", "unknown"},
	} {
		if got := shortVersion(contender{Name: tc.name, Version: tc.version}); got != tc.want {
			t.Errorf("shortVersion(%s, %q) = %q, want %q", tc.name, tc.version, got, tc.want)
		}
	}
}

// --render draws the report of a saved results.json again, the same as
// when it was measured, and refuses a file that is not one.
func TestRenderRedrawsASavedReport(t *testing.T) {
	t.Parallel()
	r := &report{
		Settings:   settings{Rounds: 1, Scale: 1},
		Contenders: []contender{{Name: "dlhelper-sha256", Version: "dlhelper 875bf90"}},
		Workloads:  []workload{{Name: "small", Title: "2 × 64 KiB", Files: 2, TotalBytes: 2 << 16}},
		Results: []result{{Workload: "small", Contender: "dlhelper-sha256", ValidRuns: 1, SHA256OK: true, MedianWallS: 1.25,
			Runs: []runResult{{Round: 1, SHA256OK: true}}}},
	}
	measured, redrawn := t.TempDir(), t.TempDir()
	if err := writeReport(measured, r); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	if code := run(t.Context(), []string{"--render", filepath.Join(measured, "results.json"), "--out", redrawn}, &stdout, &stderr); code != 0 {
		t.Fatalf("--render exited %d: %s", code, stderr.String())
	}
	for _, name := range []string{"results.md", "chart.svg"} {
		want, _ := os.ReadFile(filepath.Join(measured, name))
		got, err := os.ReadFile(filepath.Join(redrawn, name))
		if err != nil || string(got) != string(want) || len(want) == 0 {
			t.Errorf("%s drawn again differs from the one measured (%v)", name, err)
		}
	}
	bad := filepath.Join(t.TempDir(), "results.json")
	os.WriteFile(bad, []byte(`{"results": []}`), 0o644)
	stderr.Reset()
	if code := run(t.Context(), []string{"--render", bad, "--out", t.TempDir()}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "is not a results.json written by dlbench") {
		t.Errorf("--render of an empty report: exit %d, %q", code, stderr.String())
	}
}

// Every contender's name fits left of the bars, at DejaVu Sans 12 px
// (at most 7.5 px a character for these names).
func TestEveryContenderNameFitsLeftOfTheBars(t *testing.T) {
	for _, name := range append([]string{baseline}, contenderNames...) {
		if width := 7.5 * float64(len(name)); plotLeft-8-width < 10 {
			t.Errorf("%q is about %.0f px wide, more than the %d px left of the bars", name, width, plotLeft-18)
		}
	}
}
