package chaos

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
)

// result is one row of the summary table.
type result struct {
	scenario        string
	faults          string
	events          int // interruptions, for the overhead bound
	verified, total int
	fetched, wire   int64
	overhead        float64 // percent over the order's size
	passed          bool
}

var (
	resultsMu sync.Mutex
	results   []result
)

func record(r result) {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	results = append(results, r)
}

// writeSummary prints scenario | faults | files verified | re-fetch
// overhead | result.
func writeSummary(w io.Writer, rs []result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tfaults\tfiles verified\tre-fetch overhead\tresult")
	for _, r := range rs {
		verdict := "PASS"
		if !r.passed {
			verdict = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%.2f%%\t%s\n", r.scenario, r.faults, r.verified, r.total, r.overhead, verdict)
	}
	tw.Flush()
}

func summary() string {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	var b strings.Builder
	writeSummary(&b, results)
	return b.String()
}

// TestMain prints the table once every scenario has run, so "make chaos"
// ends with it even without -v.
func TestMain(m *testing.M) {
	code := m.Run()
	resultsMu.Lock()
	n := len(results)
	resultsMu.Unlock()
	if n > 0 {
		fmt.Printf("\nchaos summary (%s suite)\n%s", suiteName(), summary())
	}
	os.Exit(code)
}

func suiteName() string {
	if suiteParams().full {
		return "full"
	}
	return "short"
}
