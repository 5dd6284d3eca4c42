package downloader

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// maxRestarts bounds how often one transfer starts a file over because the
// object changed under it or the server stopped honouring ranges.
const maxRestarts = 3

// transfer downloads one file: it owns the .part file while it runs.
type transfer struct {
	m      *Manager
	f      *file
	ctx    context.Context
	cancel context.CancelCauseFunc
	ended  chan struct{} // closed by Manager.finish
	conns  int
	// slotFree says the transfer gave its MaxActiveFiles slot back to
	// finish its file (Manager.giveBackSlot); guarded by Manager.mu.
	slotFree bool
	// candidate says the transfer may still join a set of files hashed
	// together (lanes.go); guarded by Manager.mu.
	candidate bool

	// What the transfer knows of the object; written by the probe (worker 0
	// before probed closes) and by resets (no worker runs), read after.
	size int64 // -1 until known
	etag string
	// etagNotMD5 says the answer ruled the ETag out as the content's MD5
	// (etagRuledOut): an encrypted object's ETag identifies it only.
	etagNotMD5 bool
	ranged     bool
	oneStream  bool   // the server ignored a range: fetch from zero, no Range
	path       string // final path; the data goes to path+partSuffix
	part       *os.File
	// rel is path relative to the download root, "/"-separated: every
	// file-system step takes it (root.go). partID is the .part's identity.
	rel    string
	partID *fileID

	probed    chan struct{}
	probeOnce sync.Once
	planned   chan struct{} // closed once the queue holds the plan

	// Digests are fed in order while bytes arrive at the hash frontier;
	// what arrived beyond it is read back between pieces (catchUp), and
	// verify reads back only what is left at the end.
	digests []digest
	// lane is the MD5 the file must have when it is hashed with other
	// files once on disk (lanes.go) instead of as it arrives; nil for a
	// file hashed as it arrives.
	lane *digest
	// verified is what the finished file was checked against (Verified*).
	verified string
	// refetched says the file was fetched once more after its bytes did
	// not match the portal's checksum; a second mismatch fails it.
	refetched bool
	// etagFirstSum is the MD5 of a first copy that did not match its
	// ETag; the second copy is held against it (etagMismatch).
	etagFirstSum string
	hashed       atomic.Int64
	hashMu       sync.Mutex
	kick         chan struct{} // a piece ended: there may be bytes to catch up on

	mu       sync.Mutex
	queue    []span   // planned, not yet taken, in file order
	inflight []*piece // being fetched
	done     spans    // fetched and written
}

func newTransfer(m *Manager, f *file, conns int) *transfer {
	ctx, cancel := context.WithCancelCause(m.ctx)
	return &transfer{
		m: m, f: f, ctx: ctx, cancel: cancel, conns: max(1, conns),
		ended: make(chan struct{}),
	}
}

// run downloads the file to its final name, starting over from zero when
// the object changed and in one stream when the server ignores ranges.
func (t *transfer) run() error {
	defer t.cancel(nil)
	defer t.closePart()
	for restarts := 0; ; restarts++ {
		err := t.attempt()
		switch {
		case err == nil || t.ctx.Err() != nil:
			return err
		case errors.Is(err, errNoRanges) && restarts < maxRestarts:
			t.m.log.Info("server ignores ranges, using one stream", "file", t.path)
		case errors.Is(err, errObjectChanged) && restarts < maxRestarts:
			t.m.log.Warn("object changed, starting over", "file", t.path)
		case errors.Is(err, errETagMismatch):
			t.m.log.Info("file does not match its ETag, fetching it once more to see whether the ETag is an MD5", "file", t.path)
			continue
		case errors.Is(err, errChecksumMismatch):
			// verify deleted the bytes: the next attempt fetches anew.
			// One copy that does not match could have been damaged on the
			// way; two say the portal's checksum and the server disagree.
			t.refetched = true
			t.m.log.Warn("file does not match the portal's checksum, fetching it once more", "file", t.path)
			continue
		default:
			return err
		}
		if err := t.restart(errors.Is(err, errNoRanges)); err != nil {
			return err
		}
	}
}

// attempt runs one pass: probe if needed, fetch what is missing, finalise.
func (t *transfer) attempt() error {
	if err := t.open(); err != nil {
		if errors.Is(err, errRenamed) {
			return nil // a crash came between rename and the last save
		}
		return err
	}
	if err := t.fetchAll(); err != nil {
		t.checkpoint()
		return err
	}
	// No checkpoint here: finalize syncs the file anyway, and the record
	// that claims it is written once, with the state completed.
	err := t.finalize()
	if err != nil && t.ctx.Err() != nil {
		// Paused or stopped while verifying, or while waiting for a set
		// to be hashed in (lanes.go): every byte is on disk, and the last
		// checkpoint may not say so.
		t.checkpoint()
	}
	return err
}

// open loads what the record knows and opens the .part file. Bytes the
// record claims but the .part lacks (deleted, truncated) are forgotten.
func (t *transfer) open() error {
	t.m.mu.Lock()
	r := t.f.rec
	t.size, t.etag, t.etagNotMD5, t.ranged, t.path = r.Size, r.ETag, r.ETagNotMD5, r.Ranged, r.Path
	t.rel, t.partID = r.Rel, r.PartID
	t.done = append(spans(nil), r.Done...)
	t.m.mu.Unlock()
	if t.part != nil {
		return nil
	}
	return t.openPart()
}

// errRenamed says open found the file already verified and renamed.
var errRenamed = errors.New("already renamed")

// renamed reports a file whose record claims every byte and whose .part
// is gone because finalize renamed it: the final file is there, in full.
func (t *transfer) renamed() bool {
	if t.size < 0 || t.done.size() != t.size {
		return false
	}
	st, err := t.place().root.Lstat(native(t.rel))
	return err == nil && st.Mode().IsRegular() && st.Size() == t.size
}

// forget drops everything known of the object, so the next pass probes it
// afresh and writes from byte zero.
func (t *transfer) forget() {
	t.size, t.etag, t.etagNotMD5, t.ranged, t.done = -1, "", false, false, nil
	t.digests, t.lane, t.verified = nil, nil, ""
	t.hashed.Store(0)
	t.f.done.Store(0)
}

// restart empties the .part and commits that before any new byte is
// written, so the record never claims bytes of another object.
func (t *transfer) restart(oneStream bool) error {
	t.forget()
	if err := t.part.Truncate(0); err != nil {
		return &diskError{fmt.Errorf("truncate: %w", err)}
	}
	t.oneStream = oneStream
	return t.commit(nil)
}

// fetchAll fetches every missing byte. Worker 0 probes first when the size
// is unknown; the others start once the size is.
func (t *transfer) fetchAll() error {
	ctx, stop := context.WithCancelCause(t.ctx)
	defer stop(nil)
	t.queue, t.inflight = nil, nil // what a failed pass planned is stale
	t.probed, t.planned = make(chan struct{}), make(chan struct{})
	t.kick = make(chan struct{}, 1)
	t.probeOnce = sync.Once{}
	var first *piece
	switch {
	case t.oneStream || (t.size >= 0 && !t.ranged): // one stream from zero
		t.forget()
		t.oneStream = true
		first = t.addPiece(span{0, -1})
	case t.size < 0: // probe with the first piece
		first = t.addPiece(span{0, t.m.cfg.MinPiece})
	default:
		t.startDigests()
		t.markProbed()
	}
	probing := first != nil && first.end >= 0 // read before the worker moves it
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	fail := func(err error) {
		once.Do(func() { firstErr = err; stop(err) })
	}
	wg.Go(func() {
		if err := t.worker(ctx, first); err != nil {
			fail(err)
		}
	})
	// Checkpoints and the hasher run for a file of more than one piece. A
	// file the probe fetches whole is one piece written in order (hashed
	// as it lands) and synced by finalize; a crash loses that piece, as it
	// loses any piece in flight. That is two goroutines (checkpoints, the
	// hasher) and a ticker fewer a small file.
	cpDone, hashDone := ended, ended
	helpers := func() {
		cpDone = t.startCheckpoints(ctx, fail)
		hashDone = t.startHasher(ctx, fail)
	}
	if !probing {
		helpers()
	}
	select {
	case <-t.probed:
		err := t.prepare()
		close(t.planned)
		if err != nil {
			fail(err)
			break
		}
		if probing {
			if t.onePiece() {
				break
			}
			helpers()
		}
		for range t.extraWorkers(first != nil) {
			wg.Go(func() {
				if err := t.worker(ctx, nil); err != nil {
					fail(err)
				}
			})
		}
	case <-ctx.Done():
	}
	wg.Wait()
	stop(nil)
	<-cpDone
	<-hashDone
	if firstErr != nil {
		return firstErr
	}
	if err := context.Cause(t.ctx); err != nil {
		return err
	}
	if t.missing() {
		return fmt.Errorf("%w: the transfer ended with bytes missing", errBadResponse)
	}
	return nil
}

// prepare sizes the .part and plans the ranges still missing, once the
// object is known.
func (t *transfer) prepare() error {
	t.mu.Lock()
	size, ranged := t.size, t.ranged
	t.mu.Unlock()
	if err := t.checkSize(size); err != nil {
		return err
	}
	// A file the first piece covers is written once, in order: reserving
	// its space first would cost a syscall and an extent conversion for
	// nothing, and a full disk still shows on the write.
	if size > t.m.cfg.MinPiece {
		if err := preallocate(t.part, size); err != nil {
			return &diskError{fmt.Errorf("reserve %d bytes: %w", size, err)}
		}
	}
	if !ranged || size < 0 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	covered := t.done
	for _, p := range t.inflight {
		covered = covered.add(span{p.start, p.endNow()})
	}
	t.queue = plan(covered.gaps(t.size), t.conns, t.m.cfg.MinPiece, t.m.cfg.MaxPiece)
	return nil
}

// checkSize compares the server's size with the one the caller gave.
func (t *transfer) checkSize(size int64) error {
	want := t.f.rec.Spec.Size
	if want > 0 && size >= 0 && want != size {
		return &FileError{CodeSize, fmt.Sprintf("The server's file is %d bytes but the portal said %d. Ask the portal's support about the order.", size, want)}
	}
	return nil
}

// extraWorkers is how many more workers the planned ranges can use.
func (t *transfer) extraWorkers(haveFirst bool) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.conns
	if haveFirst {
		n--
	}
	if !t.ranged {
		return 0
	}
	return min(n, len(t.queue)+len(t.inflight))
}

// ended is a closed channel: the done of a helper never started.
var ended = func() <-chan struct{} { c := make(chan struct{}); close(c); return c }()

// onePiece reports an object the probe's piece covers whole.
func (t *transfer) onePiece() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.size >= 0 && t.size <= t.m.cfg.MinPiece
}

func (t *transfer) markProbed() {
	t.probeOnce.Do(func() { close(t.probed) })
}

// missing reports bytes of a known size not yet fetched.
func (t *transfer) missing() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.size < 0 || t.done.size() != t.size
}

// worker fetches first (if any), then pieces from the queue, then halves
// stolen from the largest piece in flight, until nothing is left.
func (t *transfer) worker(ctx context.Context, p *piece) error {
	for {
		if p == nil {
			select { // the prober must not find the queue empty before the plan
			case <-t.planned:
			case <-ctx.Done():
				return nil
			}
			if p = t.take(); p == nil {
				return nil
			}
		}
		err := t.fetchPiece(ctx, p)
		t.release(p)
		if err != nil {
			return err
		}
		t.kickHasher()
		p = nil
	}
}

// startHasher runs catchUp whenever a piece ends, so the digests follow
// the download on a goroutine of their own and no connection waits for them.
func (t *transfer) startHasher(ctx context.Context, fail func(error)) <-chan struct{} {
	return repeat(ctx, t.kick, func() error { return t.catchUp(ctx) }, fail, nil)
}

func (t *transfer) kickHasher() {
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

// startCheckpoints makes progress durable every CheckpointInterval.
func (t *transfer) startCheckpoints(ctx context.Context, fail func(error)) <-chan struct{} {
	tick := time.NewTicker(t.m.cfg.CheckpointInterval)
	return repeat(ctx, tick.C, t.checkpoint, fail, tick.Stop)
}

// repeat runs fn on a goroutine each time wake fires, until ctx ends; an
// error from fn stops the transfer through fail. The goroutine calls
// stop, if any, as it ends; the channel it returns closes after that.
func repeat[T any](ctx context.Context, wake <-chan T, fn func() error, fail func(error), stop func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if stop != nil {
			defer stop()
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-wake:
				if err := fn(); err != nil {
					if ctx.Err() == nil {
						fail(err)
					}
					return
				}
			}
		}
	}()
	return done
}

// checkpoint syncs the .part and then commits the bytes it holds. A .part
// deleted or replaced under the transfer stops the file.
func (t *transfer) checkpoint() error {
	if t.part == nil {
		return nil
	}
	if err := t.checkPart(); err != nil {
		return err
	}
	covered := t.covered()
	if err := t.part.Sync(); err != nil {
		return &diskError{fmt.Errorf("sync: %w", err)}
	}
	return t.commit(covered)
}

// checkPart fails when the .part on disk is no longer the file being written.
func (t *transfer) checkPart() error {
	onDisk, err := t.place().root.Lstat(native(t.rel + partSuffix))
	open, err2 := t.part.Stat()
	if err != nil || err2 != nil || !os.SameFile(onDisk, open) {
		return &FileError{CodePartMissing, fmt.Sprintf("The partial file %s was deleted or moved. Retry the download to fetch this file again.", filepath.Base(t.path+partSuffix))}
	}
	return nil
}

// covered is what is on disk: finished spans and the written head of every
// piece in flight.
func (t *transfer) covered() spans {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := append(spans(nil), t.done...)
	for _, p := range t.inflight {
		c = c.add(p.written())
	}
	return c
}

// commit writes what the transfer knows into the file's record and saves it.
func (t *transfer) commit(done spans) error {
	t.record(done)
	t.m.saveFile(t.f)
	return nil
}

// record puts what the transfer knows into the file's record; the caller
// (or Manager.finish) saves it.
func (t *transfer) record(done spans) {
	t.mu.Lock()
	size, etag, notMD5, ranged := t.size, t.etag, t.etagNotMD5, t.ranged
	t.mu.Unlock()
	t.m.mu.Lock()
	r := &t.f.rec
	r.Size, r.ETag, r.ETagNotMD5, r.Ranged, r.Done, r.Path = size, etag, notMD5, ranged, done, t.path
	r.Rel, r.PartID = t.rel, t.partID
	r.Verified = t.verified
	t.m.mu.Unlock()
}

func (t *transfer) closePart() {
	if t.part != nil {
		t.part.Close()
		t.part = nil
	}
}
