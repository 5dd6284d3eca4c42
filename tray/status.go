package tray

import (
	"dlhelper/downloader"
	"dlhelper/internal/units"
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

// Status is the tray's status line and icon for jobs, in English: "3
// downloading · 42 MiB/s" while any job is queued or running, "1 waiting for
// a new link" when a link expired, "Paused", or "Idle"; a failed job adds
// " · 1 failed" and turns the icon to the error state, which wins over every
// other. The menu writes the same line in its own Lang.
func Status(jobs []downloader.JobInfo) (text string, icon IconState) {
	return summarize(jobs).status(English)
}

func (s summary) status(l Lang) (string, IconState) {
	var text string
	icon := IconIdle
	switch {
	case s.active > 0:
		text, icon = l.text(msgDownloading, s.active), IconActive
		if s.speed > 0 {
			text += " · " + units.Rate(s.speed)
		}
	case s.waiting > 0:
		text, icon = l.text(msgWaiting, s.waiting), IconPaused
	case s.paused > 0:
		text, icon = l.text(msgPaused), IconPaused
	}
	if s.failed > 0 {
		icon = IconError
		if text == "" {
			return l.text(msgFailedCount, s.failed), icon
		}
		return text + " · " + l.text(msgFailedCount, s.failed), icon
	}
	if text == "" {
		text = l.text(msgIdle)
	}
	return text, icon
}
