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

	"golang.org/x/sync/errgroup"
)

// maxRestarts bounds how often one transfer starts a file over because the
// object changed under it or the server stopped honouring ranges.
const maxRestarts = 3

// transfer downloads one file: it owns the .part file while it runs. It
// holds no lock of the Manager's and writes none of its state: it reads
// the shared parts through env and reports through owner. Its own state is
// guarded by t.mu (the plan: queue, inflight, landed and what is known of
// the object once the probe has spoken) and hashMu (the digests, digest.go).
type transfer struct {
	*env
	owner  owner
	f      *file
	ctx    context.Context
	cancel context.CancelCauseFunc
	exited chan struct{} // closed by Manager.finish once the transfer has stopped
	// conns is the most connections the file may use; auto says it starts
	// with fewer and grows while that pays (budget.go).
	conns int
	auto  bool
	// budget is the host's (budget.go); want is how many connections the
	// file can use now, written by the transfer, read by the budgets.
	budget *hostBudget
	want   atomic.Int32
	// retire is how many workers are to end after their piece (grow).
	retire atomic.Int32
	// candidate says the transfer may still join a set of files hashed
	// together (lanes.go); guarded by finisher.mu.
	candidate bool
	// spec is the file's spec when it started; its URL may be replaced
	// since, so requests read f.url.
	spec FileSpec

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
	// verify reads back only what is left at the end (digest.go).
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
	idle         chan struct{} // a worker found nothing left to take (grow)

	mu       sync.Mutex
	queue    []span   // planned, not yet taken, in file order
	inflight []*piece // being fetched
	landed   spans    // fetched and written by pieces that ended
}

// owner is what a transfer tells the Manager that runs it. Each method
// takes the Manager's lock itself, so a transfer never holds it.
type owner interface {
	// save puts what the transfer knows into the file's record and
	// commits it, with the state replaced by state unless that is "";
	// with later it returns before the commit (store.putFileLater).
	save(f *file, k *known, state FileState, later bool)
	// verifying says every byte is on disk and the file is being
	// finished; with freeSlot its download slot goes to the next file.
	verifying(f *file, freeSlot bool)
	// roomFreed says the transfer wants fewer connections than before:
	// another file may start (budget.go).
	roomFreed()
}

// known is what a transfer has learned of its file, for its record.
type known struct {
	size               int64
	etag               string
	etagNotMD5, ranged bool
	landed             spans
	path, rel          string
	partID             *fileID
	verified           string
}

// newTransfer makes a transfer of f from what its record says now; the
// caller holds the lock that guards rec.
func newTransfer(ctx context.Context, e *env, o owner, f *file, rec *fileRecord, conns int, auto bool) *transfer {
	ctx, cancel := context.WithCancelCause(ctx)
	return &transfer{
		env: e, owner: o, f: f, ctx: ctx, cancel: cancel, conns: max(1, conns), auto: auto,
		exited: make(chan struct{}), spec: rec.Spec,
		size: rec.Size, etag: rec.ETag, etagNotMD5: rec.ETagNotMD5, ranged: rec.Ranged,
		path: rec.Path, rel: rec.Rel, partID: rec.PartID, landed: append(spans(nil), rec.Done...),
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
			t.log.Info("server ignores ranges, using one stream", "path", t.path)
		case errors.Is(err, errObjectChanged) && restarts < maxRestarts:
			t.log.Warn("object changed, starting over", "path", t.path)
		case errors.Is(err, errETagMismatch):
			t.log.Info("file does not match its ETag, fetching it once more to see whether the ETag is an MD5", "path", t.path)
			continue
		case errors.Is(err, errChecksumMismatch):
			// verify deleted the bytes: the next attempt fetches anew.
			// One copy that does not match could have been damaged on the
			// way; two say the portal's checksum and the server disagree.
			t.refetched = true
			t.log.Warn("file does not match the portal's checksum, fetching it once more", "path", t.path)
			continue
		default:
			return err
		}
		if err := t.restart(errors.Is(err, errNoRanges)); err != nil {
			return err
		}
	}
}

// attempt runs one pass: probe if needed, fetch what is missing, and hand
// the file to the finisher.
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
	// No checkpoint here: the finisher syncs the file anyway, and the
	// record that claims it is written once, with the state completed.
	err := t.fin.finish(t)
	if err != nil && t.ctx.Err() != nil {
		// Paused or stopped while verifying, or while waiting for a set
		// to be hashed in (lanes.go): every byte is on disk, and the last
		// checkpoint may not say so.
		t.checkpoint()
	}
	return err
}

// open opens the .part file, unless an earlier pass left it open. Bytes
// the record claims but the .part lacks (deleted, truncated) are forgotten.
func (t *transfer) open() error {
	if t.part != nil {
		return nil
	}
	return t.openPart()
}

// errRenamed says open found the file already verified and renamed.
var errRenamed = errors.New("already renamed")

// renamed reports a file whose record claims every byte and whose .part
// is gone because the finisher renamed it: the final file is there, in full.
func (t *transfer) renamed() bool {
	if t.size < 0 || t.landed.size() != t.size {
		return false
	}
	st, err := t.place().root.Lstat(native(t.rel))
	return err == nil && st.Mode().IsRegular() && st.Size() == t.size
}

// forget drops everything known of the object, so the next pass probes it
// afresh and writes from byte zero.
func (t *transfer) forget() {
	t.size, t.etag, t.etagNotMD5, t.ranged, t.landed = -1, "", false, false, nil
	t.digests, t.lane, t.verified = nil, nil, ""
	t.hashed.Store(0)
	t.f.written.Store(0)
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

// fetchAll fetches every missing byte: it probes the object when its size
// is unknown, then fetches the rest. Workers, checkpoints and the hasher
// run in one group: the first error stops them all.
func (t *transfer) fetchAll() error {
	t.queue, t.inflight = nil, nil // what a failed pass planned is stale
	t.probed, t.planned = make(chan struct{}), make(chan struct{})
	t.kick, t.idle = make(chan struct{}, 1), make(chan struct{}, 1)
	t.retire.Store(0)
	t.probeOnce = sync.Once{}
	first := t.firstPiece()
	begin := time.Now()
	probing := first != nil && first.end >= 0 // read before the worker moves it

	g, ctx := errgroup.WithContext(t.ctx)
	aidCtx, endAids := context.WithCancel(ctx) // the aids end with the workers
	defer endAids()
	var workers sync.WaitGroup
	goWork := func(fn func() error) {
		workers.Add(1)
		g.Go(func() error { defer workers.Done(); return fn() })
	}
	work := func(p *piece) { goWork(func() error { return t.worker(ctx, p) }) }
	// grow counts as a worker, so the workers it adds join a group that
	// is still open.
	grow := func(running int, window time.Duration) {
		goWork(func() error { t.grow(ctx, running, window, func() { work(nil) }); return nil })
	}
	aid := func() {
		g.Go(func() error { return t.checkpoints(aidCtx) })
		g.Go(func() error { return t.hasher(aidCtx) })
	}
	// Checkpoints and the hasher run for a file of more than one piece. A
	// file the probe fetches whole is one piece written in order (hashed
	// as it lands) and synced by the finisher; a crash loses that piece,
	// as it loses any piece in flight.
	work(first)
	if !probing {
		aid()
	}
	select {
	case <-t.probed:
		if err := t.fetchRest(first != nil, probing, time.Since(begin), work, grow, aid); err != nil {
			g.Go(func() error { return err })
		}
	case <-ctx.Done():
	}
	workers.Wait()
	endAids()
	if err := g.Wait(); err != nil {
		return err
	}
	if err := context.Cause(t.ctx); err != nil {
		return err
	}
	if t.missing() {
		return fmt.Errorf("%w: the transfer ended with bytes missing", errBadResponse)
	}
	return nil
}

// firstPiece is the piece worker 0 starts with: the whole object in one
// stream, the probe's first piece when the size is unknown, or none when
// the object is known (the pass starts from the plan).
func (t *transfer) firstPiece() *piece {
	switch {
	case t.oneStream || (t.size >= 0 && !t.ranged): // one stream from zero
		t.forget()
		t.oneStream = true
		return t.addPiece(span{0, -1})
	case t.size < 0: // probe with the first piece
		return t.addPiece(span{0, t.cfg.MinPiece})
	}
	t.startDigests()
	t.markProbed()
	return nil
}

// fetchRest plans what the probe left once the object is known, and starts
// the workers (work) and, for a probed file of more than one piece, the
// aids (aid) that fetch it, and grow, which adds workers while that pays
// (budget.go). haveFirst says worker 0 is already running; probe is how
// long the probe took.
func (t *transfer) fetchRest(haveFirst, probing bool, probe time.Duration, work func(*piece), grow func(int, time.Duration), aid func()) error {
	err := t.prepare()
	close(t.planned)
	if err != nil {
		return err
	}
	if probing {
		if t.onePiece() {
			t.setWant(1, true)
			return nil
		}
		aid()
	}
	extra := t.extraWorkers(haveFirst)
	for range extra {
		work(nil)
	}
	if !t.ranged {
		t.setWant(1, false) // one stream
		return nil
	}
	workers := extra
	if haveFirst {
		workers++
	}
	grow(workers, growWindow(probing, probe))
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
	if size > t.cfg.MinPiece {
		if err := preallocate(t.part, size); err != nil {
			return &diskError{fmt.Errorf("reserve %d bytes: %w", size, err)}
		}
	}
	if !ranged || size < 0 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	covered := t.landed
	for _, p := range t.inflight {
		covered = covered.add(span{p.start, p.endNow()})
	}
	t.queue = plan(covered.gaps(t.size), t.conns, t.cfg.MinPiece, t.cfg.MaxPiece)
	return nil
}

// checkSize compares the server's size with the one the caller gave.
func (t *transfer) checkSize(size int64) error {
	want := t.spec.Size
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
	if t.auto {
		n = startConns
	}
	if haveFirst {
		n--
	}
	if !t.ranged {
		return 0
	}
	return min(n, len(t.queue)+len(t.inflight))
}

// onePiece reports an object the probe's piece covers whole.
func (t *transfer) onePiece() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.size >= 0 && t.size <= t.cfg.MinPiece
}

func (t *transfer) markProbed() {
	t.probeOnce.Do(func() { close(t.probed) })
}

// missing reports bytes of a known size not yet fetched.
func (t *transfer) missing() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.size < 0 || t.landed.size() != t.size
}

// worker fetches first (if any), then pieces from the queue, then halves
// stolen from the largest piece in flight, until nothing is left.
func (t *transfer) worker(ctx context.Context, p *piece) error {
	for {
		if p == nil {
			if t.retired() {
				return nil
			}
			select { // the prober must not find the queue empty before the plan
			case <-t.planned:
			case <-ctx.Done():
				return nil
			}
			if p = t.take(); p == nil {
				t.wakeGrower()
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

// hasher runs catchUp whenever a piece ends, so the digests follow the
// download on a goroutine of their own and no connection waits for them.
func (t *transfer) hasher(ctx context.Context) error {
	return repeat(ctx, t.kick, func() error { return t.catchUp(ctx) })
}

func (t *transfer) kickHasher() {
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

// checkpoints makes progress durable every CheckpointInterval.
func (t *transfer) checkpoints(ctx context.Context) error {
	tick := time.NewTicker(t.cfg.CheckpointInterval)
	defer tick.Stop()
	return repeat(ctx, tick.C, t.checkpoint)
}

// repeat runs fn each time wake fires, until ctx ends, and returns fn's
// first error; one that comes as ctx ends was caused by the end.
func repeat[T any](ctx context.Context, wake <-chan T, fn func() error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
			if err := fn(); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
	}
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
	c := append(spans(nil), t.landed...)
	for _, p := range t.inflight {
		c = c.add(p.written())
	}
	return c
}

// commit saves what the transfer knows, with landed the bytes on disk,
// into the file's record and waits for the commit.
func (t *transfer) commit(landed spans) error {
	t.save(landed, "", false)
	return nil
}

// save reports what the transfer knows, with landed the bytes on disk, to
// the owner, which records it (see owner.save for state and later).
func (t *transfer) save(landed spans, state FileState, later bool) {
	t.mu.Lock()
	k := known{
		size: t.size, etag: t.etag, etagNotMD5: t.etagNotMD5, ranged: t.ranged, landed: landed,
		path: t.path, rel: t.rel, partID: t.partID, verified: t.verified,
	}
	t.mu.Unlock()
	t.owner.save(t.f, &k, state, later)
}

func (t *transfer) closePart() {
	if t.part != nil {
		t.part.Close()
		t.part = nil
	}
}
