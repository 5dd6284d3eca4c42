package downloader

import (
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
)

// An action moves the files it applies to into one state. A running
// transfer of such a file is stopped with cause.
type action struct {
	name    string
	applies func(FileState) bool
	to      FileState
	cause   error
}

var (
	pauseAction = action{"pause", func(s FileState) bool {
		return s == FileQueued || s.active() || s == FileURLExpired
	}, FilePaused, errPaused}
	resumeAction = action{"resume", func(s FileState) bool {
		return s == FilePaused || s == FileFailed
	}, FileQueued, nil}
	cancelAction = action{"cancel", func(s FileState) bool {
		return !s.final()
	}, FileCanceled, errCanceled}
	retryAction = action{"retry", func(s FileState) bool {
		return s == FileFailed || s == FileCanceled || s == FileURLExpired
	}, FileQueued, nil}
)

// PauseJob pauses every unfinished file of a job; their bytes are kept.
func (m *Manager) PauseJob(id string) error { return m.applyJob(id, pauseAction) }

// ResumeJob queues the paused and failed files of a job again: after a
// full disk is cleared, say. Their bytes are kept.
func (m *Manager) ResumeJob(id string) error { return m.applyJob(id, resumeAction) }

// CancelJob stops every unfinished file of a job and deletes their partial
// data. Complete files stay.
func (m *Manager) CancelJob(id string) error { return m.applyJob(id, cancelAction) }

// RetryJob queues the failed, canceled and expired files of a job again.
func (m *Manager) RetryJob(id string) error { return m.applyJob(id, retryAction) }

// PauseFile pauses one file.
func (m *Manager) PauseFile(id string, index int) error { return m.apply(id, index, pauseAction) }

// ResumeFile queues one paused or failed file again.
func (m *Manager) ResumeFile(id string, index int) error { return m.apply(id, index, resumeAction) }

// CancelFile stops one file and deletes its partial data.
func (m *Manager) CancelFile(id string, index int) error { return m.apply(id, index, cancelAction) }

// RetryFile queues one failed, canceled or expired file again.
func (m *Manager) RetryFile(id string, index int) error { return m.apply(id, index, retryAction) }

// PauseAll pauses every unfinished job.
func (m *Manager) PauseAll() { m.applyAll(pauseAction) }

// ResumeAll resumes every paused or failed file.
func (m *Manager) ResumeAll() { m.applyAll(resumeAction) }

func (m *Manager) applyAll(act action) {
	m.mu.Lock()
	var changed []*file
	for _, j := range m.jobs {
		changed = append(changed, m.transition(j.files, act)...)
	}
	m.schedule()
	m.mu.Unlock()
	m.saveFiles(changed)
}

// applyJob runs act on every file of a job.
func (m *Manager) applyJob(id string, act action) error {
	return m.applyTo(act, func() ([]*file, error) { return m.jobFiles(id) })
}

// apply runs act on one file of a job.
func (m *Manager) apply(id string, index int, act action) error {
	return m.applyTo(act, func() ([]*file, error) { return m.oneFile(id, index) })
}

// applyTo runs act on the files lookup finds, under m.mu. Asking for a
// state the files are all in already is not an error.
func (m *Manager) applyTo(act action, lookup func() ([]*file, error)) error {
	m.mu.Lock()
	files, err := lookup()
	if err != nil {
		m.mu.Unlock()
		return err
	}
	changed := m.transition(files, act)
	m.schedule()
	m.mu.Unlock()
	m.saveFiles(changed)
	if len(changed) == 0 && !allIn(files, act.to) {
		return fmt.Errorf("cannot %s: %w", act.name, ErrState)
	}
	return nil
}

// jobFiles finds a job's files; m.mu must be held.
func (m *Manager) jobFiles(id string) ([]*file, error) {
	j, ok := m.byID[id]
	if !ok {
		return nil, fmt.Errorf("job %q: %w", id, ErrNoJob)
	}
	return j.files, nil
}

// oneFile finds one file of a job, as a slice of one; m.mu must be held.
func (m *Manager) oneFile(id string, index int) ([]*file, error) {
	files, err := m.jobFiles(id)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= len(files) {
		return nil, fmt.Errorf("job %q has no file %d: %w", id, index, ErrNoJob)
	}
	return files[index : index+1], nil
}

func allIn(files []*file, s FileState) bool {
	for _, f := range files {
		if f.rec.State != s && !(s == FileQueued && f.rec.State.active()) {
			return false
		}
	}
	return true
}

// transition moves the files act applies to and returns them; m.mu must be
// held.
func (m *Manager) transition(files []*file, act action) []*file {
	var changed []*file
	for _, f := range files {
		if act.to == FilePaused && f.parked() {
			// The user's pause outlasts the lost folder: without the
			// folder's error, the watcher leaves the file alone (park.go).
			m.setState(f, FilePaused, nil)
			changed = append(changed, f)
			continue
		}
		if !act.applies(f.rec.State) {
			continue
		}
		if f.xfer != nil && act.cause != nil {
			f.xfer.cancel(act.cause)
		}
		if act.to == FileCanceled && f.xfer == nil {
			m.discardPart(f)
		}
		m.setState(f, act.to, nil)
		changed = append(changed, f)
	}
	return changed
}

// discardPart deletes a file's partial data; m.mu must be held and no
// transfer may run for it.
func (m *Manager) discardPart(f *file) {
	f.job.place.removePart(f.rec.Rel)
	f.rec.Done = nil
	f.written.Store(0)
}

// SetURL replaces a file's URL, typically a fresh presigned URL for an
// expired one. The bytes fetched so far are kept: the new URL must serve the
// same object, which the pinned ETag and size check. A file waiting for a
// URL is queued again.
func (m *Manager) SetURL(id string, index int, rawURL string) error {
	if err := checkURL(rawURL); err != nil {
		return invalidf("url: %v", err)
	}
	m.mu.Lock()
	files, err := m.oneFile(id, index)
	if err != nil {
		m.mu.Unlock()
		return err
	}
	f := files[0]
	if f.rec.State == FileCompleted {
		m.mu.Unlock()
		return fmt.Errorf("file %d is complete: %w", index, ErrState)
	}
	f.setURL(rawURL)
	if f.rec.State == FileURLExpired || (f.rec.State == FileFailed && f.rec.Err != nil && f.rec.Err.Code == CodeAccessDenied) {
		m.setState(f, FileQueued, nil)
	}
	m.schedule()
	m.mu.Unlock()
	m.saveFiles([]*file{f})
	return nil
}

// RemoveJob forgets a job. With deleteParts, the partial data of its
// unfinished files is deleted too; complete files always stay.
func (m *Manager) RemoveJob(id string, deleteParts bool) error {
	m.mu.Lock()
	j, ok := m.byID[id]
	if !ok {
		m.mu.Unlock()
		return fmt.Errorf("job %q: %w", id, ErrNoJob)
	}
	j.gone = true
	var running []*transfer
	for _, f := range j.files {
		if f.xfer != nil {
			f.xfer.cancel(errRemoved)
			running = append(running, f.xfer)
		}
	}
	delete(m.byID, id)
	m.jobs = deleteJob(m.jobs, j)
	m.hub.publish(Event{Type: EventJobRemoved, JobID: id})
	m.schedule()
	m.mu.Unlock()
	for _, t := range running {
		<-t.exited
	}
	m.mu.Lock()
	if deleteParts {
		m.removeParts(j.files)
	}
	folders := completedFolders(j.files)
	names := fileNames(j.files)
	m.mu.Unlock()
	// What stays on disk (files, kept .parts) still holds its name there.
	defer j.place.names.release(names)
	// With the record gone no start can redo a rename a power cut undid
	// (see finisher.rename): the renames must be on disk first.
	for _, dir := range folders {
		if err := m.syncFolder(dir); err != nil {
			m.log.Warn("sync folder before removing its job", "job", id, "folder", dir, "err", err)
		}
	}
	if err := m.store.deleteJob(id); err != nil {
		return fmt.Errorf("remove job %s: %w", id, err)
	}
	return nil
}

// completedFolders lists, once each, the folders holding completed files.
func completedFolders(files []*file) []string {
	var dirs []string
	for _, f := range files {
		if d := filepath.Dir(f.rec.Path); f.rec.State == FileCompleted && !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

func deleteJob(jobs []*job, j *job) []*job {
	for i, x := range jobs {
		if x == j {
			return append(jobs[:i:i], jobs[i+1:]...)
		}
	}
	return jobs
}

// saveFiles commits the records of files; m.mu must not be held.
func (m *Manager) saveFiles(files []*file) {
	for _, f := range files {
		m.saveFile(f)
	}
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a valid URL") // not echoed: it may hold a signature
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("only http and https URLs are accepted, not %q", u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("the URL %q has no host", RedactURL(raw))
	}
	return nil
}
