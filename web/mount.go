package web

import (
	"io/fs"
	"strings"
)

// mount is base with another file system in place of its folder dir. It is
// enough for serving files (Open and Stat of a path); a listing of base's
// root does not show dir, and nothing here lists folders.
type mount struct {
	base fs.FS
	dir  string
	at   fs.FS
}

func (m mount) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == m.dir {
		return m.at.Open(".")
	}
	if rest, ok := strings.CutPrefix(name, m.dir+"/"); ok {
		return m.at.Open(rest)
	}
	return m.base.Open(name)
}
