package downloader

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The user may choose another download folder while the helper runs
// (SetRoot). A job keeps the folder it was added under, for good: its
// transfers write through that folder's handle, and its record names the
// folder (jobRecord.Root), so after a restart it continues where it was.
// Jobs added afterwards go to the new folder. So a place, a folder with
// its os.Root handle and the names held below it, is shared by the jobs
// added under it and closed with the Manager.

// place is one download root.
type place struct {
	dir   string // absolute, cleaned
	root  *folderRoot
	names *nameBook
	// watched says a watcher waits for the folder to come back; poll is
	// how often it looks (park.go). Both guarded by Manager.mu.
	watched bool
	poll    time.Duration
}

func openPlace(dir string) (*place, error) {
	root, err := openRoot(dir)
	if err != nil {
		return nil, err
	}
	p := &place{dir: dir, root: newFolderRoot(root), poll: defaultFolderPoll}
	p.names = newNameBook(p.onDisk)
	return p, nil
}

// placeAt returns the open place for dir, opening it when no job uses it
// yet. m.mu must be held, or New must be running.
func (m *Manager) placeAt(dir string) (*place, error) {
	if p := m.places[dir]; p != nil {
		return p, nil
	}
	p, err := openPlace(dir)
	if err != nil {
		return nil, err
	}
	m.places[dir] = p
	return p, nil
}

// openPlaces opens the folder for new jobs: the one the user chose last
// (stored with the jobs), else cfg.Root. A chosen folder that cannot be
// opened now (a drive not plugged in) is logged and cfg.Root serves.
func (m *Manager) openPlaces() error {
	m.places = map[string]*place{}
	def, err := m.placeAt(m.cfg.Root)
	if err != nil {
		return err
	}
	m.place = def
	chosen, err := m.store.chosenRoot()
	if err != nil || chosen == "" || chosen == def.dir {
		return err
	}
	if p, err := m.placeAt(chosen); err != nil {
		m.log.Warn("the chosen download folder cannot be opened; using the default", "dir", chosen, "err", err)
	} else {
		m.place = p
	}
	return nil
}

// closePlaces closes every root handle.
func (m *Manager) closePlaces() {
	for _, p := range m.places {
		p.root.Close()
	}
}

// restorePlace is the place a stored job was added under; records older
// than the choice of folder have none and are in cfg.Root. A folder that
// cannot be opened any more leaves the job in cfg.Root: its unfinished
// files start there again, as they would after the folder was deleted.
func (m *Manager) restorePlace(r *jobRecord) *place {
	if r.Root == "" || !filepath.IsAbs(r.Root) {
		return m.places[m.cfg.Root]
	}
	p, err := m.placeAt(filepath.Clean(r.Root))
	if err != nil {
		m.log.Warn("a job's download folder cannot be opened; its files go to the default folder", "job", r.ID, "dir", r.Root, "err", err)
		return m.places[m.cfg.Root]
	}
	return p
}

// Root is the download folder new jobs go to.
func (m *Manager) Root() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.place.dir
}

// ErrBadRoot means SetRoot was given a folder it cannot use.
var ErrBadRoot = errors.New("the download folder cannot be used")

// SetRoot makes dir, an absolute path, the download folder of jobs added
// from now on, creating it if need be, and remembers it across restarts.
// Jobs already added keep theirs.
func (m *Manager) SetRoot(dir string) error {
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("%w: %q is not an absolute path; choose a folder such as %s", ErrBadRoot, dir, m.cfg.Root)
	}
	dir = filepath.Clean(dir)
	// Opened before the lock is taken: a network folder may take its time,
	// and every other call would wait for it.
	opened, err := openPlace(dir)
	if err != nil {
		return fmt.Errorf("%w: %v; choose a folder you can write to", ErrBadRoot, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		opened.root.Close()
		return ErrClosed
	}
	p := m.places[dir]
	if p == nil {
		p, m.places[dir] = opened, opened
	} else {
		opened.root.Close() // the folder of some job already
	}
	if err := m.store.setChosenRoot(dir); err != nil {
		return fmt.Errorf("save the download folder: %w", err)
	}
	m.log.Info("download folder changed", "dir", dir)
	m.place = p
	return nil
}

// place is the download folder of the transfer's job.
func (t *transfer) place() *place { return t.f.job.place }

// currentPlace is the place new jobs go to.
func (m *Manager) currentPlace() *place {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.place
}

var (
	bucketSettings = []byte("settings")
	keyRoot        = []byte("root")
)

// chosenRoot is the folder SetRoot stored, or "".
func (s *store) chosenRoot() (string, error) {
	var dir string
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketSettings); b != nil {
			dir = string(b.Get(keyRoot))
		}
		return nil
	})
	return dir, err
}

func (s *store) setChosenRoot(dir string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketSettings)
		if err != nil {
			return err
		}
		return b.Put(keyRoot, []byte(dir))
	})
}
