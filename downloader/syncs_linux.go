package downloader

import (
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Each finished file is synced before its rename. An fsync writes the
// file's data, then its inode, then flushes the disk's cache, waiting on
// each; on small files those waits cost more than creating, writing and
// renaming the file.
//
// So files that reach their sync together are synced as a batch: first
// every file's data write is started (sync_file_range), then each file is
// fsynced, by its own goroutine, finding its data already on its way; the
// disk gets the batch's data in one run rather than one trip per file.
//
// A batch is the files that came while the batch before it synced (group
// commit): no file waits for a timer or for files that are not there, and
// a file that finds nothing syncing is synced at once. Each file is still
// fsynced on its own, so an error is its own, and a batch never waits for
// another program's writes, as syncfs would. Only Linux has
// sync_file_range; elsewhere files sync one by one.
//
// Only files of up to syncBatchMaxFile are batched. A larger file's sync
// is mostly its data's write, which a batch does not make cheaper, and
// waiting for a batch would only delay it.
func newSyncFile() func(f *os.File, size int64) error {
	return newSyncQueue().syncFile
}

// syncBatchMaxFile is the largest file synced in a batch: above it the
// sync's fixed cost is small next to the data's write.
const syncBatchMaxFile = 1 << 20

// syncQueue holds the files that wait for the batch syncing to end.
type syncQueue struct {
	// startWrite starts writing a file's data, and fsync syncs it; seams
	// for tests.
	startWrite func(*os.File)
	fsync      func(*os.File) error

	mu      sync.Mutex
	waiting []*syncWaiter
	syncing int // files of the batch syncing, not yet done
}

// syncWaiter is a file waiting for the next batch; start is closed when
// its batch starts, its write started.
type syncWaiter struct {
	f     *os.File
	start chan struct{}
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

// syncFile syncs f, of size bytes: in a batch when it is small.
func (q *syncQueue) syncFile(f *os.File, size int64) error {
	if size > syncBatchMaxFile {
		return q.fsync(f)
	}
	return q.sync(f)
}

// sync returns when f is synced, with f's fsync error.
func (q *syncQueue) sync(f *os.File) error {
	q.mu.Lock()
	if q.syncing == 0 && len(q.waiting) == 0 {
		q.syncing = 1
		q.mu.Unlock()
	} else {
		w := &syncWaiter{f: f, start: make(chan struct{})}
		q.waiting = append(q.waiting, w)
		q.mu.Unlock()
		<-w.start
	}
	err := q.fsync(f)
	q.mu.Lock()
	q.syncing--
	if q.syncing > 0 || len(q.waiting) == 0 {
		q.mu.Unlock()
		return err
	}
	// The last of its batch starts the next one.
	batch := q.waiting
	q.waiting = nil
	q.syncing = len(batch)
	q.mu.Unlock()
	if len(batch) > 1 {
		for _, w := range batch {
			q.startWrite(w.f)
		}
	}
	for _, w := range batch {
		close(w.start)
	}
	return err
}
