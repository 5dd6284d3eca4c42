package downloader

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
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
	if t.laneMD5 != "" { // joined with the slot given back, so the two count as one
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
	t.closePart()
	part, final := t.path+partSuffix, t.path
	if exists(final) && !sameContent(part, final) { // someone made a file of that name meanwhile
		final = uniquePath(final, func(string) bool { return false })
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
	t.path = final
	t.record(spans{{0, t.size}})
	t.m.saveFileAs(t.f, FileCompleted, t.onePiece() || lf != nil)
	if err := os.Rename(part, final); err != nil {
		return &diskError{fmt.Errorf("rename: %w", err)}
	}
	return nil
}

// sameContent reports that files a and b hold the same bytes. It opens
// and reads them only when b is a regular file of a's size.
func sameContent(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	if err1 != nil || err2 != nil || !sb.Mode().IsRegular() || sa.Size() != sb.Size() {
		return false
	}
	fa, err := os.Open(a)
	if err != nil {
		return false
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false
	}
	defer fb.Close()
	ba, bb := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		na, erra := io.ReadFull(fa, ba)
		nb, errb := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false
		}
		if erra != nil || errb != nil {
			return (erra == io.EOF || erra == io.ErrUnexpectedEOF) && erra == errb
		}
	}
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
// the ETag when it is a plain MD5 (MinIO's multipart ETags, "…-N", are
// not), hashed here or, for lf, in a set with other files. A mismatch
// deletes the .part: its bad bytes cannot be told from good ones.
func (t *transfer) verify(lf *laneFile) error {
	t.hashMu.Lock()
	defer t.hashMu.Unlock()
	if lf != nil {
		sum, err := t.m.laneSum(t.ctx, lf)
		if err != nil {
			return err
		}
		return t.check("MD5", hex.EncodeToString(sum), t.laneMD5)
	}
	if len(t.digests) == 0 {
		return nil
	}
	if err := t.hashTo(t.ctx, t.size); err != nil {
		return err
	}
	for _, d := range t.digests {
		if err := t.check(d.name, hex.EncodeToString(d.h.Sum(nil)), d.want); err != nil {
			return err
		}
	}
	return nil
}

// check compares a digest with the one wanted; a mismatch deletes the .part.
func (t *transfer) check(name, got, want string) error {
	if got == want {
		return nil
	}
	t.discard()
	return &FileError{CodeChecksum, fmt.Sprintf("The downloaded file does not match its %s checksum, so it was deleted. Retry the download; if it fails again, tell the portal's support.", name)}
}

// discard deletes the .part after a failed verification and forgets its
// bytes, so a retry starts from zero.
func (t *transfer) discard() {
	t.closePart()
	os.Remove(t.path + partSuffix)
	t.forget()
	t.commit(nil)
}

type digest struct {
	name, want string
	h          hash.Hash
}

func digests(spec FileSpec, etag string) []digest {
	var out []digest
	if spec.SHA256 != "" {
		out = append(out, digest{"SHA-256", strings.ToLower(spec.SHA256), sha256.New()})
	}
	// The ETag is checked only when the caller gave no checksum: one it
	// gave already proves every byte, and a second digest would double
	// the CPU that verification costs.
	md5Want := strings.ToLower(spec.MD5)
	if md5Want == "" && spec.SHA256 == "" {
		md5Want = etagMD5(etag)
	}
	if md5Want != "" {
		out = append(out, digest{"MD5", md5Want, md5.New()})
	}
	return out
}

// etagMD5 returns the ETag when it is a plain MD5 of the content.
func etagMD5(etag string) string {
	e := strings.ToLower(strings.Trim(strings.TrimPrefix(etag, "W/"), `"`))
	if len(e) != 32 || strings.HasPrefix(etag, "W/") {
		return ""
	}
	if _, err := hex.DecodeString(e); err != nil {
		return ""
	}
	return e
}

// startDigests prepares the digests to verify, once the ETag is known (a
// multipart ETag is no MD5, and hashing for nothing costs CPU).
func (t *transfer) startDigests() {
	t.mu.Lock()
	etag, size := t.etag, t.size
	t.mu.Unlock()
	t.m.mu.Lock()
	ds := digests(t.f.rec.Spec, etag)
	lane := t.m.laneEligible(ds, size)
	if !lane {
		t.m.dropCandidate(t)
	}
	t.m.mu.Unlock()
	t.hashMu.Lock()
	t.digests, t.laneMD5 = ds, ""
	if lane { // hashed with other files once on disk (lanes.go)
		t.digests, t.laneMD5 = nil, ds[0].want
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
