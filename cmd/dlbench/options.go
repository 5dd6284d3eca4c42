package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"dlhelper/internal/wan"
)

// options are dlbench's flags.
type options struct {
	rounds, warmup int
	scale          float64
	workloads      []string      // names from workloadDefs, in the order given
	contenders     []string      // names from contenderNames, in the order given
	out            string        // folder for results.json, results.md, chart.svg
	work           string        // folder for MinIO's data and the downloads; "" is a temp folder
	dlhelper       string        // a prebuilt dlhelper; "" builds ./cmd/dlhelper
	baseline       string        // a second dlhelper, run in the same rounds as "baseline"; "" is none
	render         string        // a results.json to draw the report of again, measuring nothing
	wan            []wan.Profile // links to measure through the WAN emulator; none is loopback
	https          bool          // MinIO serves HTTPS with a test certificate
	wanSelfCheck   bool          // measure the emulator itself, nothing else
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	var workloads, contenders, profiles string
	fs := flag.NewFlagSet("dlbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.rounds, "rounds", 5, "measured rounds; each runs every contender once")
	fs.IntVar(&o.warmup, "warmup", 1, "warm-up rounds before them, not counted")
	fs.Float64Var(&o.scale, "scale", 1, "multiplies the big object's size and the other workloads' file counts (0.01 for a smoke run)")
	fs.StringVar(&workloads, "workloads", strings.Join(workloadNames(), ","), "workloads to run, comma-separated")
	fs.StringVar(&contenders, "contenders", strings.Join(contenderNames, ","), "contenders to run, comma-separated")
	fs.StringVar(&o.out, "out", "bench-results", "folder for results.json, results.md and chart.svg")
	fs.StringVar(&o.work, "work", "", "folder for MinIO's data and the downloads, on the disk to measure (default: a temporary folder)")
	fs.StringVar(&o.dlhelper, "dlhelper", "", "a dlhelper binary to measure (default: build ./cmd/dlhelper of this module)")
	fs.StringVar(&o.baseline, "baseline", "", "a second dlhelper binary, measured in the same rounds as the contender \"baseline\", to see what a change buys")
	fs.StringVar(&o.render, "render", "", "write results.md and chart.svg into --out again from this results.json, without measuring anything")
	fs.StringVar(&profiles, "wan", "", "measure through the WAN emulator with these profiles, comma-separated ("+profileNames()+"); the default workloads are then "+strings.Join(wanWorkloadNames(), ",")+" and the contenders dlhelper,aria2c,curl")
	fs.BoolVar(&o.https, "https", false, "MinIO serves HTTPS with a self-signed test certificate that every contender is told to trust")
	fs.BoolVar(&o.wanSelfCheck, "wan-selfcheck", false, "measure the WAN emulator against its profiles (about 30 s) and report how close it comes, instead of benchmarking")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: dlbench [flags]\n\nBenchmarks dlhelper get against aria2c and curl on a local MinIO.\n\nFlags:")
		fs.PrintDefaults()
	}
	err := fs.Parse(args)
	if err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q; dlbench takes flags only", fs.Arg(0))
	}
	if o.wan, err = pickProfiles(profiles); err != nil {
		return o, err
	}
	if len(o.wan) > 0 {
		// The WAN workloads and contenders, unless the flags chose others.
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["workloads"] {
			workloads = strings.Join(wanWorkloadNames(), ",")
		}
		if !set["contenders"] {
			contenders = strings.Join(wanContenders, ",")
		}
	}
	if o.workloads, err = pickNames("workload", workloads, allWorkloadNames()); err != nil {
		return o, err
	}
	if o.contenders, err = pickNames("contender", contenders, contenderNames); err != nil {
		return o, err
	}
	return o, o.check()
}

func (o options) check() error {
	switch {
	case o.rounds < 1:
		return errors.New("--rounds must be at least 1")
	case o.warmup < 0:
		return errors.New("--warmup cannot be negative")
	case !(o.scale > 0 && o.scale <= 10):
		return errors.New("--scale must be above 0 and at most 10")
	case o.out == "":
		return errors.New("--out must name a folder")
	}
	return nil
}

// pickNames splits a comma-separated list and checks each name is known
// and given once.
func pickNames(kind, list string, known []string) ([]string, error) {
	var names []string
	for n := range strings.SplitSeq(list, ",") {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
			continue
		case !slices.Contains(known, n):
			return nil, fmt.Errorf("unknown %s %q; choose from %s", kind, n, strings.Join(known, ", "))
		case slices.Contains(names, n):
			return nil, fmt.Errorf("%s %q is given twice", kind, n)
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("give at least one %s", kind)
	}
	return names, nil
}

// wanContenders are the default contenders with --wan: the ones issue 21
// compares. dlhelper-sha256 differs from dlhelper in CPU, which the line
// hides.
var wanContenders = []string{"dlhelper", "aria2c", "curl"}

// pickProfiles looks up a comma-separated list of WAN profile names.
func pickProfiles(list string) ([]wan.Profile, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	names, err := pickNames("WAN profile", list, strings.Split(profileNames(), ","))
	if err != nil {
		return nil, err
	}
	ps := make([]wan.Profile, len(names))
	for i, n := range names {
		if ps[i], err = wan.Lookup(n); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

func profileNames() string {
	var names []string
	for _, p := range wan.Profiles {
		names = append(names, p.Name)
	}
	return strings.Join(names, ",")
}
