package downloader

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// Every file-system step below the download root goes through the
// handle on the root of the file's job (os.Root, place.go), with paths
// relative to it: a symlink
// in a job's folder, or one planted as NAME.part in a shared download
// folder, cannot lead a write outside the root. Records keep the relative
// name (fileRecord.Rel); the absolute Path is rebuilt from it, for the
// user's eyes only.

// fileID identifies a file on its volume: device and inode, or on
// Windows volume serial number and file index. A .part's is recorded
// when it is created, and a .part reopened on resume must have it.
type fileID struct {
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"ino"`
}

// openRoot opens the download root, creating it if need be.
func openRoot(dir string) (*os.Root, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create the download folder: %w", err)
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open the download folder: %w", err)
	}
	return r, nil
}

// native turns a checked "/"-separated name into one the OS takes.
func native(rel string) string { return filepath.FromSlash(rel) }

// onDisk reports that something, a link included, is at rel.
func (p *place) onDisk(rel string) bool {
	_, err := p.root.Lstat(native(rel))
	return err == nil
}

// removePart deletes the .part of the file named rel. A link planted
// there is removed itself, never what it points to.
func (p *place) removePart(rel string) {
	if rel != "" {
		p.root.Remove(native(rel + partSuffix))
	}
}

// errDamagedRecord is the error of a file whose stored record names no
// path dlhelper would have chosen for it.
var errDamagedRecord = &FileError{CodeDisk, "The saved state of this file is damaged, so dlhelper will not write it. Remove the job and add the order again from the portal."}

// restorePath rebuilds a stored file's relative name and path from the
// job's folder and the file's name, both checked again: the database is
// not trusted to say where to write. The stored name (Rel, or the base
// of Path in records older than Rel) is kept only when it is the name
// asked for or that name numbered by the nameBook (" (2)"). It reports
// false for a record that holds anything else.
func (m *Manager) restorePath(p *place, folder string, fr *fileRecord) bool {
	want := joinName(folder, fr.Spec.Name)
	if (folder != "" && CheckName(folder) != nil) || CheckName(fr.Spec.Name) != nil {
		fr.Rel, fr.Path = "", ""
		return false
	}
	stored := fr.Rel
	if stored == "" && fr.Path != "" {
		stored = path.Join(path.Dir(want), filepath.Base(fr.Path))
	}
	rel := want
	if stored != "" {
		if !isNumbered(stored, want) {
			fr.Rel, fr.Path = "", ""
			return false
		}
		rel = stored
	}
	fr.Rel, fr.Path = rel, within(p.dir, rel)
	return true
}

// renamePending reports a record the finisher stored as completed whose
// rename did not happen (the process died in between): the verified
// .part is there and the final file is not. Queued again, the transfer
// finds every byte present, verifies the .part once more and renames it.
func (p *place) renamePending(r fileRecord) bool {
	if r.State != FileCompleted || r.Rel == "" {
		return false
	}
	if _, err := p.root.Lstat(native(r.Rel)); !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	st, err := p.root.Lstat(native(r.Rel + partSuffix))
	return err == nil && st.Mode().IsRegular() && st.Size() == r.Size
}

// sameContent reports that the files at a and b hold the same bytes. It
// opens and reads them only when b is a regular file of a's size.
func (p *place) sameContent(a, b string) bool {
	sa, err1 := p.root.Lstat(native(a))
	sb, err2 := p.root.Lstat(native(b))
	if err1 != nil || err2 != nil || !sb.Mode().IsRegular() || sa.Size() != sb.Size() {
		return false
	}
	fa, err := p.root.Open(native(a))
	if err != nil {
		return false
	}
	defer fa.Close()
	fb, err := p.root.Open(native(b))
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

// restoreFile rebuilds a stored file's paths (restorePath) and queues it
// again when it was transferring, or renaming, when the process stopped,
// or waiting for its lost folder (park.go), which opened this time.
// A record that names a path dlhelper would not have chosen fails, with
// nothing written.
func (m *Manager) restoreFile(p *place, folder string, fr *fileRecord) {
	if !m.restorePath(p, folder, fr) {
		m.log.Warn("a stored file names a path outside its job's folder; not resuming it", "index", fr.Index)
		fr.State, fr.Err, fr.Done, fr.PartID = FileFailed, errDamagedRecord, nil, nil
		return
	}
	if fr.State.active() || p.renamePending(*fr) || fr.parked() {
		fr.State = FileQueued
	}
}

// restoreDir rebuilds a stored job's folder from its checked name. A
// folder that fails the check shows as the root; its files fail
// (restoreFile).
func (p *place) restoreDir(r *jobRecord) {
	r.Dir = p.dir
	if CheckName(r.Folder) == nil {
		r.Dir = within(p.dir, r.Folder)
	}
}
