package downloader

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"strings"
)

// A file's digests follow its bytes as they land: the connection writing
// at the hash frontier feeds them (hashAt), what others wrote beyond it is
// read back whenever a piece ends (catchUp), and the finisher reads back
// only what is left (hashTo). A file verified by an MD5 alone in a size
// that suits a set is hashed with other files once on disk instead
// (lanes.go). Both read back with readBack.

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
// multipart ETag is no MD5, and hashing for nothing costs CPU), and asks
// the finisher whether the file is hashed in a set instead.
func (t *transfer) startDigests() {
	t.mu.Lock()
	etag, notMD5, size := t.etag, t.etagNotMD5, t.size
	t.mu.Unlock()
	ds := digests(t.spec, etag, notMD5 || t.etags.distrusted(t.f.url()))
	inSet := t.fin.hashesInSet(t, ds, size)
	t.hashMu.Lock()
	t.digests, t.lane = ds, nil
	if inSet {
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
// ends (transfer.hasher), so the finisher is left with little to read.
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
	return readBack(ctx, t.part, *bp, t.hashed.Load(), to, func(b []byte) {
		for _, d := range t.digests {
			d.h.Write(b)
		}
		t.hashed.Add(int64(len(b)))
	})
}

// readBackSum feeds h the first size bytes of r and returns the sum; a set
// hashes each of its files with it (lanes.go).
func readBackSum(ctx context.Context, h hash.Hash, r io.ReaderAt, size int64) ([]byte, error) {
	bp := laneBufPool.Get().(*[]byte)
	defer laneBufPool.Put(bp)
	if err := readBack(ctx, r, *bp, 0, size, func(b []byte) { h.Write(b) }); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// readBack reads bytes [from, to) of r, a buffer at a time, and hands each
// buffer to feed; it stops early only for ctx, checked at every buffer.
func readBack(ctx context.Context, r io.ReaderAt, buf []byte, from, to int64, feed func([]byte)) error {
	for from < to {
		if err := context.Cause(ctx); err != nil {
			return err
		}
		b := buf[:min(int64(len(buf)), to-from)]
		n, err := r.ReadAt(b, from)
		if n < len(b) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return &diskError{fmt.Errorf("read back: %w", err)}
		}
		feed(b)
		from += int64(n)
	}
	return nil
}
