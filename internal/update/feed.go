package update

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/mod/semver"
)

// Errors callers branch on; each is logged where it is met.
var (
	ErrInsecure     = errors.New("the update feed and its builds must be on https")
	ErrDowngrade    = errors.New("the feed offers an older version than this one")
	ErrUpToDate     = errors.New("this is the newest version")
	ErrNoBuild      = errors.New("the feed has no build for this system")
	ErrBadSignature = errors.New("the build's signature does not verify with the built-in key")
	ErrNoVersion    = errors.New("this build has no release version, so it is not updated")
	ErrNotWritable  = errors.New("this program cannot replace itself where it is installed")
)

// maxFeed bounds the feed document; a real one is a few hundred bytes.
const maxFeed = 1 << 20

// Feed is the update feed document.
type Feed struct {
	Version string           `json:"version"`
	Builds  map[string]Build `json:"builds"` // by "GOOS/GOARCH"
}

// Build is one platform's executable.
type Build struct {
	URL       string `json:"url"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	Signature string `json:"signature"` // a minisign signature file's text
}

// Release is a build the feed offers for this system.
type Release struct {
	Version  string
	Platform string
	Build
}

// checkHTTPS refuses any URL that is not https.
func checkHTTPS(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%w: %.200q", ErrInsecure, raw)
	}
	return nil
}

// fetchFeed gets and decodes the feed strictly.
func fetchFeed(ctx context.Context, client *http.Client, feedURL string) (Feed, error) {
	var f Feed
	if err := checkHTTPS(feedURL); err != nil {
		return f, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, feedURL, nil)
	if err != nil {
		return f, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return f, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return f, fmt.Errorf("the feed answered %s", resp.Status)
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxFeed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("the feed is not valid JSON: %w", err)
	}
	return f, nil
}

// pick chooses the feed's build for platform and refuses one that is not
// newer than current or not on https.
func pick(f Feed, current, platform string) (Release, error) {
	cur, next := canonical(current), canonical(f.Version)
	switch {
	case cur == "":
		return Release{}, fmt.Errorf("%w (%q)", ErrNoVersion, current)
	case next == "":
		return Release{}, fmt.Errorf("the feed's version %q is not a version number", f.Version)
	case semver.Compare(next, cur) < 0:
		return Release{}, fmt.Errorf("%w: %s < %s", ErrDowngrade, f.Version, current)
	case semver.Compare(next, cur) == 0:
		return Release{}, ErrUpToDate
	}
	b, ok := f.Builds[platform]
	if !ok {
		return Release{}, fmt.Errorf("%w (%s)", ErrNoBuild, platform)
	}
	if err := checkHTTPS(b.URL); err != nil {
		return Release{}, err
	}
	if b.Size <= 0 || len(b.SHA256) != 64 || b.Signature == "" {
		return Release{}, fmt.Errorf("the feed's %s build lacks its size, sha256 or signature", platform)
	}
	return Release{Version: strings.TrimPrefix(next, "v"), Platform: platform, Build: b}, nil
}

// canonical is a version as semver compares it ("1.2.3" → "v1.2.3"), or ""
// when it is none ("dev").
func canonical(v string) string {
	if !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	if !semver.IsValid(v) {
		return ""
	}
	return semver.Canonical(v)
}
