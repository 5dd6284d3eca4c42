package downloader

import (
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Each finished file is synced before its rename. An fsync writes the
// file's data, then its inode, then flushes the disk's cache, waiting on
// each; on small files those waits are most of the cost left: 180 µs of
// CPU per 64 KiB file here, three times what creating, writing and
// renaming it costs.
//
// So files that reach their sync together are synced as a batch: first
// every file's data write is started (sync_file_range), then each file is
// fsynced, finding its data already on its way, so the disk gets the
// batch's data in one run rather than one trip per file. 2,000 × 64 KiB
// files in batches of 4, CPU seconds, process / machine: on ext4 without
// a journal (this VM) one by one 0.48 / 0.60, batched 0.30 / 0.44, not
// synced at all 0.12 / 0.14; on ext4 with a journal one by one 0.43 /
// 1.40, four at once (as files finishing together did) 0.52 / 1.02,
// batched 0.31 / 0.76.
//
// A batch is whatever waits when the batch before it ends (group commit):
// no file waits for a timer or for files that are not there, and a file
// that finds no batch running is synced at once. Each file is still
// fsynced on its own, so an error is its own, and a batch never waits for
// another program's writes, as syncfs would. Only Linux has
// sync_file_range; elsewhere files sync one by one as before.
func newSyncFile() func(*os.File) error {
	return newSyncQueue().sync
}

// syncQueue runs one batch of syncs at a time; the file that finds it idle
// leads: it syncs the batch it is in, then hands the lead to the first
// file that came meanwhile.
type syncQueue struct {
	// startWrite starts writing a file's data, and fsync syncs it; seams
	// for tests.
	startWrite func(*os.File)
	fsync      func(*os.File) error

	mu      sync.Mutex
	waiting []*syncReq
	busy    bool // a batch is being synced
}

func newSyncQueue() *syncQueue {
	return &syncQueue{
		// A hint: a file system that cannot start the write early leaves
		// it all to the fsync.
		startWrite: func(f *os.File) {
			_ = unix.SyncFileRange(int(f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
		},
		fsync: (*os.File).Sync,
	}
}

type syncReq struct {
	f *os.File
	// wake receives once: when the file is synced (done), or when it is
	// the file's turn to lead the next batch.
	wake chan struct{}
	done bool
	err  error
}

// sync returns when f is synced, with f's fsync error.
func (q *syncQueue) sync(f *os.File) error {
	r := &syncReq{f: f, wake: make(chan struct{}, 1)}
	q.mu.Lock()
	q.waiting = append(q.waiting, r)
	lead := !q.busy
	q.busy = true
	q.mu.Unlock()
	if !lead {
		if <-r.wake; r.done {
			return r.err
		}
	}
	q.mu.Lock()
	batch := q.waiting
	q.waiting = nil
	q.mu.Unlock()
	q.syncBatch(batch, r)
	q.mu.Lock()
	if len(q.waiting) > 0 {
		q.waiting[0].wake <- struct{}{}
	} else {
		q.busy = false
	}
	q.mu.Unlock()
	return r.err
}

// syncBatch syncs every file of batch and wakes each but its leader as
// soon as its own file is synced.
func (q *syncQueue) syncBatch(batch []*syncReq, leader *syncReq) {
	if len(batch) > 1 {
		for _, r := range batch {
			q.startWrite(r.f)
		}
	}
	for _, r := range batch {
		r.err = q.fsync(r.f)
		r.done = true
		if r != leader {
			r.wake <- struct{}{}
		}
	}
}
