package downloader

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	Created     time.Time `json:"created"`
}

// fileRecord is what is kept of a file. Done claims bytes that are on disk:
// it is committed only after the .part file was synced.
type fileRecord struct {
	Index  int        `json:"index"`
	Spec   FileSpec   `json:"spec"`
	Path   string     `json:"path"`
	State  FileState  `json:"state"`
	Err    *FileError `json:"err,omitempty"`
	Size   int64      `json:"size"` // -1 until probed
	ETag   string     `json:"etag,omitempty"`
	Ranged bool       `json:"ranged"` // the server honours Range
	Done   spans      `json:"done,omitempty"`
}

type store struct{ db *bolt.DB }

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
	// Batched commits wait at most this long for company: bbolt's 10 ms
	// default made every finished small file wait that long.
	db.MaxBatchDelay = 2 * time.Millisecond
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
	return &store{db: db}, nil
}

func (s *store) close() error { return s.db.Close() }

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

// putFile writes one file record. Concurrent calls are batched into one
// commit, which keeps many small files from paying one fsync each.
func (s *store) putFile(jobID string, f fileRecord) error {
	data, err := json.Marshal(&f)
	if err != nil {
		return err
	}
	key := fileKey(jobID, f.Index)
	return s.db.Batch(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFiles).Put(key, data)
	})
}

// deleteJob removes a job and its files.
func (s *store) deleteJob(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketJobs).Delete([]byte(id)); err != nil {
			return err
		}
		c := tx.Bucket(bucketFiles).Cursor()
		prefix := []byte(id + "/")
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
