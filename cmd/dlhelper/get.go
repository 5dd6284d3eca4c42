package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"dlhelper/bridge"
	"dlhelper/downloader"
	"dlhelper/internal/units"
)

// getOptions are the flags of "dlhelper get".
type getOptions struct {
	dir, state  string
	connections int
	files       int
	limit       int64
	sequential  bool
	quiet       bool
	checkpoint  time.Duration
	urls        []string
	// job is a job file ("-": standard input) instead of urls; the
	// connections and sequential flags override it only when given.
	job            string
	connectionsSet bool
}

func parseGet(args []string, stderr io.Writer) (getOptions, error) {
	var o getOptions
	fs := flag.NewFlagSet("dlhelper get", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dir, "dir", ".", "folder to download into")
	fs.StringVar(&o.state, "state", filepath.Join(stateDir(), "get"), "folder for the resume state")
	fs.IntVar(&o.connections, "connections", 0, "connections per file, 1-64 (0: automatic, as many as raise the speed)")
	fs.IntVar(&o.files, "files", 0, "files downloaded at once, 1-100 (0: automatic, by the connections they need)")
	fs.Int64Var(&o.limit, "limit", 0, "overall speed limit in bytes per second (0: none)")
	fs.BoolVar(&o.sequential, "sequential", false, "fetch each file in order over one connection")
	fs.BoolVar(&o.quiet, "quiet", false, "print no progress, only errors")
	fs.DurationVar(&o.checkpoint, "checkpoint", 0, "how often progress is made durable (default 2s)")
	fs.StringVar(&o.job, "job", "", "a job file, in the JSON a portal posts to /v1/jobs (files with url, name, size, sha256), instead of URLs; - reads it from standard input")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: dlhelper get [flags] URL...\n       dlhelper get [flags] --job FILE\n\nDownloads the URLs, or the files of a job file with their checksums, into --dir.\nInterrupted? Run the same command again: it resumes.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	fs.Visit(func(f *flag.Flag) { o.connectionsSet = o.connectionsSet || f.Name == "connections" })
	o.urls = fs.Args()
	switch {
	case o.job != "" && len(o.urls) > 0:
		return o, errors.New("give either URLs or --job, not both")
	case o.job == "" && len(o.urls) == 0:
		fs.Usage()
		return o, errors.New("give at least one URL, or a job file with --job")
	}
	return o, nil
}

func runGet(args []string, stdout, stderr io.Writer) int {
	o, err := parseGet(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "dlhelper get: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer profileCPU(os.Getenv("DLHELPER_CPUPROFILE"))()
	if err := get(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "dlhelper get: %v\n", err)
		if ctx.Err() != nil {
			return 130
		}
		return 1
	}
	return 0
}

// get downloads o.urls into o.dir and waits until every file is complete.
// The job stays in the state folder until then, so a second run with the
// same names picks up where the first stopped, even with fresh URLs.
func get(ctx context.Context, o getOptions, stdout, stderr io.Writer) error {
	root, err := filepath.Abs(o.dir)
	if err != nil {
		return fmt.Errorf("the folder %s cannot be used: %v", o.dir, err)
	}
	spec, err := getSpec(o, os.Stdin)
	if err != nil {
		return err
	}
	m, err := downloader.New(downloader.Config{
		StateDir: o.state, Root: root, CheckpointInterval: o.checkpoint,
		Settings: downloader.Settings{Connections: o.connections, MaxActiveFiles: o.files, RateLimit: o.limit},
		// get reports through its progress and errors; DiscardHandler is
		// disabled at every level, so the engine's logs are not even
		// formatted (a text handler on io.Discard formatted one a file).
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	defer m.Close()
	sub := m.Subscribe()
	defer sub.Close()
	id, err := startOrResume(m, root, spec)
	if err != nil {
		return err
	}
	start := time.Now()
	bar := newProgressBars(stdout, o.quiet)
	info, err := waitJob(ctx, m, sub, id, bar)
	bar.finish(err == nil && info.State == downloader.JobCompleted)
	if err != nil {
		if ctx.Err() != nil {
			return errors.New("interrupted; run the same command again to resume")
		}
		return err
	}
	if err := jobError(info); err != nil {
		return err
	}
	if !o.quiet {
		fmt.Fprintf(stdout, "Downloaded %d file(s), %s, in %s.\n", len(info.Files), units.Size(info.Done), time.Since(start).Round(time.Millisecond))
		fmt.Fprintln(stdout, verifiedSummary(info.Files))
	}
	return m.RemoveJob(id, false)
}

// verifiedSummary says what the files were checked against, strongest
// first: "Checked: 2 against the portal's SHA-256, 1 by size only."
func verifiedSummary(files []downloader.FileInfo) string {
	count := map[string]int{}
	for _, f := range files {
		count[f.VerifiedBy]++
	}
	var parts []string
	for _, k := range []struct{ by, says string }{
		{downloader.VerifiedSHA256, "against the portal's SHA-256"},
		{downloader.VerifiedMD5, "against the portal's MD5"},
		{downloader.VerifiedETag, "against the server's ETag (an MD5)"},
		{downloader.VerifiedSize, "by size only"},
	} {
		if n := count[k.by]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k.says))
		}
	}
	return "Checked: " + strings.Join(parts, ", ") + "."
}

// getSpec reads the job file, or names each URL's file after the last
// element of its path.
func getSpec(o getOptions, stdin io.Reader) (downloader.JobSpec, error) {
	if o.job != "" {
		return readJobFile(o, stdin)
	}
	spec := downloader.JobSpec{Name: "dlhelper get", Connections: o.connections, Sequential: o.sequential}
	for _, raw := range o.urls {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return spec, fmt.Errorf("%q is not an http or https URL", downloader.RedactURL(raw))
		}
		spec.Files = append(spec.Files, downloader.FileSpec{URL: raw, Name: nameFromURL(u)})
	}
	return spec, nil
}

// readJobFile reads a job in the JSON of POST /v1/jobs: what a portal
// hands the helper, checksums included, so the command line can verify
// the files the way the tray app does.
func readJobFile(o getOptions, stdin io.Reader) (downloader.JobSpec, error) {
	var data []byte
	var err error
	name := o.job
	if o.job == "-" {
		name = "the job on standard input"
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(o.job)
	}
	if err != nil {
		return downloader.JobSpec{}, fmt.Errorf("cannot read the job file (%v); check its path", err)
	}
	spec, err := bridge.DecodeJob(data)
	if err != nil {
		return spec, fmt.Errorf("%s is not a job dlhelper can take (see the JSON of POST /v1/jobs in bridge/API.md): %v; fix it and run again", name, err)
	}
	if o.connectionsSet || spec.Connections == 0 {
		spec.Connections = o.connections
	}
	spec.Sequential = spec.Sequential || o.sequential
	return spec, nil
}

// nameFromURL picks a safe file name from a URL's path.
func nameFromURL(u *url.URL) string {
	name := path.Base(u.Path)
	if downloader.CheckName(name) == nil {
		return name
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || strings.ContainsRune(`/\<>:"|?*`, r) {
			return '_'
		}
		return r
	}, name)
	name = strings.TrimRight(name, ". ")
	if downloader.CheckName(name) != nil {
		return "download"
	}
	return name
}

// startOrResume continues an unfinished job with the same folder and file
// names, giving it the URLs of this run (a fresh link continues where an
// expired one stopped), or adds a new job.
func startOrResume(m *downloader.Manager, root string, spec downloader.JobSpec) (string, error) {
	dir := filepath.Join(root, filepath.FromSlash(spec.Folder))
	for _, j := range m.Jobs() {
		if j.Dir != dir || !sameFiles(j, spec) {
			continue
		}
		for i, f := range spec.Files {
			if err := m.SetURL(j.ID, i, f.URL); err != nil && !errors.Is(err, downloader.ErrState) {
				return "", err
			}
		}
		if err := m.RetryJob(j.ID); err != nil && !errors.Is(err, downloader.ErrState) {
			return "", err
		}
		if err := m.ResumeJob(j.ID); err != nil && !errors.Is(err, downloader.ErrState) {
			return "", err
		}
		return j.ID, nil
	}
	j, err := m.Add(spec)
	if err != nil {
		return "", err
	}
	return j.ID, nil
}

func sameFiles(j downloader.JobInfo, spec downloader.JobSpec) bool {
	return slices.EqualFunc(j.Files, spec.Files, func(a downloader.FileInfo, b downloader.FileSpec) bool {
		return a.Name == b.Name
	})
}

// waitJob follows the job's events until it has ended or needs a person
// (a fresh URL). State events carry the whole job, so it is never re-read:
// for an order of thousands of files that would cost more than the copying.
func waitJob(ctx context.Context, m *downloader.Manager, sub *downloader.Subscription, id string, bar *progressBars) (downloader.JobInfo, error) {
	info, err := m.Job(id)
	if err != nil {
		return info, err
	}
	bar.update(info.Progress, info.Files)
	for !settled(info.State) {
		ev, err := sub.Next(ctx)
		if err != nil {
			return info, err
		}
		switch {
		case ev.JobID != id:
		case ev.Type == downloader.EventJobProgress:
			bar.update(*ev.Progress, nil)
		case ev.Type == downloader.EventFileState && ev.File.State == downloader.FileCompleted:
			bar.fileCompleted()
		case ev.Type == downloader.EventJobState:
			info = *ev.Job
			bar.update(info.Progress, info.Files)
		}
	}
	return info, nil
}

// settled reports a state in which the job no longer moves by itself.
func settled(s downloader.JobState) bool {
	switch s {
	case downloader.JobCompleted, downloader.JobFailed, downloader.JobCanceled, downloader.JobWaiting, downloader.JobPaused:
		return true
	}
	return false
}

// jobError is the one-line reason a job did not complete.
func jobError(info downloader.JobInfo) error {
	var failed []string
	for _, f := range info.Files {
		if f.State == downloader.FileCompleted {
			continue
		}
		msg := string(f.State)
		if f.Error != nil {
			msg = f.Error.Message
		}
		failed = append(failed, fmt.Sprintf("%s: %s", f.Name, msg))
	}
	switch len(failed) {
	case 0:
		return nil
	case 1:
		return errors.New(failed[0])
	}
	return fmt.Errorf("%d of %d files did not complete; first, %s", len(failed), len(info.Files), failed[0])
}

// profileCPU writes a CPU profile to path while the command runs, for
// tuning (DLHELPER_CPUPROFILE=cpu.out dlhelper get …); "" does nothing.
func profileCPU(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}
