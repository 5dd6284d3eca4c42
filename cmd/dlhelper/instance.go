package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"dlhelper/bridge"
	"dlhelper/downloader"
	"dlhelper/internal/units"
	"dlhelper/tray"
)

// One helper runs per user: it holds an exclusive lock on a file in the
// state folder (flock on Unix, LockFileEx on Windows) for as long as it
// runs. A second start finds the lock taken, hands its dlhelper:// links to
// the running helper and exits.

// errRunning means another helper of this user holds the instance lock.
var errRunning = errors.New("dlhelper is already running")

// lockName is the lock file in the state folder; it holds the owner's pid,
// for people.
const lockName = "instance.lock"

// instance is this process's hold on the per-user lock.
type instance struct{ f *os.File }

// acquireInstance takes the lock in stateDir, or returns errRunning.
func acquireInstance(stateDir string) (*instance, error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("the state folder %s cannot be created (%v); choose another with --state", stateDir, err)
	}
	if err := checkStateFolder(stateDir); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(stateDir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the instance lock: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, err
	}
	// The pid is a courtesy; the lock is what counts, so errors are ignored.
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &instance{f}, nil
}

// release lets the next helper start. The file stays: removing it could let
// a starting helper lock the old file while another creates a new one.
func (in *instance) release() { in.f.Close() }

// hello is the answer of GET /v1/hello.
type hello struct {
	App     string `json:"app"`
	Version string `json:"version"`
	API     int    `json:"api"`
}

// helperClient talks to a running helper: no proxy (it is on loopback) and
// short timeouts (it answers at once or not at all).
var helperClient = &http.Client{
	Transport: &http.Transport{Proxy: nil},
	Timeout:   5 * time.Second,
}

// askHello asks the helper whose port is recorded in stateDir who it is.
func askHello(ctx context.Context, stateDir string) (int, hello, error) {
	port, err := bridge.ReadPort(stateDir)
	if err != nil {
		return 0, hello{}, err
	}
	var h hello
	if err := getJSON(ctx, port, "/v1/hello", "", &h); err != nil {
		return port, h, err
	}
	if h.App != "dlhelper" {
		return port, h, fmt.Errorf("port %d answers, but not as dlhelper", port)
	}
	return port, h, nil
}

// getJSON GETs path from the helper on port and decodes its JSON answer.
func getJSON(ctx context.Context, port int, path, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(port)+path, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := helperClient.Do(req)
	if err != nil {
		return fmt.Errorf("dlhelper does not answer on port %d (%v); is it running?", port, err)
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, 16<<20)
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		json.NewDecoder(body).Decode(&e)
		return fmt.Errorf("dlhelper answered %s: %s", resp.Status, e.Error.Message)
	}
	if err := json.NewDecoder(body).Decode(v); err != nil {
		return fmt.Errorf("read dlhelper's answer to %s: %w", path, err)
	}
	return nil
}

// waitForHelper asks the running helper until it answers or ctx ends: a
// helper holds the lock from before it listens, so a second start may
// come while the first is still starting (and its port file is stale).
func waitForHelper(ctx context.Context, stateDir string) (int, hello, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		port, h, err := askHello(ctx, stateDir)
		if err == nil {
			return port, h, nil
		}
		select {
		case <-ctx.Done():
			return port, h, err
		case <-tick.C:
		}
	}
}

// handOff passes a second start to the running helper. The links it
// understands today need nothing from it: "dlhelper://start" asks for a
// running helper, which there is, and "dlhelper://status" opens the status
// page, which this process can do itself.
func handOff(stateDir string, links []*url.URL, a appEnv) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	port, h, err := waitForHelper(ctx, stateDir)
	if err != nil {
		return fmt.Errorf("another dlhelper holds the lock in %s but does not answer: %w", stateDir, err)
	}
	a.log.Info("dlhelper is already running; handed over to it", "port", port, "version", h.Version, "links", linkStrings(links))
	statusPage := func() (string, error) { return askStatusLink(ctx, stateDir, port) }
	a.order = func(ticket string) error { return postTicket(ctx, stateDir, port, ticket) }
	for _, l := range links {
		followLink(l, statusPage, a)
	}
	return nil
}

// askStatusLink asks the running helper, with the token, for a one-time
// link to its status page.
func askStatusLink(ctx context.Context, stateDir string, port int) (string, error) {
	token, err := bridge.LoadOrCreateToken(stateDir)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1:"+strconv.Itoa(port)+"/v1/status-link", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := helperClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("dlhelper does not answer on port %d (%v); is it running?", port, err)
	}
	defer resp.Body.Close()
	var link struct {
		URL string `json:"url"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&link); err != nil || resp.StatusCode != http.StatusOK || link.URL == "" {
		return "", fmt.Errorf("dlhelper on port %d gave no status page link (%s)", port, resp.Status)
	}
	return link.URL, nil
}

// runStatus asks the running helper, with the local token, what it is doing.
func runStatus(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dlhelper status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	state := fs.String("state", stateDir(), "the running helper's state folder")
	if err := parseNoArgs(fs, args); err != nil {
		return exitParse(err)
	}
	if err := printStatus(*state, stdout); err != nil {
		fmt.Fprintf(stderr, "dlhelper status: %v\n", err)
		return 1
	}
	return 0
}

func printStatus(stateDir string, w io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := checkStateFolder(stateDir); err != nil {
		return err
	}
	// A helper records its port while it runs and removes it as it stops.
	if _, err := os.Stat(filepath.Join(stateDir, bridge.PortFile)); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("dlhelper is not running (no %s in %s); start it with \"dlhelper\"", bridge.PortFile, stateDir)
	}
	port, h, err := askHello(ctx, stateDir)
	if err != nil {
		return err
	}
	token, err := bridge.LoadOrCreateToken(stateDir)
	if err != nil {
		return err
	}
	var list struct {
		Jobs []downloader.JobInfo `json:"jobs"`
	}
	if err := getJSON(ctx, port, "/v1/jobs", token, &list); err != nil {
		return err
	}
	text, _ := tray.Status(list.Jobs)
	// The bare address only says how to log in: print a one-time link.
	page, err := askStatusLink(ctx, stateDir, port)
	if err != nil {
		page = statusURL(port)
	}
	fmt.Fprintf(w, "dlhelper %s is running; status page (the link works once, within 2 minutes): %s\n%s\n", h.Version, page, text)
	for _, j := range list.Jobs {
		fmt.Fprintf(w, "  %-10s %s  %s\n", j.State, j.Name, progressText(j.Progress))
	}
	return nil
}

// progressText is "120 MiB of 2.0 GiB (6%), 14 MiB/s", with what is known.
func progressText(p downloader.Progress) string {
	if p.Total <= 0 {
		return units.Size(max(p.Done, 0))
	}
	s := fmt.Sprintf("%s of %s (%d%%)", units.Size(p.Done), units.Size(p.Total), p.Done*100/p.Total)
	if p.Speed > 0 {
		s += ", " + units.Rate(p.Speed)
	}
	return s
}
