package downloader

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"
)

// finalize verifies the complete .part, syncs it and renames it to its
// final name, so a file with its final name is always complete and verified.
// Nothing is downloaded meanwhile, so the file lets the next one start.
func (t *transfer) finalize() error {
	if err := t.fitPart(); err != nil {
		return err
	}
	t.m.mu.Lock()
	t.m.setState(t.f, FileVerifying, nil)
	t.m.giveBackSlot(t)
	var lf *laneFile
	if t.lane != nil { // joined with the slot given back, so the two count as one
		lf = t.m.joinLanes(t)
	}
	t.m.mu.Unlock()
	if lf != nil {
		if err := t.keepWhileWaiting(); err != nil {
			t.m.quitLanes(lf)
			return err
		}
	}
	if err := t.verify(lf); err != nil {
		return err
	}
	if lf == nil { // else synced while it waited, and nothing was written since
		if err := t.m.syncFile(t.part, t.size); err != nil {
			return &diskError{fmt.Errorf("sync: %w", err)}
		}
	}
	if err := t.checkPart(); err != nil { // the rename must move this file, not what took its name
		return err
	}
	t.closePart()
	part, final := t.rel+partSuffix, t.rel
	if t.place().onDisk(final) && !t.place().sameContent(part, final) { // someone made a file of that name meanwhile
		final = t.place().names.reserve(final)
	}
	// The record says completed, with the whole verified file, before the
	// rename: a crash before the rename finds the .part and renames it
	// (renamePending), one after it finds the final file. Manager.finish
	// then has nothing left to store.
	//
	// The folder is not synced here. A rename that a power cut undoes
	// leaves that same state, the record completed and the verified .part,
	// and the next start renames it again. Only forgetting the record ends
	// that guarantee, so RemoveJob syncs the folders first. A sync per
	// file was a quarter of the fsyncs on an order of small files.
	//
	// A file of one piece does not wait for that record's commit: until
	// the commit, within lazyCommitDelay, it counts as a piece in flight.
	// A crash before the commit loses it as it would lose any such piece:
	// the file is fetched again, finds its own copy under the final name
	// (sameContent above) and replaces it. On small files the wait was two
	// fdatasyncs a file, most of a commit each. A larger file waits: the
	// commit is nothing next to fetching it again.
	//
	// A file that waited for its set (lanes.go) does not wait either: its
	// bytes are already recorded, so a crash before this commit finds the
	// record whole and the file renamed (transfer.renamed), and fetches
	// nothing.
	t.rel, t.path = final, within(t.place().dir, final)
	t.record(spans{{0, t.size}})
	t.m.saveFileAs(t.f, FileCompleted, t.onePiece() || lf != nil)
	if err := retryBusy(func() error { return t.place().root.Rename(native(part), native(final)) }); err != nil {
		return &diskError{fmt.Errorf("rename: %w", err)}
	}
	t.markOfTheWeb()
	return nil
}

// keepWhileWaiting syncs a file that waits for its set (lanes.go) and
// commits the record of all its bytes: a crash while it waited would
// fetch again everything since its last checkpoint. Over the chaos
// suite's five kills, that was a third of the order fetched again instead
// of a tenth. The sync is the one finalize would make anyway, done while
// the file waits; the commit is the one its completed record then need
// not wait for.
func (t *transfer) keepWhileWaiting() error {
	if err := t.m.syncFile(t.part, t.size); err != nil {
		return &diskError{fmt.Errorf("sync: %w", err)}
	}
	t.record(t.covered())
	t.m.saveFileAs(t.f, "", false)
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

// verify checks every digest known: the caller's SHA-256 and MD5, or else
// the ETag when it may be the content's MD5 (etagMD5), hashed here or, for
// lf, in a set with other files. It sets t.verified to what the file was
// checked against. The size was checked on every answer.
func (t *transfer) verify(lf *laneFile) error {
	t.hashMu.Lock()
	defer t.hashMu.Unlock()
	t.verified = VerifiedSize
	if lf != nil {
		sum, err := t.m.laneSum(t.ctx, lf)
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
		t.m.distrustETags(t.url())
		t.m.log.Info("the ETag is not this file's MD5; the file is checked by its size", "file", t.path)
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

// A digest is one checksum a file must match; source says whose word it
// is (VerifiedSHA256, VerifiedMD5 or VerifiedETag).
type digest struct {
	name, want, source string
	h                  hash.Hash
}

// digests lists the checksums to verify: the portal's, or else the ETag
// when it may be an MD5 (etagNotMD5: the answer said it is not).
func digests(spec FileSpec, etag string, etagNotMD5 bool) []digest {
	var out []digest
	if spec.SHA256 != "" {
		out = append(out, digest{"SHA-256", strings.ToLower(spec.SHA256), VerifiedSHA256, sha256.New()})
	}
	// The ETag is checked only when the caller gave no checksum: one it
	// gave already proves every byte, and a second digest would double
	// the CPU that verification costs.
	switch {
	case spec.MD5 != "":
		out = append(out, digest{"MD5", strings.ToLower(spec.MD5), VerifiedMD5, md5.New()})
	case spec.SHA256 == "" && !etagNotMD5:
		if want := etagMD5(etag); want != "" {
			out = append(out, digest{"MD5", want, VerifiedETag, md5.New()})
		}
	}
	return out
}

// startDigests prepares the digests to verify, once the ETag is known (a
// multipart ETag is no MD5, and hashing for nothing costs CPU).
func (t *transfer) startDigests() {
	t.mu.Lock()
	etag, notMD5, size := t.etag, t.etagNotMD5, t.size
	t.mu.Unlock()
	t.m.mu.Lock()
	ds := digests(t.f.rec.Spec, etag, notMD5 || t.m.etagDistrusted(t.f.rec.Spec.URL))
	lane := t.m.laneEligible(ds, size)
	if !lane {
		t.m.dropCandidate(t)
	}
	t.m.mu.Unlock()
	t.hashMu.Lock()
	t.digests, t.lane = ds, nil
	if lane { // hashed with other files once on disk (lanes.go)
		t.digests, t.lane = nil, &ds[0]
	}
	t.hashed.Store(0)
	t.hashMu.Unlock()
}

// hashAt feeds bytes written at off to the digests when off is the hash
// frontier; only the one writer there takes the lock, so the other
// connections pay one atomic load.
func (t *transfer) hashAt(off int64, b []byte) {
	if t.hashed.Load() != off {
		return
	}
	t.hashMu.Lock()
	defer t.hashMu.Unlock()
	if len(t.digests) == 0 || t.hashed.Load() != off {
		return
	}
	for _, d := range t.digests {
		d.h.Write(b)
	}
	t.hashed.Add(int64(len(b)))
}

// catchUp feeds the digests, by reading back, what other connections
// wrote beyond the hash frontier, up to the first byte not yet on disk;
// the writer there then hashes in order again. It runs whenever a piece
// ends (startHasher), so the hashing follows the download and verify is
// left with little: for a large file with a checksum, it was seconds of
// reading after the last byte arrived.
func (t *transfer) catchUp(ctx context.Context) error {
	t.hashMu.Lock()
	defer t.hashMu.Unlock()
	if len(t.digests) == 0 {
		return nil
	}
	for {
		from := t.hashed.Load()
		to := t.covered().endOfStretch(from)
		if to <= from {
			return nil
		}
		if err := t.hashTo(ctx, to); err != nil {
			return err
		}
	}
}

// hashTo feeds the digests bytes [hashed, to) read back from the .part,
// moving the frontier with every buffer, so hashed always counts exactly
// the bytes the digests have seen, even when ctx stops it half-way. The
// caller holds hashMu.
func (t *transfer) hashTo(ctx context.Context, to int64) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	for from := t.hashed.Load(); from < to; {
		if err := context.Cause(ctx); err != nil {
			return err
		}
		b := (*bp)[:min(int64(len(*bp)), to-from)]
		n, err := t.part.ReadAt(b, from)
		if n < len(b) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return &diskError{fmt.Errorf("read back: %w", err)}
		}
		for _, d := range t.digests {
			d.h.Write(b)
		}
		from += int64(n)
		t.hashed.Store(from)
	}
	return nil
}
