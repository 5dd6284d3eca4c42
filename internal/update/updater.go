package update

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"time"

	"aead.dev/minisign"
	"github.com/minio/selfupdate"
)

// Updater checks one feed and applies its builds to one executable.
type Updater struct {
	// Current is the running version ("1.2.3"); a build without one
	// ("dev") is never updated.
	Current string
	// FeedURL is the https feed; Key verifies its builds.
	FeedURL string
	Key     minisign.PublicKey
	// Dir holds downloads in progress (the helper's state folder/update).
	Dir string
	// Client makes the feed request and the downloads (a fresh client
	// with the system's roots when nil).
	Client *http.Client
	// Idle returns once no download is running, or with ctx's error.
	Idle func(ctx context.Context) error
	// TargetPath is the executable to replace (the running one when "").
	TargetPath string
	// Platform is "GOOS/GOARCH" (this one when "").
	Platform string
	// Downloading, when set, is told the version before its download starts.
	Downloading func(version string)
	Log         *slog.Logger
}

// Check reads the feed and returns the release to install, or the reason
// there is none: ErrUpToDate, or a refusal (ErrInsecure, ErrDowngrade,
// ErrNoBuild, ErrNoVersion), which it logs.
func (u *Updater) Check(ctx context.Context) (Release, error) {
	f, err := fetchFeed(ctx, u.client(), u.FeedURL)
	if err == nil {
		return pick(f, u.Current, u.platform())
	}
	return Release{}, fmt.Errorf("check %s: %w", u.FeedURL, err)
}

// Update checks the feed and, when it offers a newer version, downloads,
// verifies and installs it, waiting for Idle before the executable is
// replaced. It returns the installed release; the caller restarts.
func (u *Updater) Update(ctx context.Context) (Release, error) {
	r, err := u.Check(ctx)
	if err != nil {
		u.logRefusal(err)
		return r, err
	}
	// A system-wide install (the .deb's /usr/bin) is not the user's to
	// replace: its package manager updates it, and nothing is downloaded.
	if err := (&selfupdate.Options{TargetPath: u.TargetPath}).CheckPermissions(); err != nil {
		u.log().Warn("a new version is available, but this program's folder is not writable; update it with the system's package manager", "version", r.Version, "err", err)
		return r, fmt.Errorf("%w: %v", ErrNotWritable, err)
	}
	u.log().Info("a new version is available; downloading it", "version", r.Version, "url", r.URL)
	if u.Downloading != nil {
		u.Downloading(r.Version)
	}
	path, err := fetch(ctx, u.Dir, u.client(), r, u.log())
	if err != nil {
		return r, err
	}
	exe, err := os.ReadFile(path)
	if err != nil {
		return r, fmt.Errorf("read the download: %w", err)
	}
	// The signature is checked before anything else reads the bytes.
	if err := verify(u.Key, exe, r); err != nil {
		u.log().Error("refusing the update: its signature does not verify; the download is deleted", "version", r.Version, "err", err)
		os.Remove(path)
		return r, err
	}
	u.log().Info("the update is verified; waiting until no download is running", "version", r.Version)
	if err := u.Idle(ctx); err != nil {
		return r, err
	}
	if err := u.apply(exe, r); err != nil {
		return r, err
	}
	os.RemoveAll(u.Dir) // the build is installed; nothing there is needed
	u.log().Info("the update is installed", "from", u.Current, "to", r.Version)
	return r, nil
}

// apply replaces the executable; selfupdate checks the sha256 once more on
// the bytes it writes, and rolls back a failed rename.
func (u *Updater) apply(exe []byte, r Release) error {
	sum, err := hex.DecodeString(r.SHA256)
	if err != nil {
		return fmt.Errorf("the feed's sha256 is not hex: %w", err)
	}
	err = selfupdate.Apply(bytes.NewReader(exe), selfupdate.Options{TargetPath: u.TargetPath, Checksum: sum})
	if rerr := selfupdate.RollbackError(err); rerr != nil {
		return fmt.Errorf("install the update: %w; the old program could not be put back either (%v): reinstall dlhelper", err, rerr)
	}
	if err != nil {
		return fmt.Errorf("install the update: %w", err)
	}
	return nil
}

// logRefusal logs why no update is installed: refusals as warnings, the
// ordinary "nothing new" quietly.
func (u *Updater) logRefusal(err error) {
	switch {
	case errors.Is(err, ErrUpToDate):
		u.log().Debug("dlhelper is up to date", "version", u.Current)
	case errors.Is(err, ErrNoVersion):
		u.log().Info("updates are off for a development build", "version", u.Current)
	case errors.Is(err, ErrDowngrade), errors.Is(err, ErrInsecure):
		u.log().Warn("refusing the update feed", "feed", u.FeedURL, "err", err)
	default:
		u.log().Warn("could not check for updates", "feed", u.FeedURL, "err", err)
	}
}

func (u *Updater) client() *http.Client {
	if u.Client != nil {
		return u.Client
	}
	return &http.Client{Timeout: 0, Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, TLSHandshakeTimeout: 30 * time.Second}}
}

func (u *Updater) platform() string {
	if u.Platform != "" {
		return u.Platform
	}
	return runtime.GOOS + "/" + runtime.GOARCH
}

func (u *Updater) log() *slog.Logger {
	if u.Log != nil {
		return u.Log
	}
	return slog.Default()
}
