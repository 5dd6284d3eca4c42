package chaos

import (
	"testing"
)

// scenario is one row of the suite. run does the download and the checks
// and returns what the summary shows.
type scenario struct {
	name  string
	short bool // part of the short suite CI runs
	run   func(t *testing.T, e *env) result
}

func scenarios(p params) []scenario {
	faults := func(fs ...fault) func(t *testing.T, e *env) result {
		return func(t *testing.T, e *env) result { return runInProcess(t, e, fs) }
	}
	combined := append(allToxics(), proxyCut(p.cut, 0.3), minioRestart(0.6))
	return []scenario{
		{name: "no faults", short: true, run: faults()},
		{name: "reset_peer", run: faults(resetPeer())},
		{name: "timeout", run: faults(timeoutToxic())},
		{name: "slicer", run: faults(slicer())},
		{name: "bandwidth", run: faults(bandwidth())},
		{name: "latency", run: faults(latency())},
		{name: "every toxic at once", short: true, run: faults(allToxics()...)},
		{name: "proxy cut", short: true, run: faults(proxyCut(p.cut, 0.3))},
		{name: "network gone and back", short: true, run: runOutage},
		{name: "minio killed and restarted", short: true, run: faults(minioRestart(0.4))},
		{name: "toxics, cut and minio restart combined", run: faults(combined...)},
		{name: "dlhelper killed with SIGKILL", short: true, run: func(t *testing.T, e *env) result { return runKills(t, e) }},
		{name: "disk full, then space freed", short: true, run: func(t *testing.T, e *env) result { return runDiskFull(t, e) }},
	}
}

// TestChaos runs the order through each scenario in turn (they share one
// MinIO and one proxy, so never in parallel), checks every file and
// prints the summary table.
func TestChaos(t *testing.T) {
	p := suiteParams()
	e := newEnv(t, p)
	t.Logf("%s suite: %d objects, %d bytes", suiteName(), len(e.order), e.total)
	for _, sc := range scenarios(p) {
		if !p.full && !sc.short {
			continue
		}
		e.resetProxy(t)
		t.Run(sc.name, func(t *testing.T) {
			res := result{scenario: sc.name, total: len(e.order)}
			defer func() {
				res.scenario, res.passed = sc.name, !t.Failed() && !t.Skipped()
				if !t.Skipped() {
					record(res)
				}
			}()
			res = sc.run(t, e)
			t.Logf("%s: %s; %d/%d files verified; fetched %d (%d on the wire) for %d: %.2f%% overhead",
				sc.name, res.faults, res.verified, res.total, res.fetched, res.wire, e.total, res.overhead)
		})
	}
	t.Logf("summary:\n%s", summary())
}
