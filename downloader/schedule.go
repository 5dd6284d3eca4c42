package downloader

import (
	"context"
	"errors"
	"net/url"
)

// schedule starts queued files, oldest job first, while fewer than
// MaxActiveFiles transfer; m.mu must be held.
func (m *Manager) schedule() {
	if m.closed {
		return
	}
	for _, j := range m.jobs {
		for j.next < len(j.files) && j.files[j.next].rec.State != FileQueued {
			j.next++
		}
		for _, f := range j.files[j.next:] {
			if m.running >= m.settings.MaxActiveFiles {
				return
			}
			if f.rec.State == FileQueued && f.xfer == nil {
				m.start(f)
			}
		}
	}
}

// start runs a transfer for f; m.mu must be held. The goroutine it starts
// ends in finish, and Close waits for it.
func (m *Manager) start(f *file) {
	conns := f.job.rec.Connections
	if conns == 0 {
		conns = m.settings.Connections
	}
	if f.job.rec.Sequential {
		conns = 1
	}
	t := newTransfer(m, f, conns)
	f.xfer = t
	m.addCandidate(t)
	m.running++
	m.setState(f, FileDownloading, nil)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.finish(f, t, t.run())
	}()
}

// giveBackSlot lets the next queued file start while t verifies, syncs
// and renames a file that is all on disk: for small files those steps are
// mostly waits for the disk, and a slot held through them leaves the
// network idle. While MaxActiveFiles files already finish this way, t
// keeps its slot, so they cannot pile up behind a slow disk. m.mu must
// be held. Files waiting for a set to hash in (lanes.go) do not count:
// they wait for other downloads, not for the disk.
func (m *Manager) giveBackSlot(t *transfer) {
	if t.slotFree || m.finishing-m.lanes.freed >= m.settings.MaxActiveFiles {
		return
	}
	t.slotFree = true
	m.running--
	m.finishing++
	m.schedule()
}

// finish records how a transfer ended and starts the next files. A transfer
// stopped by a command (pause, cancel, remove, shutdown) leaves the state
// the command set; anything else becomes the file's new state.
func (m *Manager) finish(f *file, t *transfer, err error) {
	cause := context.Cause(t.ctx)
	m.mu.Lock()
	f.xfer = nil
	m.dropCandidate(t)
	if t.slotFree {
		m.finishing--
	} else {
		m.running--
	}
	switch {
	case err == nil:
		m.setState(f, FileCompleted, nil)
		m.log.Info("file completed", "job", f.job.rec.ID, "file", f.rec.Path, "bytes", f.rec.Size)
	case errors.Is(cause, errCanceled):
		m.discardPart(f)
	case errors.Is(cause, errPaused), errors.Is(cause, errRemoved), errors.Is(cause, errShutdown):
	default:
		fe := describe(err)
		state := FileFailed
		if fe.Code == CodeURLExpired {
			state = FileURLExpired
		}
		m.setState(f, state, fe)
		m.log.Warn("file stopped", "job", f.job.rec.ID, "file", f.rec.Path, "code", fe.Code, "err", err)
	}
	close(t.ended)
	m.schedule()
	m.mu.Unlock()
	// A file that completed while Close ran is saved too: its .part is
	// already renamed, and a record left at "downloading" would fetch it
	// again under a new name.
	// finalize already stored a completed file as completed: one commit
	// per finished file, not two.
	if (err == nil && !f.savedCompleted()) || (err != nil && !errors.Is(cause, errShutdown)) {
		m.saveFile(f)
	}
}

// hostSlot returns the semaphore that caps connections to u's host.
func (m *Manager) hostSlot(rawURL string) chan struct{} {
	host := rawURL
	if u, err := url.Parse(rawURL); err == nil {
		host = u.Host
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ch, ok := m.hosts[host]
	if !ok {
		ch = make(chan struct{}, m.cfg.MaxConnsPerHost)
		m.hosts[host] = ch
	}
	return ch
}

// acquire takes a connection slot for the URL's host, or fails with ctx.
func (m *Manager) acquire(ctx context.Context, rawURL string) (release func(), err error) {
	ch := m.hostSlot(rawURL)
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}
