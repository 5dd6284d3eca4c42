package downloader

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The state database holds one record per job and one per file. Records are
// JSON so that a later version can read an older one.
var (
	bucketJobs  = []byte("jobs")
	bucketFiles = []byte("files")
)

// jobRecord is what is kept of a job.
type jobRecord struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Folder      string    `json:"folder"`
	Dir         string    `json:"dir"`
	Connections int       `json:"connections"`
	Sequential  bool      `json:"sequential"`
	Origin      string    `json:"origin,omitempty"`
	Created     time.Time `json:"created"`
	// Root is the download folder the job was added under (place.go);
	// empty in records older than the choice of folder.
	Root string `json:"root,omitempty"`
	// PageURL is JobSpec.PageURL.
	PageURL string `json:"pageUrl,omitempty"`
}

// fileRecord is what is kept of a file. Done claims bytes that are on disk:
// it is committed only after the .part file was synced.
type fileRecord struct {
	Index int      `json:"index"`
	Spec  FileSpec `json:"spec"`
	// Path is shown to the user; Rel is the name below the download root
	// that file-system steps take. Both are rebuilt on load from the
	// job's folder and the file's checked name (Manager.restorePath).
	Path string `json:"path"`
	Rel  string `json:"rel,omitempty"`
	// PartID is the identity of the .part this file writes, once made.
	PartID *fileID    `json:"partID,omitempty"`
	State  FileState  `json:"state"`
	Err    *FileError `json:"err,omitempty"`
	Size   int64      `json:"size"` // -1 until probed
	ETag   string     `json:"etag,omitempty"`
	// ETagNotMD5: the server's answer ruled the ETag out as an MD5.
	ETagNotMD5 bool  `json:"etagNotMD5,omitempty"`
	Ranged     bool  `json:"ranged"` // the server honours Range
	Done       spans `json:"done,omitempty"`
	// Verified is what the completed file was checked against.
	Verified string `json:"verified,omitempty"`
}

type store struct {
	db *bolt.DB

	// File records are group-committed: a record put while a commit runs
	// goes into the next one, which starts as soon as that one ends.
	mu      sync.Mutex
	cond    sync.Cond
	filling *commitBatch // the batch new records join
	running bool         // a commit (or a job's deletion) is under way
	// Records nobody waits for (putFileLater) are committed at most
	// lazyDelay after they were put, or sooner with any other commit.
	lazyDelay time.Duration
	lazy      *time.Timer // armed while such records wait
	closed    bool
	log       *slog.Logger
	// beforeCommit, when set, is called with each batch's size before
	// it is committed; a seam for tests.
	beforeCommit func(records int)
}

// lazyCommitDelay bounds how long a record put with putFileLater waits
// for its commit; see putFileLater for what a crash in it costs. A commit
// costs about 0.4 ms, so ten a second are nothing next to one a file.
const lazyCommitDelay = 100 * time.Millisecond

// commitBatch is the file records of one commit, by key; a later put of
// the same key replaces the earlier.
type commitBatch struct {
	records   map[string][]byte
	committed bool
	err       error
}

func newStore(db *bolt.DB) *store {
	s := &store{
		db: db, filling: &commitBatch{records: map[string][]byte{}},
		lazyDelay: lazyCommitDelay, log: slog.New(slog.DiscardHandler),
	}
	s.cond.L = &s.mu
	return s
}

// openStore opens (creating) the state database in dir. bbolt locks the
// file, so a second Manager on the same folder fails fast instead of waiting.
func openStore(dir string) (*store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state folder: %w", err)
	}
	path := filepath.Join(dir, "state.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("the state folder %s is in use by another dlhelper; stop it first or choose another state folder", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketJobs, bucketFiles} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	return newStore(db), nil
}

// close commits the records still waiting (putFileLater) and closes the
// database.
func (s *store) close() error {
	s.mu.Lock()
	s.closed = true
	if s.lazy != nil {
		s.lazy.Stop()
		s.lazy = nil
	}
	err := s.commitLocked(s.filling)
	s.mu.Unlock()
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	return err
}

func fileKey(jobID string, index int) []byte {
	return fmt.Appendf(nil, "%s/%08d", jobID, index)
}

// putJob writes a job and all its files in one transaction.
func (s *store) putJob(j *jobRecord, files []fileRecord) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := putJSON(tx.Bucket(bucketJobs), []byte(j.ID), j); err != nil {
			return err
		}
		for i := range files {
			if err := putJSON(tx.Bucket(bucketFiles), fileKey(j.ID, files[i].Index), &files[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// putFile writes one file record and returns once it is committed.
//
// Records are group-committed, which keeps many small files from paying
// a commit (two fdatasyncs) each. The first caller commits at once; who
// comes while that commit runs joins the next batch, and the first of
// them to wake commits it. Nobody waits for company, as bbolt's Batch
// does with its time window, which every finished file would wait out.
func (s *store) putFile(jobID string, f fileRecord) error { return s.put(jobID, f, true) }

// putFileLater writes one file record without waiting: it is committed
// with the next commit, at most lazyDelay from now, or by close. A crash
// before then loses it, and the file's older record stands; the caller
// must be able to take that (see finisher.rename). Finished files that do
// not wait make about one commit per lazyDelay, not one each.
func (s *store) putFileLater(jobID string, f fileRecord) error { return s.put(jobID, f, false) }

// put adds f to the batch being filled and commits it, or with wait false,
// makes sure a commit comes within lazyDelay.
func (s *store) put(jobID string, f fileRecord, wait bool) error {
	data, err := json.Marshal(&f)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.filling
	b.records[string(fileKey(jobID, f.Index))] = data
	if wait {
		return s.commitLocked(b)
	}
	if s.lazy == nil && !s.closed {
		s.lazy = time.AfterFunc(s.lazyDelay, s.commitLater)
	}
	return nil
}

// commitLater commits the records putFileLater left, unless a commit
// took them meanwhile.
func (s *store) commitLater() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lazy = nil
	if s.closed {
		return
	}
	if err := s.commitLocked(s.filling); err != nil {
		s.log.Error("save file states", "err", err)
	}
}

// commitLocked returns once batch b is committed, committing it itself
// unless another commit is running, in which case it waits its turn. The
// caller holds s.mu.
func (s *store) commitLocked(b *commitBatch) error {
	for !b.committed {
		if s.running {
			s.cond.Wait()
			continue
		}
		cur := s.filling
		s.filling = &commitBatch{records: map[string][]byte{}}
		if len(cur.records) == 0 {
			cur.committed = true
			continue
		}
		s.running = true
		s.mu.Unlock()
		if s.beforeCommit != nil {
			s.beforeCommit(len(cur.records))
		}
		err := s.db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket(bucketFiles)
			for k, v := range cur.records {
				if err := bk.Put([]byte(k), v); err != nil {
					return err
				}
			}
			return nil
		})
		s.mu.Lock()
		cur.committed, cur.err, s.running = true, err, false
		s.cond.Broadcast()
	}
	return b.err
}

// deleteJob removes a job and its files, and the records of its files
// still waiting for a commit, so no later commit writes them back.
func (s *store) deleteJob(id string) error {
	prefix := []byte(id + "/")
	s.mu.Lock()
	for s.running {
		s.cond.Wait()
	}
	for k := range s.filling.records {
		if strings.HasPrefix(k, string(prefix)) {
			delete(s.filling.records, k)
		}
	}
	s.running = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = false
		s.cond.Broadcast()
		s.mu.Unlock()
	}()
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketJobs).Delete([]byte(id)); err != nil {
			return err
		}
		c := tx.Bucket(bucketFiles).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
}

// load reads every job with its files, files in index order.
func (s *store) load() ([]jobRecord, map[string][]fileRecord, error) {
	var jobs []jobRecord
	files := map[string][]fileRecord{}
	err := s.db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketJobs).ForEach(func(k, v []byte) error {
			var j jobRecord
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("job %s: %w", k, err)
			}
			jobs = append(jobs, j)
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketFiles).ForEach(func(k, v []byte) error {
			var f fileRecord
			if err := json.Unmarshal(v, &f); err != nil {
				return fmt.Errorf("file %s: %w", k, err)
			}
			id, _, _ := strings.Cut(string(k), "/")
			files[id] = append(files[id], f)
			return nil
		})
	})
	if err != nil {
		return nil, nil, fmt.Errorf("load state: %w", err)
	}
	return jobs, files, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}
