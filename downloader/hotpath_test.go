package downloader

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// newCopyTransfer is a transfer with a .part file and one piece, enough to
// drive copyBody without a network.
func newCopyTransfer(tb testing.TB, size int64) (*transfer, *piece) {
	e := &env{cfg: Config{StallTimeout: time.Minute}.withDefaults(), limiter: newLimiter(0)}
	part, err := os.Create(filepath.Join(tb.TempDir(), "f.part"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { part.Close() })
	t := &transfer{env: e, f: &file{}, part: part, size: size}
	return t, &piece{end: size}
}

func TestCopyBodyDoesNotAllocatePerBuffer(t *testing.T) {
	const size = 64 * bufSize
	data := bytes.NewReader(make([]byte, size))
	tr, p := newCopyTransfer(t, size)
	stall := time.NewTimer(time.Minute)
	defer stall.Stop()
	allocs := testing.AllocsPerRun(5, func() {
		data.Seek(0, 0)
		p.pos, p.resv, p.end = 0, 0, size
		if err := tr.copyBody(context.Background(), p, data, stall); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 { // the buffer pool may hand out a fresh buffer once
		t.Errorf("copyBody of %d buffers made %.0f allocations, want at most 2", size/bufSize, allocs)
	}
}

func TestTheRateLimitHoldsBytesBack(t *testing.T) {
	t.Parallel()
	l := newLimiter(1000)
	if err := l.wait(context.Background(), bufSize); err != nil {
		t.Fatalf("the first burst: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := l.wait(ctx, bufSize); err == nil {
		t.Error("a second burst at 1000 B/s passed at once")
	}
	l.set(0)
	if err := l.wait(ctx, bufSize); err != nil {
		t.Errorf("with the limit off: %v", err)
	}
}

func BenchmarkCopyBody(b *testing.B) {
	const size = 64 << 20
	data := bytes.NewReader(make([]byte, size))
	tr, p := newCopyTransfer(b, size)
	stall := time.NewTimer(time.Minute)
	defer stall.Stop()
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		data.Seek(0, 0)
		p.pos, p.resv, p.end = 0, 0, size
		if err := tr.copyBody(context.Background(), p, data, stall); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSpansAdd(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var ss spans
		for i := range 256 {
			ss = ss.add(span{int64(i*2) << 20, int64(i*2+1) << 20})
		}
		for i := range 256 {
			ss = ss.add(span{int64(i*2+1) << 20, int64(i*2+2) << 20})
		}
	}
}

func BenchmarkPlanAndSteal(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		pieces := plan([]span{{0, 4 << 30}}, 8, 1<<20, 16<<20)
		p := &piece{start: pieces[0].Start, pos: pieces[0].Start, end: pieces[0].End}
		for p.split(1<<20) != nil {
		}
	}
}

func BenchmarkPublishProgress(b *testing.B) {
	m := &Manager{hub: newHub(), byID: map[string]*job{}}
	j := &job{}
	for i := range 200 {
		j.addFile(&file{job: j, rec: fileRecord{Index: i, State: FileDownloading, Size: 1 << 30}})
	}
	m.jobs = []*job{j}
	sub := &Subscription{h: m.hub, ready: make(chan struct{}, 1)}
	m.hub.subs[sub] = struct{}{}
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range j.files {
			f.written.Add(4096)
		}
		m.publishProgress(250 * time.Millisecond)
	}
}

func BenchmarkStateCommit(b *testing.B) {
	rec := fileRecord{Index: 1, Size: 1 << 30, Done: spans{{0, 1 << 20}, {2 << 20, 3 << 20}}, State: FileDownloading}
	// wait: a checkpoint or a large file's completed record, committed
	// before the call returns. later: a small file's completed record
	// (putFileLater); the commits it joins are counted in the time too,
	// as close commits what is left.
	for _, later := range []bool{false, true} {
		name := "wait"
		if later {
			name = "later"
		}
		b.Run(name, func(b *testing.B) {
			st, err := openStore(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			put := st.putFile
			if later {
				put = st.putFileLater
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				rec.Index = i % 2000
				i++
				if err := put("job", rec); err != nil {
					b.Fatal(err)
				}
			}
			if err := st.close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
