package tray

import (
	"fmt"

	"dlhelper/downloader"
)

// summary counts jobs by what the user should see of them.
type summary struct {
	active  int   // queued or running
	paused  int   // paused by the user
	waiting int   // some file needs a fresh link from the portal
	failed  int   // some file failed
	speed   int64 // bytes per second over the active jobs
}

func summarize(jobs []downloader.JobInfo) summary {
	var s summary
	for _, j := range jobs {
		switch j.State {
		case downloader.JobQueued, downloader.JobRunning:
			s.active++
			s.speed += max(j.Speed, 0)
		case downloader.JobPaused:
			s.paused++
		case downloader.JobWaiting:
			s.waiting++
		}
		if j.State == downloader.JobFailed || hasFailedFile(j) {
			s.failed++
		}
	}
	return s
}

func hasFailedFile(j downloader.JobInfo) bool {
	for _, f := range j.Files {
		if f.State == downloader.FileFailed {
			return true
		}
	}
	return false
}

// Status is the tray's status line and icon for jobs: "3 downloading · 42 MB/s"
// while any job is queued or running, "1 waiting for a new link" when a link
// expired, "Paused", or "Idle"; a failed job adds " · 1 failed" and turns the
// icon to the error state, which wins over every other.
func Status(jobs []downloader.JobInfo) (text string, icon IconState) {
	return summarize(jobs).status()
}

func (s summary) status() (string, IconState) {
	var text string
	icon := IconIdle
	switch {
	case s.active > 0:
		text, icon = fmt.Sprintf("%d downloading", s.active), IconActive
		if s.speed > 0 {
			text += " · " + FormatRate(s.speed)
		}
	case s.waiting > 0:
		text, icon = fmt.Sprintf("%d waiting for a new link", s.waiting), IconPaused
	case s.paused > 0:
		text, icon = "Paused", IconPaused
	}
	if s.failed > 0 {
		icon = IconError
		if text == "" {
			return fmt.Sprintf("%d failed", s.failed), icon
		}
		return fmt.Sprintf("%s · %d failed", text, s.failed), icon
	}
	if text == "" {
		text = "Idle"
	}
	return text, icon
}

// FormatRate writes bytes per second in SI units as a download dialog does:
// "950 B/s", "4.2 MB/s", "42 MB/s".
func FormatRate(bps int64) string {
	const units = "kMGT"
	if bps < 1000 {
		return fmt.Sprintf("%d B/s", max(bps, 0))
	}
	v, i := float64(bps)/1000, 0
	for v >= 999.5 && i < len(units)-1 {
		v /= 1000
		i++
	}
	if v < 9.95 {
		return fmt.Sprintf("%.1f %cB/s", v, units[i])
	}
	return fmt.Sprintf("%.0f %cB/s", v, units[i])
}

// FormatSize writes a byte count in SI units: "950 B", "4.2 MB", "1.5 GB".
func FormatSize(n int64) string {
	rate := FormatRate(n)
	return rate[:len(rate)-len("/s")]
}
