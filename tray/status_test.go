package tray

import (
	"testing"

	"dlhelper/downloader"
)

func job(state downloader.JobState, speed int64, files ...downloader.FileState) downloader.JobInfo {
	j := downloader.JobInfo{State: state, Progress: downloader.Progress{Speed: speed}}
	for i, f := range files {
		j.Files = append(j.Files, downloader.FileInfo{Index: i, State: f})
	}
	return j
}

func TestStatus(t *testing.T) {
	t.Parallel()
	running := job(downloader.JobRunning, 14_000_000, downloader.FileDownloading)
	tests := []struct {
		name     string
		jobs     []downloader.JobInfo
		wantText string
		wantIcon IconState
	}{
		{"no jobs is idle", nil, "Idle", IconIdle},
		{"only completed jobs is idle", []downloader.JobInfo{job(downloader.JobCompleted, 0), job(downloader.JobCanceled, 0)}, "Idle", IconIdle},
		{"three running jobs add their speeds", []downloader.JobInfo{running, running, running}, "3 downloading · 40 MiB/s", IconActive},
		{"a queued job counts as downloading", []downloader.JobInfo{job(downloader.JobQueued, 0)}, "1 downloading", IconActive},
		{"paused jobs are paused", []downloader.JobInfo{job(downloader.JobPaused, 0), job(downloader.JobCompleted, 0)}, "Paused", IconPaused},
		{"an expired link waits", []downloader.JobInfo{job(downloader.JobWaiting, 0), job(downloader.JobPaused, 0)}, "1 waiting for a new link", IconPaused},
		{"downloading wins over paused", []downloader.JobInfo{job(downloader.JobPaused, 0), running}, "1 downloading · 13 MiB/s", IconActive},
		{"a failed job shows the error icon", []downloader.JobInfo{job(downloader.JobFailed, 0, downloader.FileFailed, downloader.FileCompleted)}, "1 failed", IconError},
		{"a failed file in a running job shows both", []downloader.JobInfo{job(downloader.JobRunning, 2_500_000, downloader.FileFailed, downloader.FileDownloading)}, "1 downloading · 2.4 MiB/s · 1 failed", IconError},
		{"paused with a failure", []downloader.JobInfo{job(downloader.JobPaused, 0), job(downloader.JobFailed, 0)}, "Paused · 1 failed", IconError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			text, icon := Status(tt.jobs)
			if text != tt.wantText || icon != tt.wantIcon {
				t.Errorf("Status() = %q, %s; want %q, %s", text, icon, tt.wantText, tt.wantIcon)
			}
		})
	}
}

func TestIconsAreEmbeddedForEveryState(t *testing.T) {
	t.Parallel()
	for _, s := range []IconState{IconIdle, IconActive, IconPaused, IconError} {
		png, ico := IconPNG(s), IconICO(s)
		if len(png) < 8 || string(png[1:4]) != "PNG" {
			t.Errorf("IconPNG(%s) is not a PNG", s)
		}
		// An ICO starts with reserved 0, type 1, and here two images.
		if len(ico) < 6 || ico[0] != 0 || ico[2] != 1 || ico[4] != 2 {
			t.Errorf("IconICO(%s) is not an ICO with two images", s)
		}
	}
	if string(IconPNG(IconIdle)) == string(IconPNG(IconError)) {
		t.Error("the idle and error icons are the same")
	}
}
