package downloader

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSmoke(t *testing.T) {
	data := make([]byte, 5<<20+123)
	rand.NewChaCha8([32]byte{}).Read(data)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"abc"`)
		http.ServeContent(w, r, "x", time.Now(), bytes.NewReader(data))
	}))
	defer srv.Close()
	root := t.TempDir()
	m, err := New(Config{StateDir: t.TempDir(), Root: root, MinPiece: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	sub := m.Subscribe()
	defer sub.Close()
	job, err := m.Add(JobSpec{Name: "x", Folder: "o", Files: []FileSpec{{URL: srv.URL + "/a", Name: "a.bin"}, {URL: srv.URL + "/b", Name: "a.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s %+v %+v", ev.Type, ev.File, ev.Progress)
		if ev.Type == EventJobCompleted || ev.Type == EventJobFailed {
			break
		}
	}
	j, _ := m.Job(job.ID)
	for _, f := range j.Files {
		got, err := os.ReadFile(f.Path)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("file %s differs: %v", f.Path, err)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(root, "o"))
	for _, e := range ents {
		t.Log(e.Name())
	}
}
