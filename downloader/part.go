package downloader

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
)

// openPart opens the file's .part below the root. A .part is created
// exclusively, so nothing already at NAME.part (a link planted in a shared
// folder, say) is ever written through; its identity is recorded, and a
// .part reopened on resume must be that same file. One that is not, or is
// gone, is treated alike: the file starts over in a new .part.
func (t *transfer) openPart() error {
	if CheckName(t.rel) != nil {
		return errDamagedRecord
	}
	root, partRel := t.place().root, native(t.rel+partSuffix)
	if err := root.MkdirAll(native(path.Dir(t.rel)), 0o755); err != nil {
		return &diskError{fmt.Errorf("create folder: %w", err)}
	}
	f := t.reopenPart(partRel)
	if f == nil {
		if t.renamed() {
			return errRenamed
		}
		if len(t.landed) > 0 {
			t.log.Warn("partial file missing or replaced, starting the file over", "path", t.path+partSuffix)
			t.forget()
		}
		var err error
		if f, err = t.createPart(partRel); err != nil {
			return err
		}
	}
	if id, ok := idOf(f); ok {
		t.partID = &id
	}
	t.part = f
	return nil
}

// reopenPart returns the .part this file wrote before, or nil. With a
// recorded identity the file must have it; a record older than those
// identities is trusted with a regular file that stays one while it is
// opened (no link). A .part shorter than the bytes claimed is kept, and
// the claim forgotten.
func (t *transfer) reopenPart(partRel string) *os.File {
	if len(t.landed) == 0 && t.partID == nil {
		return nil
	}
	before, err := t.place().root.Lstat(partRel)
	if err != nil || !before.Mode().IsRegular() {
		return nil
	}
	var f *os.File
	err = retryBusy(func() (err error) { f, err = t.place().root.OpenFile(partRel, os.O_RDWR, 0); return err })
	if err != nil {
		return nil
	}
	st, err := f.Stat()
	id, ok := idOf(f)
	switch {
	case err != nil || !os.SameFile(before, st),
		t.partID != nil && (!ok || id != *t.partID):
		f.Close()
		return nil
	}
	if len(t.landed) > 0 && st.Size() < t.size {
		t.log.Warn("partial file short, starting the file over", "path", t.path+partSuffix)
		t.forget()
	}
	return f
}

// createPart makes a new, empty .part. What is at its name already is not
// this file's (reopenPart said so): the nameBook gave the name out while
// NAME.part was free, so it is a .part left before its identity was
// recorded, or something put there since. It is removed, a link as a
// link, and the .part created again, exclusively still.
func (t *transfer) createPart(partRel string) (*os.File, error) {
	create := func() (*os.File, error) {
		return t.place().root.OpenFile(partRel, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	}
	f, err := create()
	if errors.Is(err, fs.ErrExist) {
		t.log.Warn("removing what was left at the partial file's name", "path", t.path+partSuffix)
		t.place().root.Remove(partRel)
		f, err = create()
	}
	if err != nil {
		return nil, &diskError{fmt.Errorf("create %s: %w", t.path+partSuffix, err)}
	}
	t.partID = nil
	return f, nil
}
