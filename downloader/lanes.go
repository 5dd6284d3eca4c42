package downloader

import (
	"context"
	"crypto/md5"
	"fmt"
	"hash"
	"io"
	"sync"
	"time"

	md5simd "github.com/minio/md5-simd"
	"golang.org/x/sys/cpu"
)

// Verifying an ETag costs an MD5 of the whole file, and MD5 is one chain
// through the file: one file cannot be hashed faster than crypto/md5's
// ~730 MB/s here. Sixteen files can: minio/md5-simd runs sixteen MD5s
// side by side in SIMD lanes. BenchmarkHashSet, CPU seconds per GB:
// crypto/md5 1.38; md5-simd with 3 files 1.67, 4 files 1.20, 8 files
// 0.63, 16 files 0.46 (3x less). On an order of 200 × 8 MiB, MD5 was 2.7
// of dlhelper's 4.5 CPU seconds.
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
// the files that may finish at once (giveBackSlot): it waits for other
// downloads, not for the disk. It costs a little memory, and its bytes
// are still in the page cache when the set is hashed, which is why files
// larger than laneMaxFile, or of one piece (hashed as they land, without
// reading back), verify on their own as before. It is synced and recorded
// whole while it waits (keepWhileWaiting).
const (
	laneCount    = 16 // md5-simd's Lanes (declared on amd64 only)
	laneMaxFile  = 64 << 20
	laneSetBytes = 512 << 20
	laneWait     = time.Second
	// laneMinSet is the smallest set worth the SIMD server; a smaller one
	// is hashed file by file with crypto/md5.
	laneMinSet = 4
)

// lanes gathers files whose MD5 is hashed together; guarded by Manager.mu.
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
	started   bool          // its set is hashing; guarded by Manager.mu
	done      chan struct{} // closed when sum and err are set
	sum       []byte
	err       error
}

func newLanes() lanes {
	return lanes{enabled: cpu.X86.HasAVX2, wait: laneWait}
}

// laneEligible reports a file verified by its MD5 alone whose size suits a set.
func (m *Manager) laneEligible(ds []digest, size int64) bool {
	return m.lanes.enabled && len(ds) == 1 && ds[0].name == "MD5" &&
		size > m.cfg.MinPiece && size <= laneMaxFile
}

// addCandidate counts t as a transfer that may join a set; m.mu must be held.
func (m *Manager) addCandidate(t *transfer) {
	if m.lanes.enabled && !t.candidate {
		t.candidate = true
		m.lanes.candidates++
	}
}

// dropCandidate says t will not join a set (any more); m.mu must be held.
// The files waiting may then be all that will come.
func (m *Manager) dropCandidate(t *transfer) {
	if t.candidate {
		t.candidate = false
		m.lanes.candidates--
		m.flushLanes(false)
	}
}

// joinLanes puts t's whole .part in the set, to be hashed with other
// files; m.mu must be held, in the same hold as giveBackSlot, or another
// file could see t's slot given back and t not yet in the set.
func (m *Manager) joinLanes(t *transfer) *laneFile {
	lf := &laneFile{ctx: t.ctx, part: t.part, size: t.size, freedSlot: t.slotFree, done: make(chan struct{})}
	l := &m.lanes
	l.set = append(l.set, lf)
	l.bytes += lf.size
	if lf.freedSlot {
		l.freed++
	}
	if len(l.set) == 1 {
		gen := l.gen
		l.timer = time.AfterFunc(l.wait, func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			if m.lanes.gen == gen {
				m.flushLanes(true)
			}
		})
	}
	if t.candidate {
		m.dropCandidate(t) // flushes when t was the last that could join
	} else {
		m.flushLanes(false)
	}
	return lf
}

// laneSum waits for lf's set to hash it and returns its MD5. It returns
// early only for ctx (the transfer's), and never while the set still
// reads lf's .part.
func (m *Manager) laneSum(ctx context.Context, lf *laneFile) ([]byte, error) {
	select {
	case <-lf.done:
		return lf.sum, lf.err
	case <-ctx.Done():
	}
	m.quitLanes(lf) // hashing checks the context at every buffer
	return nil, context.Cause(ctx)
}

// quitLanes takes lf out of its set, or waits until the set is done with
// its .part, which the caller is about to close.
func (m *Manager) quitLanes(lf *laneFile) {
	m.mu.Lock()
	if !lf.started {
		m.leaveLanes(lf)
		m.mu.Unlock()
		return
	}
	m.mu.Unlock()
	<-lf.done
}

// leaveLanes takes a file whose transfer stopped out of the set; m.mu
// must be held.
func (m *Manager) leaveLanes(lf *laneFile) {
	l := &m.lanes
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
		m.resetLanes()
	}
}

// flushLanes starts hashing the set when it is full, when nothing may join
// it any more, or when now says its time is up; m.mu must be held.
func (m *Manager) flushLanes(now bool) {
	l := &m.lanes
	if len(l.set) == 0 {
		return
	}
	if !now && len(l.set) < laneCount && l.bytes < laneSetBytes && l.candidates > 0 {
		return
	}
	set := l.set
	m.resetLanes()
	for _, lf := range set {
		lf.started = true
	}
	if l.onHash != nil {
		l.onHash(len(set))
	}
	m.wg.Add(1) // the set's transfers wait for their files; Close for the rest
	go func() {
		defer m.wg.Done()
		hashSet(set)
	}()
}

// resetLanes empties the set and stops its timer; m.mu must be held.
func (m *Manager) resetLanes() {
	l := &m.lanes
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
			close(lf.done)
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

// readBackSum feeds h the first size bytes of r and returns the sum.
func readBackSum(ctx context.Context, h hash.Hash, r io.ReaderAt, size int64) ([]byte, error) {
	bp := laneBufPool.Get().(*[]byte)
	defer laneBufPool.Put(bp)
	for off := int64(0); off < size; {
		if err := context.Cause(ctx); err != nil {
			return nil, err
		}
		b := (*bp)[:min(int64(len(*bp)), size-off)]
		n, err := r.ReadAt(b, off)
		if n < len(b) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, &diskError{fmt.Errorf("read back: %w", err)}
		}
		h.Write(b)
		off += int64(n)
	}
	return h.Sum(nil), nil
}
