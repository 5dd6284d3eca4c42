package downloader

import (
	"slices"
	"strings"
)

// setState moves f into s, publishes the change and updates its job's
// state; m.mu must be held. The caller saves the record.
func (m *Manager) setState(f *file, s FileState, ferr *FileError) {
	if f.rec.State == s && f.rec.Err == ferr {
		return
	}
	f.job.count[f.rec.State]--
	f.job.count[s]++
	if s == FileQueued {
		f.job.next = 0
	}
	f.rec.State, f.rec.Err = s, ferr
	fi := f.info()
	m.hub.publish(Event{Type: EventFileState, JobID: f.job.rec.ID, File: &fi})
	if s == FileURLExpired {
		m.hub.publish(Event{Type: EventURLExpired, JobID: f.job.rec.ID, File: &fi})
	}
	m.updateJob(f.job)
}

// updateJob publishes a change of a job's derived state; m.mu must be held.
func (m *Manager) updateJob(j *job) {
	s := j.derive()
	if s == j.state || j.gone {
		return
	}
	j.state = s
	info := m.info(j)
	m.hub.publish(Event{Type: EventJobState, JobID: j.rec.ID, Job: &info})
	switch s {
	case JobCompleted:
		m.hub.publish(Event{Type: EventJobCompleted, JobID: j.rec.ID, Job: &info})
		m.log.Info("job completed", "job", j.rec.ID, "bytes", info.Done)
	case JobFailed:
		m.hub.publish(Event{Type: EventJobFailed, JobID: j.rec.ID, Job: &info})
		m.log.Warn("job failed", "job", j.rec.ID)
	}
}

// addFile appends f to j's files; m.mu must be held, unless j is not
// yet the Manager's.
func (j *job) addFile(f *file) {
	if j.count == nil {
		j.count = map[FileState]int{}
	}
	j.files = append(j.files, f)
	j.count[f.rec.State]++
}

// derive computes a job's state from its files: running while any file
// transfers; otherwise queued, waiting (for a URL) or paused by what its
// unfinished files wait for; and once all ended, completed, failed or
// canceled.
func (j *job) derive() JobState {
	n := j.count
	switch {
	case n[FileDownloading] > 0 || n[FileVerifying] > 0:
		return JobRunning
	case n[FileQueued] > 0:
		return JobQueued
	case n[FileURLExpired] > 0:
		return JobWaiting
	case n[FilePaused] > 0:
		return JobPaused
	case n[FileFailed] > 0:
		return JobFailed
	case n[FileCanceled] > 0:
		return JobCanceled
	}
	return JobCompleted
}

// progress sums a job's files. Total is -1 while any size is unknown;
// callers who pass sizes in the job get an exact total from the start.
func (j *job) progress() Progress {
	p := Progress{ETA: -1}
	for _, f := range j.files {
		size := f.size()
		if size < 0 || p.Total < 0 {
			p.Total = -1
		} else {
			p.Total += size
		}
		p.Done += f.written.Load()
	}
	p.Speed = int64(j.speed) // the job's own, see job.updateSpeed
	if p.Total >= 0 && p.Speed > 0 {
		p.ETA = (p.Total - p.Done + p.Speed - 1) / p.Speed
	}
	return p
}

// sortJobs orders jobs oldest first; ids break ties.
func sortJobs(jobs []*job) {
	slices.SortStableFunc(jobs, func(a, b *job) int {
		if c := a.rec.Created.Compare(b.rec.Created); c != 0 {
			return c
		}
		return strings.Compare(a.rec.ID, b.rec.ID)
	})
}
