// Command dlbench measures "dlhelper get" against aria2c and curl on a real
// MinIO server, with the same presigned URLs, into the same disk.
//
//	go run ./cmd/dlbench                       # the full benchmark (make bench)
//	go run ./cmd/dlbench --scale 0.01 --rounds 1 --warmup 0   # a smoke run
//
// It builds dlhelper from this module, starts MinIO through the test harness
// (internal/testenv), uploads three workloads once, and then downloads them
// again and again:
//
//	big    one 1 GiB object
//	order  an order of 200 × 8 MiB objects
//	small  2,000 × 64 KiB objects, where per-file overhead dominates
//
// Contenders run interleaved, a round at a time (each round runs every
// contender once, the first one rotating), so a disturbance of the machine
// hits all of them alike; warm-up rounds are recorded but not counted. Every
// run starts from an empty folder, is timed around the process, and has its
// CPU time and peak RSS read from the kernel's rusage. Every file it wrote is
// then checked against the SHA-256 of what was uploaded: a missing file, a
// wrong byte or a non-zero exit voids the run, and dlbench exits 1 at the end.
//
// The report gives per workload and contender the median wall time, the CPU
// seconds (user+sys), the peak RSS and the ratio to aria2c, the median of the
// per-round ratios (contender / aria2c of the same round). It is printed as a
// Markdown table and written to --out as results.md, results.json and
// chart.svg. aria2c and curl come from Debian (apt-get install aria2 curl, or
// make setup); when one is missing dlbench says so and exits 1.
//
// --wan rtt60,rtt200 measures through the WAN emulator of internal/wan
// instead (issue 21): a relay in front of MinIO with a round trip, a rate
// per connection and a shared line, and workloads sized for it. Its table
// adds each workload's link limit and the ratio to it. --https serves
// MinIO over TLS with a test certificate the contenders are told to
// trust; --wan-selfcheck measures the emulator against its profiles.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole command, callable from a test; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "dlbench: %v\n", err)
		return 2
	}
	if o.wanSelfCheck {
		return selfCheck(ctx, stdout, stderr)
	}
	var rep *report
	if o.render != "" {
		rep, err = readReport(o.render)
	} else {
		rep, err = bench(ctx, o, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "dlbench: %v\n", err)
		return 1
	}
	if err := writeReport(o.out, rep); err != nil {
		fmt.Fprintf(stderr, "dlbench: %v\n", err)
		return 1
	}
	fmt.Fprint(stdout, markdown(rep))
	fmt.Fprintf(stderr, "dlbench: wrote %s\n", o.out)
	if bad := rep.failedRuns(); bad > 0 {
		fmt.Fprintf(stderr, "dlbench: %d run(s) failed or wrote wrong bytes; see the errors in %s/results.json\n", bad, o.out)
		return 1
	}
	return 0
}
