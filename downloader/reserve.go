package downloader

import (
	"fmt"
	"path"
	"strings"
	"sync"

	"golang.org/x/text/unicode/norm"
)

// nameBook hands out final names below the download root so that no two
// files of the Manager share a name, or one's name another's .part: a
// name is given out only while neither NAME nor NAME.part is on disk or
// held by another file. It has a lock of its own, so the disk checks it
// makes do not hold up the Manager.
//
// Names are compared NFC-normalised and lower-cased: macOS and Windows
// would make "é" and "e\u0301", or "B.zip" and "b.zip", one file.
//
// next remembers, per name asked for, the first " (N)" not tried yet, so
// the thousandth "a.zip" of an order tries one name, not a thousand: a
// search from " (1)" each time made adding an order quadratic, under the
// Manager's lock (issue 16).
type nameBook struct {
	mu   sync.Mutex
	held map[string]bool
	next map[string]int
	// onDisk reports that something is at a relative path; a seam for tests.
	onDisk func(rel string) bool
}

func newNameBook(onDisk func(rel string) bool) *nameBook {
	return &nameBook{held: map[string]bool{}, next: map[string]int{}, onDisk: onDisk}
}

// nameKey is how two names are compared.
func nameKey(rel string) string { return strings.ToLower(norm.NFC.String(rel)) }

// reserve returns rel, or rel with " (N)" before its extension, the first
// free one, and holds it until release.
func (b *nameBook) reserve(rel string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reserveLocked(rel)
}

// reserveAll reserves a name for each of rels, in order.
func (b *nameBook) reserveAll(rels []string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, len(rels))
	for i, rel := range rels {
		out[i] = b.reserveLocked(rel)
	}
	return out
}

func (b *nameBook) reserveLocked(rel string) string {
	want := nameKey(rel)
	for i := b.next[want]; ; i++ {
		c := numbered(rel, i)
		if b.free(c) {
			b.next[want] = i + 1
			b.hold(c)
			return c
		}
	}
}

// free reports that neither c nor c.part is held or on disk; b.mu is held.
func (b *nameBook) free(c string) bool {
	k := nameKey(c)
	return !b.held[k] && !b.held[k+partSuffix] && !b.onDisk(c) && !b.onDisk(c+partSuffix)
}

// hold marks rel and rel.part as taken; b.mu is held.
func (b *nameBook) hold(rel string) {
	k := nameKey(rel)
	b.held[k], b.held[k+partSuffix] = true, true
}

// keep holds names chosen earlier (a restored job's), as they are.
func (b *nameBook) keep(rels []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, rel := range rels {
		b.hold(rel)
	}
}

// release lets other files take names again.
func (b *nameBook) release(rels []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, rel := range rels {
		k := nameKey(rel)
		delete(b.held, k)
		delete(b.held, k+partSuffix)
	}
}

// numbered returns rel for i == 0, else rel with " (i)" before its
// extension: "a/b.zip" becomes "a/b (2).zip".
func numbered(rel string, i int) string {
	if i == 0 {
		return rel
	}
	ext := path.Ext(rel)
	return fmt.Sprintf("%s (%d)%s", strings.TrimSuffix(rel, ext), i, ext)
}

// isNumbered reports that rel is want, or want numbered by reserve: the
// only names a record may hold for a file asked for as want.
func isNumbered(rel, want string) bool {
	if rel == want {
		return true
	}
	ext := path.Ext(want)
	stem := strings.TrimSuffix(want, ext) + " ("
	mid, ok := strings.CutPrefix(rel, stem)
	if !ok {
		return false
	}
	digits, ok := strings.CutSuffix(mid, ")"+ext)
	if !ok || digits == "" || digits[0] == '0' || len(digits) > 9 {
		return false
	}
	return strings.Trim(digits, "0123456789") == ""
}

// reserveNames chooses a free name below the root for each file of spec.
func (p *place) reserveNames(spec JobSpec) []string {
	wants := make([]string, len(spec.Files))
	for i, f := range spec.Files {
		wants[i] = joinName(spec.Folder, f.Name)
	}
	return p.names.reserveAll(wants)
}

// fileNames lists the names files hold.
func fileNames(files []*file) []string {
	var rels []string
	for _, f := range files {
		if f.rec.Rel != "" {
			rels = append(rels, f.rec.Rel)
		}
	}
	return rels
}
