package downloader

import (
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// The finisher turns a file whose bytes are all on disk into a verified
// file under its final name: verify → sync → record → rename. The Manager
// has one for all its files; a transfer calls finish when its last byte
// has landed, and the finisher owns what finishing needs beyond one file:
//
//   - the slot: a file starting to finish gives its download slot back, so
//     the next queued file starts, unless limit files already finish
//     without one (a slow disk must not pile them up); files waiting for
//     a set to hash them in do not count, as they wait for downloads;
//   - the MD5 sets (lanes.go): files verified by an MD5 alone wait, once
//     on disk, for others and are hashed together;
//   - the sync batches (syncs_linux.go), behind sync.
//
// So the next file starts when a running one ends or is handed to the
// finisher with room to spare; nothing else frees a slot.
type finisher struct {
	minPiece int64
	// sync syncs a finished .part of size bytes (newSyncFile); a seam for tests.
	sync func(f *os.File, size int64) error
	// wg is the Manager's: Close waits for the sets being hashed.
	wg *sync.WaitGroup
	// limit is how many files may finish without a slot (MaxActiveFiles).
	limit atomic.Int64

	// mu guards what follows, and each transfer's candidate; it is taken
	// under the Manager's lock, never the other way round.
	mu sync.Mutex
	// slotless counts files finishing that gave their slot back.
	slotless int
	lanes    lanes
}

func newFinisher(minPiece int64, limit int, wg *sync.WaitGroup) *finisher {
	fin := &finisher{minPiece: minPiece, sync: newSyncFile(), wg: wg, lanes: newLanes()}
	fin.limit.Store(int64(limit))
	return fin
}

// finish verifies, syncs, records and renames t's file, whose bytes are
// all on disk, so that a file with its final name is always complete and
// verified. It runs on t's goroutine.
func (fin *finisher) finish(t *transfer) error {
	if err := t.fitPart(); err != nil {
		return err
	}
	freeSlot, lf := fin.admit(t)
	if freeSlot {
		defer fin.release()
	}
	t.want.Store(0) // it fetches nothing more: verifying schedules the next
	t.owner.verifying(t.f, freeSlot)
	if lf != nil {
		// Only now, with the next file started in t's slot and expected
		// to join, may the set see that nothing else will come.
		fin.ended(t)
		if err := fin.keepWhileWaiting(t); err != nil {
			fin.quitSet(lf)
			return err
		}
	}
	if err := fin.verify(t, lf); err != nil {
		return err
	}
	if lf == nil { // else synced while it waited, and nothing was written since
		if err := fin.sync(t.part, t.size); err != nil {
			return &diskError{fmt.Errorf("sync: %w", err)}
		}
	}
	return fin.rename(t, lf != nil)
}

// admit takes t in: it says whether t's download slot may go to the next
// file, and puts t in a set when its file is hashed in one. Both happen in
// one hold of fin.mu, so no other file sees the slot given back and t not
// yet in its set. t stays a candidate until finish says otherwise.
func (fin *finisher) admit(t *transfer) (freeSlot bool, lf *laneFile) {
	fin.mu.Lock()
	defer fin.mu.Unlock()
	if int64(fin.slotless-fin.lanes.freed) < fin.limit.Load() {
		fin.slotless++
		freeSlot = true
	}
	if t.lane != nil {
		lf = fin.joinSet(t, freeSlot)
	}
	return freeSlot, lf
}

// release counts a file that finished without a slot as gone.
func (fin *finisher) release() {
	fin.mu.Lock()
	fin.slotless--
	fin.mu.Unlock()
}

// keepWhileWaiting syncs a file that waits for its set (lanes.go) and
// commits the record of all its bytes: a crash while it waited would
// otherwise fetch again everything since its last checkpoint. The sync is
// the one finish would make anyway; the commit is the one its completed
// record then need not wait for.
func (fin *finisher) keepWhileWaiting(t *transfer) error {
	if err := fin.sync(t.part, t.size); err != nil {
		return &diskError{fmt.Errorf("sync: %w", err)}
	}
	t.save(t.covered(), "", false)
	return nil
}

// verify checks every digest known: the caller's SHA-256 and MD5, or else
// the ETag when it may be the content's MD5 (etagMD5), hashed as the bytes
// came or, for lf, in a set with other files. It sets t.verified to what
// the file was checked against. The size was checked on every answer.
func (fin *finisher) verify(t *transfer, lf *laneFile) error {
	t.hashMu.Lock()
	defer t.hashMu.Unlock()
	t.verified = VerifiedSize
	if lf != nil {
		sum, err := fin.setSum(t.ctx, lf)
		if err != nil {
			return err
		}
		return t.check(*t.lane, hex.EncodeToString(sum))
	}
	if len(t.digests) == 0 {
		return nil
	}
	if err := t.hashTo(t.ctx, t.size); err != nil {
		return err
	}
	for _, d := range t.digests {
		if err := t.check(d, hex.EncodeToString(d.h.Sum(nil))); err != nil {
			return err
		}
	}
	return nil
}

// rename records the file as completed and renames its .part to the final
// name; waited says it waited for a set, with its bytes recorded.
//
// The record says completed, with the whole verified file, before the
// rename: a crash before the rename finds the .part and renames it
// (renamePending), one after it finds the final file.
//
// The folder is not synced here. A rename that a power cut undoes leaves
// that same state, the record completed and the verified .part, and the
// next start renames it again. Only forgetting the record ends that
// guarantee, so RemoveJob syncs the folders first.
//
// A file of one piece does not wait for that record's commit: until the
// commit, within lazyCommitDelay, it counts as a piece in flight. A crash
// before the commit loses it as it would lose any such piece: the file is
// fetched again, finds its own copy under the final name (sameContent)
// and replaces it. A larger file waits: the commit is nothing next to
// fetching it again. A file that waited for its set does not wait either:
// its bytes are already recorded, so a crash before this commit finds the
// record whole and the file renamed (transfer.renamed), and fetches nothing.
func (fin *finisher) rename(t *transfer, waited bool) error {
	if err := t.checkPart(); err != nil { // the rename must move this file, not what took its name
		return err
	}
	t.closePart()
	part, final := t.rel+partSuffix, t.rel
	if t.place().onDisk(final) && !t.place().sameContent(part, final) { // someone made a file of that name meanwhile
		final = t.place().names.reserve(final)
	}
	t.rel, t.path = final, within(t.place().dir, final)
	t.save(spans{{0, t.size}}, FileCompleted, t.onePiece() || waited)
	if err := retryBusy(func() error { return t.place().root.Rename(native(part), native(final)) }); err != nil {
		return &diskError{fmt.Errorf("rename: %w", err)}
	}
	t.markOfTheWeb()
	return nil
}

// fitPart gives the .part its exact size: a preallocation past the end of
// an object smaller than said is cut off before it is hashed.
func (t *transfer) fitPart() error {
	st, err := t.part.Stat()
	if err != nil {
		return &diskError{fmt.Errorf("stat: %w", err)}
	}
	if st.Size() != t.size {
		if err := t.part.Truncate(t.size); err != nil {
			return &diskError{fmt.Errorf("truncate: %w", err)}
		}
	}
	return nil
}

// check compares a digest with the sum got. A mismatch with the portal's
// checksum deletes the .part: its bad bytes cannot be told from good ones.
// A mismatch with an ETag is decided by etagMismatch.
func (t *transfer) check(d digest, got string) error {
	switch {
	case got == d.want:
		if t.verified == VerifiedSize || d.source == VerifiedSHA256 {
			t.verified = d.source
		}
		return nil
	case d.source == VerifiedETag:
		return t.etagMismatch(got)
	}
	t.discard()
	if !t.refetched {
		return errChecksumMismatch // run fetches it once more
	}
	return &FileError{CodeChecksum, fmt.Sprintf("The file did not match the portal's %s checksum, twice: dlhelper fetched it once more by itself and deleted both copies. The file on the server may be damaged; tell the portal's support.", d.name)}
}

// etagMismatch decides what a file that does not match its ETag means. A
// 32-hex ETag is only sometimes an MD5: gateways and CDNs make others with
// no header that says so. So the file is fetched once more (errETagMismatch)
// and the second copy decides: it matches the ETag (the first was damaged,
// on the way or on disk), or it has the first copy's bytes (the ETag is an
// identifier: the file stands on its size, and the host's ETags are not
// trusted again), or neither (the bytes change from one download to the
// next, which is an error). A file is never lost on an ETag's word alone.
func (t *transfer) etagMismatch(got string) error {
	switch t.etagFirstSum {
	case "":
		t.etagFirstSum = got
		t.discard()
		return errETagMismatch
	case got:
		t.etags.distrust(t.f.url())
		t.log.Info("the ETag is not this file's MD5; the file is checked by its size", "path", t.path)
		return nil
	}
	t.discard()
	return &FileError{CodeUnstable, "Two downloads of this file gave different bytes, and neither matched the server's checksum, so it was deleted. Retry the download; if it happens again, a proxy or the network may be damaging downloads."}
}

// discard deletes the .part after a failed verification and forgets its
// bytes, so a retry starts from zero.
func (t *transfer) discard() {
	t.closePart()
	t.place().removePart(t.rel)
	t.forget()
	t.commit(nil)
}
