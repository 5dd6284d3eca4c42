package downloader

import (
	"context"
	"errors"
)

// Download slots: a file holds one of filesAtOnce slots from the moment
// its transfer starts until its bytes are all on disk and the finisher
// takes it with room to spare (finisher.admit), or until the transfer
// ends. schedule hands free slots to queued files, oldest job first. A file
// fetched once more after a checksum mismatch (transfer.run) does so
// outside the slots: that is rare, and the per-server budget (budget.go) holds.

// schedule starts queued files, oldest job first, while a slot is free and
// the file's host has connections to spare (budget.go); m.mu must be held.
func (m *Manager) schedule() {
	if m.closed {
		return
	}
	for _, j := range m.jobs {
		for j.next < len(j.files) && j.files[j.next].rec.State != FileQueued {
			j.next++
		}
		for _, f := range j.files[j.next:] {
			if f.rec.State != FileQueued || f.xfer != nil {
				continue
			}
			if m.running >= m.filesAtOnce() || !m.hosts.roomFor(f.url()) {
				return
			}
			m.start(f)
		}
	}
}

// start runs a transfer for f in a slot of its own; m.mu must be held. The
// goroutine it starts ends in finish, and Close waits for it.
func (m *Manager) start(f *file) {
	conns := f.job.rec.Connections
	if conns == 0 {
		conns = m.settings.Connections
	}
	auto := conns == 0 // as many as raise the rate, within the host's budget
	if auto {
		conns = m.cfg.MaxConnsPerHost
	}
	if f.job.rec.Sequential {
		conns, auto = 1, false
	}
	t := newTransfer(m.ctx, &m.env, m, f, &f.rec, conns, auto)
	f.xfer, f.slot = t, true
	m.running++
	m.hosts.join(t, m.cfg.MinPiece)
	m.fin.expect(t)
	m.setState(f, FileDownloading, nil)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.finish(f, t, t.run())
	}()
}

// verifying is the transfers' owner.verifying: f's bytes are all on disk,
// and with freeSlot its slot goes to the next queued file while it is
// verified, synced and renamed, which for small files is mostly waiting
// for the disk.
func (m *Manager) verifying(f *file, freeSlot bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setState(f, FileVerifying, nil)
	if freeSlot && f.slot {
		f.slot = false
		m.running--
	}
	m.schedule() // its connections are free too (finisher.finish)
}

// roomFreed is the transfers' owner.roomFreed: a file wants fewer
// connections than before, so another may start.
func (m *Manager) roomFreed() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.schedule()
}

// finish records how a transfer ended and starts the next files. A transfer
// stopped by a command (pause, cancel, remove, shutdown) leaves the state
// the command set; anything else becomes the file's new state.
func (m *Manager) finish(f *file, t *transfer, err error) {
	cause := context.Cause(t.ctx)
	gone := m.folderGone(f, err) // before the lock: it stats the folder
	m.fin.ended(t)
	m.hosts.leave(t)
	m.mu.Lock()
	f.xfer = nil
	if f.slot {
		f.slot = false
		m.running--
	}
	switch {
	case err == nil:
		m.setState(f, FileCompleted, nil)
		m.log.Info("file completed", "job", f.job.rec.ID, "path", f.rec.Path, "bytes", f.rec.Size)
	case errors.Is(cause, errCanceled):
		m.discardPart(f)
	case errors.Is(cause, errPaused), errors.Is(cause, errRemoved), errors.Is(cause, errShutdown):
	case gone:
		m.parkFile(f)
	default:
		fe := describe(err)
		state := FileFailed
		if fe.Code == CodeURLExpired {
			state = FileURLExpired
		}
		m.setState(f, state, fe)
		m.log.Warn("file stopped", "job", f.job.rec.ID, "path", f.rec.Path, "code", fe.Code, "err", err)
	}
	close(t.exited)
	m.schedule()
	m.mu.Unlock()
	// A file that completed while Close ran is saved too: its .part is
	// already renamed, and a record left at "downloading" would fetch it
	// again under a new name. The finisher already stored a completed
	// file as completed: one commit per finished file, not two.
	if (err == nil && !f.savedCompleted()) || (err != nil && !errors.Is(cause, errShutdown)) {
		m.saveFile(f)
	}
}
