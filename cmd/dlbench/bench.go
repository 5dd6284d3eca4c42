package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"dlhelper/internal/testenv"
	"dlhelper/internal/wan"
)

// presignExpiry is far longer than a round; URLs are signed afresh for
// each round anyway.
const presignExpiry = 2 * time.Hour

// bench runs the whole benchmark and returns its report. Everything it
// makes on disk lives in one temporary folder, removed at the end.
func bench(ctx context.Context, o options, log io.Writer) (*report, error) {
	started := time.Now()
	cs, err := findContenders(o.contenders)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(o.work, "dlbench-")
	if err != nil {
		return nil, fmt.Errorf("work folder: %w", err)
	}
	defer os.RemoveAll(work)
	spreadFolders(work)
	ws := buildWorkloads(o.workloads, o.scale)
	if err := checkSpace(work, ws); err != nil {
		return nil, err
	}
	if err := setDlhelper(ctx, cs, o.dlhelper, work, log); err != nil {
		return nil, err
	}
	if o.baseline != "" {
		bin, err := freshCopy(o.baseline, work, "baseline")
		if err != nil {
			return nil, err
		}
		cs = append(cs, contender{Name: baseline, Path: bin, args: dlhelperArgs})
	}
	for i := range cs {
		cs[i].Version = programVersion(ctx, cs[i])
	}

	m, err := startMinIO(ctx, work, o.https, log)
	if err != nil {
		return nil, err
	}
	defer m.Stop()
	if err := uploadAll(ctx, m.Client(), ws, log); err != nil {
		return nil, err
	}
	rep := newReport(started, o, cs, ws)
	profiles := []*wan.Profile{nil} // loopback
	if len(o.wan) > 0 {
		profiles = profiles[:0]
		for i := range o.wan {
			profiles = append(profiles, &o.wan[i])
		}
	}
	for _, p := range profiles {
		results, err := measureLink(ctx, m, p, ws, cs, o, work, log)
		if err != nil {
			return nil, err
		}
		rep.Results = append(rep.Results, results...)
	}
	rep.Seconds = time.Since(started).Seconds()
	return rep, nil
}

// link is the way the contenders reach MinIO: over loopback, or through
// the WAN emulator with a profile.
type link struct {
	profile *wan.Profile  // nil on loopback
	signer  *minio.Client // presigns for the address the contenders dial
	caFile  string        // the test certificate with --https
}

func (l link) name() string {
	if l.profile == nil {
		return ""
	}
	return l.profile.Name
}

// measureLink runs every workload over one link: directly, or through a
// relay with profile p in front of MinIO. Presigned URLs name the host
// the client dials, which their signature covers, so they are signed for
// the relay's address.
func measureLink(ctx context.Context, m *testenv.MinIO, p *wan.Profile, ws []workload, cs []contender, o options, work string, log io.Writer) ([]result, error) {
	l := link{profile: p, signer: m.Client()}
	if cert := m.Certificate(); cert != nil {
		l.caFile = cert.CAFile
	}
	if p != nil {
		relay, err := wan.Start(m.Endpoint, *p)
		if err != nil {
			return nil, err
		}
		defer relay.Close()
		if l.signer, err = testenv.NewClient(relay.Addr(), m.Certificate()); err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "dlbench: WAN emulator at %s, %s\n", relay.Addr(), p)
	}
	var out []result
	for i := range ws {
		runs, err := measureWorkload(ctx, l, m.PID(), &ws[i], cs, o, work, log)
		if err != nil {
			return nil, err
		}
		out = append(out, l.summarize(ws[i], cs, runs)...)
	}
	return out, nil
}

// summarize is the package's summarize with the link's name, limit and
// each contender's ratio to it.
func (l link) summarize(w workload, cs []contender, runs map[string][]runResult) []result {
	rs := summarize(w, cs, runs)
	if l.profile == nil {
		return rs
	}
	limit := l.profile.LinkLimit(w.TotalBytes).Seconds()
	for i := range rs {
		rs[i].Link, rs[i].LinkLimitS = l.name(), limit
		if rs[i].ValidRuns > 0 {
			ratio := rs[i].MedianWallS / limit
			rs[i].LinkRatio = &ratio
		}
	}
	return rs
}

// measureWorkload runs the warm-up and measured rounds of one workload.
// Each round runs every contender once, starting one further along each
// time, so that no contender always runs first (after the verification
// and cleanup of the round before) or always last.
func measureWorkload(ctx context.Context, l link, serverPID int, w *workload, cs []contender, o options, work string, log io.Writer) (map[string][]runResult, error) {
	runs := make(map[string][]runResult)
	for k := range o.warmup + o.rounds {
		round := k - o.warmup + 1
		urls, err := presign(ctx, l.signer, w)
		if err != nil {
			return nil, err
		}
		for p := range cs {
			c := cs[(k+p)%len(cs)]
			r := runOnce(ctx, c, w, urls, l.caFile, work, serverPID)
			r.Round, r.Warmup, r.Position = round, round <= 0, p+1
			runs[c.Name] = append(runs[c.Name], r)
			logRun(log, l, w, c, r, o.rounds)
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("interrupted: %w", err)
			}
		}
	}
	return runs, nil
}

func presign(ctx context.Context, mc *minio.Client, w *workload) ([]string, error) {
	urls := make([]string, len(w.Objects))
	for i, o := range w.Objects {
		u, err := mc.PresignedGetObject(ctx, bucket, o.Key, presignExpiry, nil)
		if err != nil {
			return nil, fmt.Errorf("presign %s: %w", o.Key, err)
		}
		urls[i] = u.String()
	}
	return urls, nil
}

func logRun(log io.Writer, l link, w *workload, c contender, r runResult, rounds int) {
	when := fmt.Sprintf("round %d/%d", r.Round, rounds)
	if r.Warmup {
		when = "warm-up"
	}
	verdict := "ok"
	if !r.valid() {
		verdict = "FAILED: " + r.Error
	}
	name := w.Name
	if l.profile != nil {
		name = l.name() + " " + name
	}
	fmt.Fprintf(log, "%-6s %-11s %-9s %8.2f s  cpu %7.2f s  machine cpu %7.2f s  rss %6.1f MiB  %s\n",
		name, when, c.Name, r.WallS, r.CPUS, r.MachineCPUS, float64(r.PeakRSSKiB)/1024, verdict)
}

// setDlhelper points the dlhelper contenders at the given binary, or at
// one built now from this module.
func setDlhelper(ctx context.Context, cs []contender, given, work string, log io.Writer) error {
	bin := given
	for i := range cs {
		if !isDlhelper(cs[i].Name) || cs[i].Name == baseline {
			continue
		}
		var err error
		switch {
		case bin == "":
			bin, err = buildDlhelper(ctx, filepath.Join(work, "bin"), log)
		case bin == given: // written now, as the baseline is (freshCopy)
			bin, err = freshCopy(given, work, "dlhelper")
		}
		if err != nil {
			return err
		}
		cs[i].Path = bin
	}
	return nil
}

// freshCopy copies the program at src into dir as name and returns its
// path. Two builds are compared fairly only as files written alike: the
// pages of a file just written map into a process in larger runs than
// those of an old one, which showed as 6 MiB more peak RSS for the very
// same bytes (the binary dlbench builds against an older --baseline).
func freshCopy(src, dir, name string) (string, error) {
	data, err := os.ReadFile(src)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", src, err)
	}
	dst := filepath.Join(dir, name)
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		return "", fmt.Errorf("copy %s: %w", src, err)
	}
	return dst, nil
}

// buildDlhelper builds ./cmd/dlhelper of the module dlbench runs in, the
// way a user gets it, stamped with the tree's git version.
func buildDlhelper(ctx context.Context, dir string, log io.Writer) (string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "dlhelper")
	fmt.Fprintf(log, "dlbench: building %s/cmd/dlhelper\n", root)
	cmd := exec.CommandContext(ctx, "go", "build", "-ldflags", "-X main.version="+gitVersion(ctx, root), "-o", bin, "./cmd/dlhelper")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build dlhelper: %w\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot is the folder of the go.mod that holds cmd/dlhelper.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	root := filepath.Dir(strings.TrimSpace(string(out)))
	if err == nil {
		if _, err = os.Stat(filepath.Join(root, "cmd", "dlhelper")); err == nil {
			return root, nil
		}
	}
	return "", fmt.Errorf("cannot find cmd/dlhelper: run dlbench inside the dlhelper module, or pass --dlhelper with a built binary")
}

func gitVersion(ctx context.Context, root string) string {
	cmd := exec.CommandContext(ctx, "git", "describe", "--tags", "--always", "--dirty")
	cmd.Dir = root
	out, err := cmd.Output()
	if v := strings.TrimSpace(string(out)); err == nil && v != "" {
		return v
	}
	return "dev"
}

// startMinIO starts the harness's pinned MinIO with its data in work.
func startMinIO(ctx context.Context, work string, https bool, log io.Writer) (*testenv.MinIO, error) {
	if _, ok := testenv.InstalledMinIO(); !ok {
		fmt.Fprintf(log, "dlbench: installing MinIO %s into %s (a few minutes, once)\n", testenv.MinIOVersion, testenv.ToolsDir())
	}
	var m *testenv.MinIO
	var err error
	if https {
		var cert *testenv.Certificate
		if cert, err = testenv.NewCertificate(filepath.Join(work, "certs")); err != nil {
			return nil, err
		}
		m, err = testenv.StartTLS(ctx, filepath.Join(work, "minio"), cert)
	} else {
		m, err = testenv.Start(ctx, filepath.Join(work, "minio"))
	}
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "dlbench: MinIO at %s\n", m.URL())
	return m, nil
}

// uploadAll puts every workload into a fresh bucket, once for all runs.
func uploadAll(ctx context.Context, mc *minio.Client, ws []workload, log io.Writer) error {
	if err := mc.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		return fmt.Errorf("make bucket: %w", err)
	}
	for i := range ws {
		start := time.Now()
		if err := upload(ctx, mc, &ws[i]); err != nil {
			return err
		}
		fmt.Fprintf(log, "dlbench: uploaded %s (%s, %s) in %s\n", ws[i].Name, ws[i].Title, humanBytes(ws[i].TotalBytes), time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// checkSpace refuses to start when the disk cannot hold MinIO's copy of
// every workload plus the largest download, with room to spare.
func checkSpace(dir string, ws []workload) error {
	var total, largest int64
	for _, w := range ws {
		total += w.TotalBytes
		largest = max(largest, w.TotalBytes)
	}
	need := total + total/10 + largest + 512<<20
	free, err := freeBytes(dir)
	if err != nil {
		return fmt.Errorf("free space in %s: %w", dir, err)
	}
	if free < need {
		return fmt.Errorf("the benchmark needs about %s free in %s and there is %s; free some space, pass --work on a larger disk or lower --scale",
			humanBytes(need), dir, humanBytes(free))
	}
	return nil
}
