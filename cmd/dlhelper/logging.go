package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// The helper's log file in the state folder, and how much of it is kept:
// logMaxSize bytes per file, logKeep files in all (dlhelper.log,
// dlhelper.log.1, dlhelper.log.2).
const (
	logName    = "dlhelper.log"
	logMaxSize = 5 << 20
	logKeep    = 3
)

// openLog returns the desktop helper's logger: JSON lines to a size-capped,
// rotating file in stateDir, and readable text to stderr when stderr is a
// terminal (a tray app started at login has nobody reading it). If the file
// cannot be opened the logger still writes to stderr and says why.
// (isTerminal is in progressbar.go.)
func openLog(stateDir string, stderr io.Writer) (*slog.Logger, io.Closer) {
	var handlers []slog.Handler
	if isTerminal(stderr) {
		handlers = append(handlers, slog.NewTextHandler(stderr, nil))
	}
	file, err := openRotator(filepath.Join(stateDir, logName), logMaxSize, logKeep)
	if err != nil {
		if len(handlers) == 0 {
			handlers = append(handlers, slog.NewTextHandler(stderr, nil))
		}
		log := slog.New(slog.NewMultiHandler(handlers...))
		log.Warn("logging to stderr only", "err", err)
		return log, io.NopCloser(nil)
	}
	handlers = append(handlers, slog.NewJSONHandler(file, nil))
	return slog.New(slog.NewMultiHandler(handlers...)), file
}

// rotator is an append-only log file that, before a write would take it
// past max bytes, becomes path.1 (path.1 becomes path.2, …) and starts
// afresh, keeping keep files in all. It is safe for concurrent use.
type rotator struct {
	mu   sync.Mutex
	path string
	max  int64
	keep int
	f    *os.File
	size int64
}

func openRotator(path string, max int64, keep int) (*rotator, error) {
	r := &rotator{path: path, max: max, keep: keep}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open the log: %w", err)
	}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *rotator) open() error {
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open the log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open the log: %w", err)
	}
	r.f, r.size = f, st.Size()
	return nil
}

// Write writes one record; slog hands each record in a single Write, so a
// record is never split across files.
func (r *rotator) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return 0, fs.ErrClosed
	}
	if r.size > 0 && r.size+int64(len(p)) > r.max {
		if err := r.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

// rotate shifts the files by one, dropping the oldest, and opens a new one.
func (r *rotator) rotate() error {
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("rotate the log: %w", err)
	}
	r.f = nil
	if r.keep <= 1 {
		if err := os.Remove(r.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate the log: %w", err)
		}
	}
	for i := r.keep - 1; i > 0; i-- {
		err := os.Rename(r.name(i-1), r.name(i))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate the log: %w", err)
		}
	}
	return r.open()
}

// name is the i-th file: path itself for 0, path.i after.
func (r *rotator) name(i int) string {
	if i == 0 {
		return r.path
	}
	return fmt.Sprintf("%s.%d", r.path, i)
}

// Close closes the current file; later writes fail.
func (r *rotator) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}
