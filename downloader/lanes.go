package downloader

import (
	"context"
	"crypto/md5"
	"hash"
	"io"
	"sync"
	"time"

	md5simd "github.com/minio/md5-simd"
	"golang.org/x/sys/cpu"
)

// MD5 is one chain through a file: one file cannot be hashed faster than
// one core runs crypto/md5. Sixteen files can: minio/md5-simd runs sixteen
// MD5s side by side in SIMD lanes, at a third of the CPU per byte when the
// lanes are full (the figures are in the README's decisions).
//
// So a file that is verified by its MD5 alone does not hash as it
// downloads: once all its bytes are on disk it waits in a set, and the
// set is hashed together, each file read back in a lane of its own, when
//   - it has a file for every lane, or laneSetBytes of files;
//   - no transfer that may still join it is downloading (the end of an
//     order, or only files that verify otherwise left);
//   - its first file has waited laneWait (a slow link, where the CPU does
//     not matter and a file should not wait long for its name).
//
// A waiting file gives its download slot back without counting against
// the files that may finish at once (finisher.admit): it waits for other
// downloads, not for the disk. Its bytes are still in the page cache when
// the set is hashed, which is why files larger than laneMaxFile, or of one
// piece (hashed as they land, without reading back), verify on their own.
// It is synced and recorded whole while it waits (keepWhileWaiting).
const (
	laneCount    = 16 // md5-simd's Lanes (declared on amd64 only)
	laneMaxFile  = 64 << 20
	laneSetBytes = 512 << 20
	laneWait     = time.Second
	// laneMinSet is the smallest set worth the SIMD server; a smaller one
	// is hashed file by file with crypto/md5.
	laneMinSet = 4
)

// lanes gathers files whose MD5 is hashed together; guarded by finisher.mu.
type lanes struct {
	enabled bool          // the CPU has the SIMD md5-simd needs (AVX2)
	wait    time.Duration // laneWait; a seam for tests
	set     []*laneFile
	bytes   int64
	// freed counts files of the set that gave their download slot back:
	// they do not count against the files allowed to finish at once.
	freed int
	// candidates counts transfers that may still join a set: started,
	// not yet joined, not known to verify otherwise.
	candidates int
	timer      *time.Timer
	gen        int         // which set the timer is for
	onHash     func(n int) // test hook: a set of n files starts hashing
}

// laneFile is one file's place in a set.
type laneFile struct {
	ctx       context.Context
	part      io.ReaderAt
	size      int64
	freedSlot bool
	started   bool          // its set is hashing; guarded by finisher.mu
	hashed    chan struct{} // closed when sum and err are set
	sum       []byte
	err       error
}

func newLanes() lanes {
	return lanes{enabled: cpu.X86.HasAVX2, wait: laneWait}
}

// hashesInSet says whether t's file, with digests ds, is hashed in a set
// once on disk: an MD5 alone, and a size that suits a set. A file that is
// not may no longer join one, which may let the waiting set start.
func (fin *finisher) hashesInSet(t *transfer, ds []digest, size int64) bool {
	fin.mu.Lock()
	defer fin.mu.Unlock()
	ok := fin.lanes.enabled && len(ds) == 1 && ds[0].name == "MD5" &&
		size > fin.minPiece && size <= laneMaxFile
	if !ok {
		fin.dropCandidate(t)
	}
	return ok
}

// expect counts a transfer that starts as one that may join a set, until
// its digests are known.
func (fin *finisher) expect(t *transfer) {
	fin.mu.Lock()
	defer fin.mu.Unlock()
	if fin.lanes.enabled && !t.candidate {
		t.candidate = true
		fin.lanes.candidates++
	}
}

// ended says t stopped: it will not join a set any more.
func (fin *finisher) ended(t *transfer) {
	fin.mu.Lock()
	defer fin.mu.Unlock()
	fin.dropCandidate(t)
}

// dropCandidate says t will not join a set (any more); fin.mu must be
// held. The files waiting may then be all that will come.
func (fin *finisher) dropCandidate(t *transfer) {
	if t.candidate {
		t.candidate = false
		fin.lanes.candidates--
		fin.flushSet(false)
	}
}

// joinSet puts t's whole .part in the set, to be hashed with other files;
// fin.mu must be held (admit). While t is still a candidate, the set waits
// for more.
func (fin *finisher) joinSet(t *transfer, freedSlot bool) *laneFile {
	lf := &laneFile{ctx: t.ctx, part: t.part, size: t.size, freedSlot: freedSlot, hashed: make(chan struct{})}
	l := &fin.lanes
	l.set = append(l.set, lf)
	l.bytes += lf.size
	if lf.freedSlot {
		l.freed++
	}
	if len(l.set) == 1 {
		gen := l.gen
		l.timer = time.AfterFunc(l.wait, func() {
			fin.mu.Lock()
			defer fin.mu.Unlock()
			if fin.lanes.gen == gen {
				fin.flushSet(true)
			}
		})
	}
	fin.flushSet(false)
	return lf
}

// setSum waits for lf's set to hash it and returns its MD5. It returns
// early only for ctx (the transfer's), and never while the set still
// reads lf's .part.
func (fin *finisher) setSum(ctx context.Context, lf *laneFile) ([]byte, error) {
	select {
	case <-lf.hashed:
		return lf.sum, lf.err
	case <-ctx.Done():
	}
	fin.quitSet(lf) // hashing checks the context at every buffer
	return nil, context.Cause(ctx)
}

// quitSet takes lf out of its set, or waits until the set is done with
// its .part, which the caller is about to close.
func (fin *finisher) quitSet(lf *laneFile) {
	fin.mu.Lock()
	if !lf.started {
		fin.leaveSet(lf)
		fin.mu.Unlock()
		return
	}
	fin.mu.Unlock()
	<-lf.hashed
}

// leaveSet takes a file whose transfer stopped out of the set; fin.mu
// must be held.
func (fin *finisher) leaveSet(lf *laneFile) {
	l := &fin.lanes
	for i, x := range l.set {
		if x == lf {
			l.set = append(l.set[:i], l.set[i+1:]...)
			l.bytes -= lf.size
			if lf.freedSlot {
				l.freed--
			}
			break
		}
	}
	if len(l.set) == 0 {
		fin.resetSet()
	}
}

// flushSet starts hashing the set when it is full, when nothing may join
// it any more, or when now says its time is up; fin.mu must be held.
func (fin *finisher) flushSet(now bool) {
	l := &fin.lanes
	if len(l.set) == 0 {
		return
	}
	if !now && len(l.set) < laneCount && l.bytes < laneSetBytes && l.candidates > 0 {
		return
	}
	set := l.set
	fin.resetSet()
	for _, lf := range set {
		lf.started = true
	}
	if l.onHash != nil {
		l.onHash(len(set))
	}
	fin.wg.Add(1) // the set's transfers wait for their files; Close for the rest
	go func() {
		defer fin.wg.Done()
		hashSet(set)
	}()
}

// resetSet empties the set and stops its timer; fin.mu must be held.
func (fin *finisher) resetSet() {
	l := &fin.lanes
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	l.set, l.bytes, l.freed = nil, 0, 0
	l.gen++
}

// hashSet hashes every file of a set at once, each read back on its own
// goroutine into its own lane. A server serves one set: md5-simd v1.1.2
// never forgets a closed hasher (minio/md5-simd#27, fixed after that
// release), so a long-lived one would grow with every file verified.
func hashSet(set []*laneFile) {
	newHash := func() hash.Hash { return md5.New() }
	if len(set) >= laneMinSet {
		srv := md5simd.NewServer()
		defer srv.Close()
		newHash = func() hash.Hash { return srv.NewHash() }
	}
	done := make(chan struct{})
	for _, lf := range set {
		go func() {
			defer func() { done <- struct{}{} }()
			h := newHash()
			lf.sum, lf.err = readBackSum(lf.ctx, h, lf.part, lf.size)
			if c, ok := h.(interface{ Close() }); ok {
				c.Close()
			}
			close(lf.hashed)
		}()
	}
	for range set {
		<-done
	}
}

// laneBufPool holds the read-back buffers of files hashed in a set: 64 KiB,
// a quarter of a connection's, as a set reads sixteen files at once and
// md5-simd copies its input in blocks of 32 KiB anyway.
var laneBufPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}
