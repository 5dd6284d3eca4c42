package downloader

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync/atomic"
	"time"
)

// A download folder on a USB drive that is pulled, or on a network share
// or FUSE mount whose server goes away, fails every file of every order
// under it at once, and comes back later by itself. Failing the files one
// by one would leave the user to resume each order by hand; instead the
// first file that meets the loss parks the whole place: every queued or
// running file under it is paused with CodeFolderUnavailable, bytes kept,
// and one watcher per parked place polls until the folder can be opened
// again, swaps in a fresh os.Root (the old handle points at a dead mount)
// and queues the parked files, which resume from their .part.
//
// A single bad file must not be taken for a lost drive: a file's error
// parks only when it is of a kind a lost drive gives (goneErrnos, or a
// .part that vanished) and the folder itself can no longer be reached.

// CodeFolderUnavailable is the FileError code of a file parked because
// its download folder cannot be reached.
const CodeFolderUnavailable = "folder_unavailable"

// errFolderGone stops the transfers of a parked place. It is a pause, so
// finish leaves the state park set and the bytes are kept.
var errFolderGone = fmt.Errorf("%w: the download folder cannot be reached", errPaused)

// defaultFolderPoll is how often a watcher looks for a lost folder.
const defaultFolderPoll = 3 * time.Second

func folderError(dir string) *FileError {
	return &FileError{CodeFolderUnavailable, fmt.Sprintf("The download folder %s cannot be reached: its drive was removed or its network share disconnected. Plug the drive in or reconnect the share; dlhelper resumes by itself when the folder is back, and the bytes already fetched are kept.", dir)}
}

// parked reports a file a lost folder paused.
func (f *file) parked() bool { return f.rec.parked() }

func (r *fileRecord) parked() bool {
	return r.State == FilePaused && r.Err != nil && r.Err.Code == CodeFolderUnavailable
}

// folderRoot is a place's os.Root, replaced when its folder comes back.
// Transfers read it without the Manager's lock, hence the atomic. dev is
// the folder's device when the handle was opened (guarded by
// Manager.mu): a network share or FUSE mount mounted again gets a new
// device number, and the .parts under it keep their inode numbers.
type folderRoot struct {
	cur atomic.Pointer[os.Root]
	dev uint64
}

func newFolderRoot(r *os.Root) *folderRoot {
	fr := &folderRoot{dev: deviceOf(r)}
	fr.cur.Store(r)
	return fr
}

// deviceOf is the device (volume) of the root's folder, 0 if unknown.
func deviceOf(r *os.Root) uint64 {
	f, err := r.Open(".")
	if err != nil {
		return 0
	}
	defer f.Close()
	id, _ := idOf(f)
	return id.Dev
}

func (r *folderRoot) now() *os.Root                          { return r.cur.Load() }
func (r *folderRoot) Lstat(name string) (fs.FileInfo, error) { return r.now().Lstat(name) }
func (r *folderRoot) Stat(name string) (fs.FileInfo, error)  { return r.now().Stat(name) }
func (r *folderRoot) Open(name string) (*os.File, error)     { return r.now().Open(name) }
func (r *folderRoot) Remove(name string) error               { return r.now().Remove(name) }
func (r *folderRoot) Rename(from, to string) error           { return r.now().Rename(from, to) }
func (r *folderRoot) MkdirAll(name string, perm fs.FileMode) error {
	return r.now().MkdirAll(name, perm)
}
func (r *folderRoot) OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	return r.now().OpenFile(name, flag, perm)
}
func (r *folderRoot) Close() error { return r.now().Close() }

// swap puts a fresh handle on the folder in place; m.mu must be held. It
// returns the dead one and the device the folder was on.
func (r *folderRoot) swap(fresh *os.Root) (dead *os.Root, oldDev uint64) {
	oldDev, r.dev = r.dev, deviceOf(fresh)
	return r.cur.Swap(fresh), oldDev
}

// folderGone reports that err, which ended f's transfer, came from f's
// folder being lost; finish asks only when no command stopped it. It
// stats the folder, so m.mu must not be held: a dead network folder may
// take its time to answer.
func (m *Manager) folderGone(f *file, err error) bool {
	if err == nil || !goneKind(err) {
		return false
	}
	return f.job.place.unreachable()
}

// goneKind reports an error a lost drive may give: one of goneErrnos, a
// .part that cannot be seen any more (checkPart reports it without the
// errno), or any other failure of the local disk, which a step that met
// the loss first may report in its own words. The folder check decides.
func goneKind(err error) bool {
	var fe *FileError
	if errors.As(err, &fe) {
		return fe.Code == CodePartMissing
	}
	for _, e := range goneErrnos {
		if errors.Is(err, e) {
			return true
		}
	}
	return isDiskError(err)
}

// unreachable reports that the place's folder is gone: its path does not
// lead to a folder, or the handle held on it no longer answers.
func (p *place) unreachable() bool {
	if st, err := os.Stat(p.dir); err != nil || !st.IsDir() {
		return true
	}
	_, err := p.root.Stat(".")
	return err != nil
}

// park pauses every queued or running file under p with the folder's
// error, and starts p's watcher unless it runs; m.mu must be held. The
// files it changed are saved by the watcher (m.mu is held here).
func (m *Manager) park(p *place) {
	fe := folderError(p.dir)
	var changed []*file
	for _, j := range m.jobs {
		if j.place != p {
			continue
		}
		for _, f := range j.files {
			if f.rec.State != FileQueued && !f.rec.State.active() {
				continue
			}
			if f.xfer != nil {
				f.xfer.cancel(errFolderGone)
			}
			m.setState(f, FilePaused, fe)
			changed = append(changed, f)
		}
	}
	if m.closed {
		return // Close is under way; the next run queues parked files (restoreFile)
	}
	m.wg.Add(1)
	if p.watched {
		go func() { defer m.wg.Done(); m.saveFiles(changed) }()
		return
	}
	p.watched = true
	m.log.Warn("download folder unreachable; its files wait for it", "dir", p.dir, "files", len(changed))
	go m.watchFolder(p, p.poll, changed)
}

// parkFile pauses f, whose transfer has ended, with its folder's error
// and parks the rest of its place; m.mu must be held.
func (m *Manager) parkFile(f *file) {
	keepCount(f)
	m.setState(f, FilePaused, folderError(f.job.place.dir))
	m.park(f.job.place)
}

// watchFolder waits until p's folder is back, then resumes its parked
// files. It ends when the Manager closes.
func (m *Manager) watchFolder(p *place, every time.Duration, parked []*file) {
	defer m.wg.Done()
	m.saveFiles(parked)
	if every <= 0 {
		every = defaultFolderPoll
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-tick.C:
		}
		if fresh := p.reopen(m.parkedParts(p)); fresh != nil {
			m.unpark(p, fresh)
			return
		}
	}
}

// reopen returns a fresh handle on p's folder once it is a folder again
// and, when parked files had bytes on disk, holds at least one of their
// .parts: an empty mount point left behind by a drive is not the folder.
func (p *place) reopen(parts []string) *os.Root {
	if st, err := os.Stat(p.dir); err != nil || !st.IsDir() {
		return nil
	}
	r, err := os.OpenRoot(p.dir)
	if err != nil {
		return nil
	}
	if _, err := r.Stat("."); err != nil {
		r.Close()
		return nil
	}
	for _, rel := range parts {
		if _, err := r.Lstat(native(rel + partSuffix)); err == nil {
			return r
		}
	}
	if len(parts) > 0 {
		r.Close()
		return nil
	}
	return r
}

// parkedParts lists the names of p's parked files that have bytes on disk.
func (m *Manager) parkedParts(p *place) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var rels []string
	for _, j := range m.jobs {
		for _, f := range j.files {
			if j.place == p && f.parked() && len(f.rec.Done) > 0 {
				rels = append(rels, f.rec.Rel)
			}
		}
	}
	return rels
}

// unpark swaps fresh in as p's handle and queues p's parked files.
func (m *Manager) unpark(p *place, fresh *os.Root) {
	m.mu.Lock()
	dead, oldDev := p.root.swap(fresh)
	p.watched = false
	var changed []*file
	for _, j := range m.jobs {
		for _, f := range j.files {
			if j.place == p && f.parked() {
				f.rec.PartID = movedPart(f.rec.PartID, oldDev, p.root.dev)
				keepCount(f)
				m.setState(f, FileQueued, nil)
				changed = append(changed, f)
			}
		}
	}
	m.log.Info("download folder is back; resuming its files", "dir", p.dir, "files", len(changed))
	m.schedule()
	m.mu.Unlock()
	dead.Close()
	m.saveFiles(changed)
}

// keepCount shows the bytes f's record keeps; m.mu must be held. A
// transfer that met the lost folder when it opened the .part took the
// file for started over and zeroed its count, though its record, which
// the next transfer resumes from, still claims those bytes.
func keepCount(f *file) {
	if f.xfer == nil {
		f.written.Store(f.rec.Done.size())
	}
}

// movedPart is the identity a .part has once its folder is mounted again
// on device dev: the same inode, which file systems keep across a
// remount. The inode must still match (reopenPart), so a file put at the
// .part's name meanwhile is not taken for it; a .part on another device
// than its folder's keeps its identity, and starts over if that changed.
func movedPart(id *fileID, oldDev, dev uint64) *fileID {
	if id == nil || oldDev == 0 || dev == 0 || id.Dev != oldDev {
		return id
	}
	return &fileID{Dev: dev, Ino: id.Ino}
}
