package downloader

import "sync"

// dirSyncer makes renames durable with as few folder syncs as it can:
// files of one order finish together in one folder, and one sync started
// after several renames makes them all durable. A caller whose rename
// came while a sync ran waits for that one and shares the next.
type dirSyncer struct {
	mu   sync.Mutex
	dirs map[string]*dirSync
	sync func(dir string) error // syncDir; a seam for tests
}

// dirSync is one folder's group commit. Tickets are handed out in order;
// a sync started when tickets up to n were out covers all of them.
type dirSync struct {
	cond    sync.Cond
	issued  uint64 // tickets handed out
	synced  uint64 // tickets covered by a finished sync
	running bool
	err     error // the last sync's result, for the tickets it covered
	waiters int   // callers holding the entry; it is dropped at zero
}

func newDirSyncer() *dirSyncer {
	return &dirSyncer{dirs: map[string]*dirSync{}, sync: syncDir}
}

// Sync returns once a folder sync that started after the call began has
// finished, with that sync's error: the caller's rename in dir is then
// durable.
func (s *dirSyncer) Sync(dir string) error {
	s.mu.Lock()
	d := s.dirs[dir]
	if d == nil {
		d = &dirSync{}
		d.cond.L = &s.mu
		s.dirs[dir] = d
	}
	d.waiters++
	d.issued++
	ticket := d.issued
	for d.synced < ticket {
		if d.running {
			d.cond.Wait()
			continue
		}
		d.running = true
		covers := d.issued
		s.mu.Unlock()
		err := s.sync(dir)
		s.mu.Lock()
		d.running, d.synced, d.err = false, covers, err
		d.cond.Broadcast()
	}
	err := d.err
	if d.waiters--; d.waiters == 0 {
		delete(s.dirs, dir)
	}
	s.mu.Unlock()
	return err
}
