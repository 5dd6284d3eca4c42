package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// contenderNames are the programs dlbench knows, in report order. aria2c is
// the reference every ratio is taken against. dlhelper-sha256 is dlhelper
// given the objects' SHA-256s in a job file, as the portal SDK gives them:
// it verifies those instead of the ETag's MD5.
var contenderNames = []string{"dlhelper", "dlhelper-sha256", "aria2c", "curl"}

// withSHA256 is the contender that runs dlhelper with a job file.
const withSHA256 = "dlhelper-sha256"

// isDlhelper reports a contender that runs a dlhelper binary.
func isDlhelper(name string) bool {
	return name == "dlhelper" || name == withSHA256 || name == baseline
}

const reference = "aria2c"

// baseline is the contender --baseline adds: another dlhelper binary, run
// the same way, so that two builds meet the same noise round by round.
const baseline = "baseline"

// installHint is the sentence a user reads when aria2c or curl is missing.
const installHint = "install them with `sudo apt-get install aria2 curl` (or `make setup`, which installs every test dependency)"

// contender is one program under test and how to ask it for a download.
type contender struct {
	Name    string `json:"name"`
	Path    string `json:"path"`
	Version string `json:"version"`
	// args returns the command line for t; it may write input files into
	// t.scratch, which is done before the clock starts.
	args func(t task) ([]string, error)
}

// task is what one run downloads and where.
type task struct {
	dir     string   // the empty download folder
	scratch string   // an empty folder for input lists and state
	urls    []string // presigned GET URLs
	names   []string // the file name for each URL, in dir
	sha256s []string // the hex SHA-256 of each URL's object
	caFile  string   // the server's test certificate with --https, else ""
}

// aria2Flags are the aria2c settings: 8 connections per file in
// 1 MiB pieces, 5 files at once, space reserved with fallocate.
// --no-conf keeps a user's ~/.aria2/aria2.conf out of the measurement.
var aria2Flags = []string{"--no-conf", "-x8", "-s8", "-k1M", "-j5", "--file-allocation=falloc",
	"--console-log-level=error", "--summary-interval=0",
	"--allow-overwrite=true", "--auto-file-renaming=false"}

// findContenders locates each named program. aria2c and curl come from
// PATH, and a missing one is an error that says how to install it, never a
// silent skip; dlhelper's binary is set once it is built.
func findContenders(names []string) ([]contender, error) {
	var cs []contender
	var missing []string
	for _, n := range names {
		c := contender{Name: n}
		switch n {
		case "dlhelper":
			c.args = dlhelperArgs
		case withSHA256:
			c.args = dlhelperJobArgs
		case "aria2c":
			c.args = aria2Args
		case "curl":
			c.args = curlArgs
		}
		if !isDlhelper(n) {
			p, err := exec.LookPath(n)
			if err != nil {
				missing = append(missing, n)
				continue
			}
			c.Path = p
		}
		cs = append(cs, c)
	}
	if len(missing) > 0 {
		verb := "is"
		if len(missing) > 1 {
			verb = "are"
		}
		return nil, fmt.Errorf("%s %s not installed; dlbench compares dlhelper against aria2c and curl: %s", strings.Join(missing, " and "), verb, installHint)
	}
	return cs, nil
}

// programVersion is the first line a program prints about its version.
func programVersion(ctx context.Context, c contender) string {
	arg := "--version"
	if isDlhelper(c.Name) {
		arg = "version"
	}
	out, err := exec.CommandContext(ctx, c.Path, arg).Output()
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}

// dlhelperArgs runs "dlhelper get" with its default settings and a fresh
// state folder. It has no input-file flag, so the URLs are arguments; a
// list too long for one exec is an error rather than several processes,
// which would no longer measure one download of the order.
func dlhelperArgs(t task) ([]string, error) {
	args := []string{"get", "--quiet", "--dir", t.dir, "--state", filepath.Join(t.scratch, "state")}
	args = append(args, t.urls...)
	if n, limit := argBytes(args), argLimit(); n > limit {
		return nil, fmt.Errorf("dlhelper get: %d URLs take %d bytes of arguments, over this system's limit of %d; lower --scale", len(t.urls), n, limit)
	}
	return args, nil
}

// dlhelperJobArgs runs "dlhelper get" with its default settings and a job
// file, in the JSON a portal posts to /v1/jobs, that gives every file's
// SHA-256.
func dlhelperJobArgs(t task) ([]string, error) {
	type file struct {
		URL    string `json:"url"`
		Name   string `json:"name"`
		SHA256 string `json:"sha256"`
	}
	job := struct {
		Name  string `json:"name"`
		Files []file `json:"files"`
	}{Name: "dlbench"}
	for i, u := range t.urls {
		job.Files = append(job.Files, file{u, t.names[i], t.sha256s[i]})
	}
	data, err := json.Marshal(job)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(t.scratch, "job.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, fmt.Errorf("dlhelper job file: %w", err)
	}
	return []string{"get", "--quiet", "--dir", t.dir, "--state", filepath.Join(t.scratch, "state"), "--job", path}, nil
}

// aria2Args passes one URL directly and many through an input file, each
// with the output name so aria2c does not pick one from the URL.
func aria2Args(t task) ([]string, error) {
	args := append([]string{"--dir", t.dir}, aria2Flags...)
	if t.caFile != "" {
		args = append(args, "--ca-certificate="+t.caFile)
	}
	if len(t.urls) == 1 {
		return append(args, "--out", t.names[0], t.urls[0]), nil
	}
	var list bytes.Buffer
	for i, u := range t.urls {
		fmt.Fprintf(&list, "%s\n  out=%s\n", u, t.names[i])
	}
	file := filepath.Join(t.scratch, "aria2c.list")
	if err := os.WriteFile(file, list.Bytes(), 0o600); err != nil {
		return nil, fmt.Errorf("aria2c input file: %w", err)
	}
	return append(args, "--input-file", file), nil
}

// curlArgs fetches one URL in one stream, and many with --parallel
// (at most 5 at once, like aria2c's -j5 and dlhelper's default), one stream
// each. The URL list goes in a config file (-K), which curl reads like
// "-o f1 URL1 -o f2 URL2 …" on the command line but with no length limit.
// The leading -q keeps a user's ~/.curlrc out of the measurement.
func curlArgs(t task) ([]string, error) {
	trust := []string{}
	if t.caFile != "" {
		trust = []string{"--cacert", t.caFile}
	}
	if len(t.urls) == 1 {
		return append(append([]string{"-q", "-sSf"}, trust...), "-o", filepath.Join(t.dir, t.names[0]), t.urls[0]), nil
	}
	var cfg bytes.Buffer
	for i, u := range t.urls {
		fmt.Fprintf(&cfg, "url = %s\noutput = %s\n", strconv.Quote(u), strconv.Quote(filepath.Join(t.dir, t.names[i])))
	}
	file := filepath.Join(t.scratch, "curl.cfg")
	if err := os.WriteFile(file, cfg.Bytes(), 0o600); err != nil {
		return nil, fmt.Errorf("curl config file: %w", err)
	}
	return append(append([]string{"-q", "-sSf"}, trust...), "--parallel", "--parallel-max", "5", "-K", file), nil
}

// argBytes is what args cost in the kernel's exec limit: each string with
// its NUL and its pointer, plus the environment the child inherits.
func argBytes(args []string) int {
	n := 0
	for _, s := range append(args, os.Environ()...) {
		n += len(s) + 1 + 8
	}
	return n
}

var errNotLinux = errors.New("dlbench measures processes on Linux only")
