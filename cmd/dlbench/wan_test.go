package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"dlhelper/internal/wan"
)

// TestWANSmoke runs a few MiB through the WAN emulator over HTTPS, one
// profile and one round, and checks that every contender trusted the test
// certificate, verified its files and got a ratio to the link limit. Like
// TestSmoke it asserts nothing about time.
func TestWANSmoke(t *testing.T) {
	requireTools(t)
	out := t.TempDir()
	args := []string{"--wan", "rtt60", "--https", "--workloads", "wan-big,wan-small", "--scale", "0.01",
		"--rounds", "1", "--warmup", "0", "--out", out, "--work", t.TempDir()}
	args = append(args, dlhelperFlag(t)...)
	if code := run(t.Context(), args, io.Discard, t.Output()); code != 0 {
		t.Fatalf("dlbench %s exited %d, want 0 (its log is above)", strings.Join(args, " "), code)
	}
	b, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	if !rep.Settings.HTTPS || len(rep.Settings.WAN) != 1 || rep.Settings.WAN[0] != wan.RTT60 {
		t.Errorf("settings = %+v, want HTTPS and the rtt60 profile", rep.Settings)
	}
	for _, w := range []string{"wan-big", "wan-small"} {
		for _, c := range wanContenders {
			res, ok := findResult(rep, w, c)
			switch {
			case !ok:
				t.Errorf("results.json has no result for %s × %s", w, c)
			case !res.SHA256OK || res.ValidRuns != 1:
				t.Errorf("%s × %s: sha256_ok %v, valid_runs %d, want true and 1; runs %+v", w, c, res.SHA256OK, res.ValidRuns, res.Runs)
			case res.Link != "rtt60" || res.LinkLimitS <= 0 || res.LinkRatio == nil:
				t.Errorf("%s × %s: link %q, limit %v s, ratio %v; want rtt60 and both set", w, c, res.Link, res.LinkLimitS, res.LinkRatio)
			}
		}
	}
}

func TestParseOptionsWAN(t *testing.T) {
	t.Parallel()
	o, err := parseOptions([]string{"--wan", "rtt200,rtt60", "--https"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.wan, []wan.Profile{wan.RTT200, wan.RTT60}) || !o.https {
		t.Errorf("--wan rtt200,rtt60 --https: profiles %v, https %v", o.wan, o.https)
	}
	if want := []string{"wan-big", "wan-order", "wan-small"}; !slices.Equal(o.workloads, want) || !slices.Equal(o.contenders, wanContenders) {
		t.Errorf("--wan defaults: workloads %v, contenders %v; want %v and %v", o.workloads, o.contenders, want, wanContenders)
	}
	o, err = parseOptions([]string{"--wan", "rtt60", "--workloads", "small", "--contenders", "curl"}, io.Discard)
	if err != nil || !slices.Equal(o.workloads, []string{"small"}) || !slices.Equal(o.contenders, []string{"curl"}) {
		t.Errorf("--wan with lists given: %v, %v, %v; want the lists as given", o.workloads, o.contenders, err)
	}
	if _, err := parseOptions([]string{"--wan", "mars"}, io.Discard); err == nil || !strings.Contains(err.Error(), `unknown WAN profile "mars"`) {
		t.Errorf("--wan mars: %v, want an unknown-profile error", err)
	}
	if o, _ := parseOptions(nil, io.Discard); o.wan != nil || o.https {
		t.Errorf("defaults: wan %v, https %v; want loopback over HTTP", o.wan, o.https)
	}
}

func TestContenderArgsTrustTheTestCertificate(t *testing.T) {
	t.Parallel()
	one := task{dir: "/d", scratch: t.TempDir(), urls: []string{"https://h/a"}, names: []string{"a"}, caFile: "/c/public.crt"}
	many := one
	many.urls, many.names = []string{"https://h/1", "https://h/2"}, []string{"1", "2"}
	for _, tt := range []struct {
		name string
		args func(task) ([]string, error)
		t    task
		want string
	}{
		{"curl, one URL", curlArgs, one, "--cacert /c/public.crt"},
		{"curl, many URLs", curlArgs, many, "--cacert /c/public.crt"},
		{"aria2c, one URL", aria2Args, one, "--ca-certificate=/c/public.crt"},
		{"aria2c, many URLs", aria2Args, many, "--ca-certificate=/c/public.crt"},
	} {
		got, err := tt.args(tt.t)
		if err != nil || !strings.Contains(strings.Join(got, " "), tt.want) {
			t.Errorf("%s: %q, %v; want %q in it", tt.name, got, err, tt.want)
		}
	}
}

// A WAN report shows each row's link, the link limit and the ratio to
// it, in the table and the chart, and --render draws it again the same.
func TestWANReportRendering(t *testing.T) {
	t.Parallel()
	ratio, toAria := 1.68, 1.0
	r := &report{
		Settings:   settings{Rounds: 3, Scale: 1, WAN: []wan.Profile{wan.RTT60}, HTTPS: true},
		Contenders: []contender{{Name: "dlhelper", Version: "dlhelper v1"}, {Name: "aria2c", Version: "aria2 version 1.36.0"}},
		Workloads:  []workload{{Name: "wan-big", Title: "1 × 256 MiB", Files: 1, FileBytes: 256 << 20, TotalBytes: 256 << 20}},
		Results: []result{
			{Workload: "wan-big", Contender: "dlhelper", Link: "rtt60", LinkLimitS: 5.18, LinkRatio: &ratio, WallRatio: &toAria,
				ValidRuns: 3, SHA256OK: true, MedianWallS: 8.7, MedianCPUS: 0.9, PeakRSSMiB: 30, Runs: []runResult{{Round: 1, SHA256OK: true}}},
			{Workload: "wan-big", Contender: "aria2c", Link: "rtt60", LinkLimitS: 5.18, Runs: []runResult{{Round: 1, Error: "aria2c: exit status 1"}}},
		},
	}
	md := markdown(r)
	for _, want := range []string{
		"- rtt60: RTT 60 ms, 4 MiB/s per connection, 50 MiB/s line",
		"| link | workload | contender | median wall (s) | link limit (s) | ratio to link limit | ratio to aria2c |",
		"| rtt60 | wan-big: 1 × 256 MiB | dlhelper | 8.70 | 5.18 | 1.68 | 1.00 | 0.90 | 30 | yes |",
		"| rtt60 | wan-big: 1 × 256 MiB | aria2c | — | 5.18 | — | — | — | — | **no** (1 of 1 runs failed) |",
		"over HTTPS",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	svg := string(chartSVG(r))
	for _, want := range []string{"rtt60 (60 ms, 4/50 MiB/s) · wan-big: 1 × 256 MiB · link limit 5.18 s", "stroke-dasharray", "1.68× limit", "through the WAN emulator, HTTPS"} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q", want)
		}
	}

	measured, redrawn := t.TempDir(), t.TempDir()
	if err := writeReport(measured, r); err != nil {
		t.Fatal(err)
	}
	if code := run(t.Context(), []string{"--render", filepath.Join(measured, "results.json"), "--out", redrawn}, io.Discard, io.Discard); code != 1 {
		t.Fatalf("--render of a report with a failed run exited %d, want 1 (it still draws)", code)
	}
	for _, name := range []string{"results.md", "chart.svg"} {
		want, _ := os.ReadFile(filepath.Join(measured, name))
		got, err := os.ReadFile(filepath.Join(redrawn, name))
		if err != nil || string(got) != string(want) || !strings.Contains(string(got), "5.18") {
			t.Errorf("%s drawn again differs from the one measured (%v)", name, err)
		}
	}
}

// Loopback and WAN rows of the same workload are separate panels.
func TestGroupResultsSplitsLinks(t *testing.T) {
	t.Parallel()
	r := &report{Results: []result{
		{Workload: "small", Contender: "a"}, {Workload: "small", Contender: "b"},
		{Workload: "small", Contender: "a", Link: "rtt60"}, {Workload: "small", Contender: "a", Link: "rtt200"},
	}}
	var sizes []int
	for _, g := range groupResults(r) {
		sizes = append(sizes, len(g))
	}
	if !slices.Equal(sizes, []int{2, 1, 1}) {
		t.Errorf("groups of %v, want [2 1 1]", sizes)
	}
}

// Through a link, a result gets the link's name, the workload's link
// limit and its median over that limit.
func TestLinkSummarize(t *testing.T) {
	t.Parallel()
	p := wan.RTT60
	w := workload{Name: "wan-big", TotalBytes: 256 << 20}
	runs := map[string][]runResult{"dlhelper": {{Round: 1, SHA256OK: true, WallS: 10.36}}, "curl": {{Round: 1, Error: "failed"}}}
	rs := link{profile: &p}.summarize(w, []contender{{Name: "dlhelper"}, {Name: "curl"}}, runs)
	if got := rs[0]; got.Link != "rtt60" || got.LinkLimitS != 5.18 || got.LinkRatio == nil || *got.LinkRatio != 2 {
		t.Errorf("dlhelper: link %q, limit %v, ratio %v; want rtt60, 5.18 and 2", got.Link, got.LinkLimitS, got.LinkRatio)
	}
	if got := rs[1]; got.LinkRatio != nil || got.LinkLimitS != 5.18 {
		t.Errorf("curl without a valid run: limit %v, ratio %v; want 5.18 and none", got.LinkLimitS, got.LinkRatio)
	}
	if rs := (link{}).summarize(w, []contender{{Name: "dlhelper"}}, runs); rs[0].Link != "" || rs[0].LinkRatio != nil {
		t.Errorf("loopback: link %q, ratio %v; want neither", rs[0].Link, rs[0].LinkRatio)
	}
}
