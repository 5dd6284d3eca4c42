package update

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"dlhelper/downloader"
)

// fetch downloads r's build with dlhelper's own engine into dir, and
// returns its path. The engine's state lives in dir too, so a download
// cut by a restart or a lost network resumes at the next check; jobs of
// other versions are removed with their files.
func fetch(ctx context.Context, dir string, client *http.Client, r Release, log *slog.Logger) (string, error) {
	root := filepath.Join(dir, "files")
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	m, err := downloader.New(downloader.Config{
		StateDir: filepath.Join(dir, "state"), Root: root, HTTPClient: client, Logger: log,
		Settings: downloader.Settings{Connections: 4, MaxActiveFiles: 1},
	})
	if err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	defer m.Close()
	sub := m.Subscribe()
	defer sub.Close()
	id, err := startJob(m, r)
	if err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	info, err := waitSettled(ctx, m, sub, id)
	if err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	if info.State != downloader.JobCompleted || len(info.Files) != 1 {
		return "", fmt.Errorf("fetch: the download of %s ended %s", r.Version, info.State)
	}
	p := info.Files[0].Path
	if !filepath.IsAbs(p) {
		p = filepath.Join(info.Dir, p)
	}
	return p, nil
}

// startJob finds this release's job from an earlier try, or adds it.
func startJob(m *downloader.Manager, r Release) (string, error) {
	name := trustedComment(r.Version, r.Platform)
	for _, j := range m.Jobs() {
		if j.Name != name {
			if err := m.RemoveJob(j.ID, true); err != nil {
				return "", err
			}
			continue
		}
		if j.State == downloader.JobFailed {
			if err := m.RetryJob(j.ID); err != nil && !errors.Is(err, downloader.ErrState) {
				return "", err
			}
		}
		return j.ID, nil
	}
	j, err := m.Add(downloader.JobSpec{Name: name, Folder: r.Version, Files: []downloader.FileSpec{
		{URL: r.URL, Name: "dlhelper-" + r.Version + ".bin", Size: r.Size, SHA256: r.SHA256},
	}})
	return j.ID, err
}

func waitSettled(ctx context.Context, m *downloader.Manager, sub *downloader.Subscription, id string) (downloader.JobInfo, error) {
	for {
		info, err := m.Job(id)
		if err != nil {
			return info, err
		}
		switch info.State {
		case downloader.JobCompleted, downloader.JobFailed, downloader.JobCanceled, downloader.JobWaiting:
			return info, nil
		}
		if _, err := sub.Next(ctx); err != nil {
			return info, err
		}
	}
}
