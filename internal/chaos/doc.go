// Package chaos runs dlhelper against real faults: a real MinIO behind
// Shopify's toxiproxy, with toxics (reset_peer, timeout, slicer,
// bandwidth, latency), the proxy cut, MinIO killed and restarted, the
// real binary killed with SIGKILL, and a download folder on a tmpfs that
// fills up. After every scenario each file must be SHA-256 correct, no
// file may carry its final name before it is complete, no .part or temp
// file may be left, the job list must survive a restart, and the bytes
// fetched may exceed the order only by what was in flight at each fault.
//
// The package holds the harness pieces (the pinned toxiproxy server and a
// byte-counting TCP relay); the suite itself is TestChaos:
//
//	go test ./internal/chaos/               # short: ~20 small objects, CI
//	go test -tags chaos ./internal/chaos/   # full: 200 objects, every fault
//	CHAOS=full go test ./internal/chaos/    # the same without the tag
//
// Both print a summary table: scenario, faults injected, files verified,
// re-fetch overhead, result.
//
// The toxiproxy server is the pinned ToxiproxyVersion, built once with
// "go install" into testenv.ToolsDir() as toxiproxy-server. In CI (CI=true)
// the setup step must have installed it (go run
// ./internal/chaos/cmd/install-toxiproxy); its absence fails the suite with
// that command, it is never skipped.
package chaos
