package downloader

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"dlhelper/internal/testenv"
)

// newHashingTransfer is a transfer over a .part that will hold data, with
// an MD5 digest to feed and nothing written yet.
func newHashingTransfer(t *testing.T, data []byte) *transfer {
	tr, _ := newCopyTransfer(t, int64(len(data)))
	sum := md5.Sum(data)
	tr.digests = digests(FileSpec{MD5: hex.EncodeToString(sum[:])}, "", false)
	return tr
}

// write puts data[s] on disk the way a worker does, without hashing it.
func write(t *testing.T, tr *transfer, data []byte, s span) {
	t.Helper()
	if _, err := tr.part.WriteAt(data[s.Start:s.End], s.Start); err != nil {
		t.Fatal(err)
	}
}

func TestCatchUpHashesWhatOtherConnectionsWroteUpToTheFirstGap(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(7, 1<<20)
	tr := newHashingTransfer(t, data)
	ctx := context.Background()

	// Done: [0, 300K) and [700K, 1M). In flight: a piece from 300K whose
	// first 100K are written.
	write(t, tr, data, span{0, 300 << 10})
	write(t, tr, data, span{700 << 10, 1 << 20})
	tr.landed = spans{{0, 300 << 10}, {700 << 10, 1 << 20}}
	q := tr.addPiece(span{300 << 10, 700 << 10})
	off, k := q.reserve(100 << 10)
	write(t, tr, data, span{off, off + int64(k)})
	q.commit()

	if err := tr.catchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if got := tr.hashed.Load(); got != 400<<10 {
		t.Fatalf("caught up to %d, want %d: the end of the written head in flight", got, 400<<10)
	}

	// The writer at the frontier hashes its next bytes in order itself.
	off, k = q.reserve(300 << 10)
	write(t, tr, data, span{off, off + int64(k)})
	tr.hashAt(off, data[off:off+int64(k)])
	q.commit()
	if got := tr.hashed.Load(); got != 700<<10 {
		t.Fatalf("after the frontier's own write hashed = %d, want %d", got, 700<<10)
	}
	tr.release(q)
	if err := tr.catchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if got := tr.hashed.Load(); got != 1<<20 {
		t.Fatalf("after the last piece hashed = %d, want all %d bytes", got, 1<<20)
	}
	if got, want := hex.EncodeToString(tr.digests[0].h.Sum(nil)), tr.digests[0].want; got != want {
		t.Fatalf("MD5 %s, want %s: a byte was hashed twice or skipped", got, want)
	}
}

func TestAStoppedCatchUpCountsOnlyWhatItHashed(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(8, 256<<10)
	tr := newHashingTransfer(t, data)
	write(t, tr, data, span{0, int64(len(data))})
	tr.landed = spans{{0, int64(len(data))}}

	ctx, cancel := context.WithCancelCause(context.Background())
	stopped := errors.New("paused")
	cancel(stopped)
	if err := tr.catchUp(ctx); !errors.Is(err, stopped) || tr.hashed.Load() != 0 {
		t.Fatalf("a stopped catch-up returned %v and hashed %d bytes, want %v and 0", err, tr.hashed.Load(), stopped)
	}
	if err := tr.catchUp(context.Background()); err != nil || tr.hashed.Load() != int64(len(data)) {
		t.Fatalf("catchUp returned %v and hashed %d bytes, want nil and %d", err, tr.hashed.Load(), len(data))
	}
}

func TestCatchUpFailsOnAPartShorterThanWhatWasWritten(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(9, 256<<10)
	tr := newHashingTransfer(t, data)
	write(t, tr, data, span{0, 100 << 10})
	tr.landed = spans{{0, 200 << 10}} // the record claims more than the disk holds
	var de *diskError
	if err := tr.catchUp(context.Background()); !errors.As(err, &de) {
		t.Fatalf("catchUp over missing bytes returned %v, want a disk error", err)
	}
	if got := tr.hashed.Load(); got != 0 {
		t.Errorf("hashed %d bytes of a read that came back short, want 0", got)
	}
}

// BenchmarkVerifiedDownload fetches a 256 MiB file with the caller's
// SHA-256 over a 200 MB/s link with the default settings. tail-ms is the
// time from the server's last byte to the completed file: what
// verification adds once the download itself is over.
func BenchmarkVerifiedDownload(b *testing.B) {
	data := testenv.RandomData(10, 256<<20)
	sum := sha256.Sum256(data)
	link := rate.NewLimiter(200e6, bufSize)
	var lastByte atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(&throttled{w, link, &lastByte}, r, "chip.zip", time.Time{}, bytes.NewReader(data))
	}))
	defer srv.Close()
	m, err := New(Config{StateDir: b.TempDir(), Root: b.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	sub := m.Subscribe()
	defer sub.Close()
	b.SetBytes(int64(len(data)))
	var tail time.Duration
	for i := 0; b.Loop(); i++ {
		j, err := m.Add(JobSpec{Name: fmt.Sprintf("order-%d", i), Files: []FileSpec{{URL: srv.URL, Name: "chip.zip", SHA256: hex.EncodeToString(sum[:])}}})
		if err != nil {
			b.Fatal(err)
		}
		j = waitSettled(b, m, sub, j.ID)
		tail += time.Since(time.Unix(0, lastByte.Load()))
		if j.State != JobCompleted {
			b.Fatalf("job ended %s: %+v", j.State, j.Files[0].Error)
		}
		b.StopTimer()
		if err := m.RemoveJob(j.ID, true); err != nil {
			b.Fatal(err)
		}
		os.Remove(j.Files[0].Path)
		b.StartTimer()
	}
	b.ReportMetric(float64(tail.Milliseconds())/float64(b.N), "tail-ms/op")
}

// throttled is a response writer behind a shared link of limited speed
// that notes when it wrote last.
type throttled struct {
	http.ResponseWriter
	link *rate.Limiter
	last *atomic.Int64
}

func (w *throttled) Write(p []byte) (int, error) {
	var n int
	for len(p) > 0 {
		k := min(len(p), w.link.Burst())
		if err := w.link.WaitN(context.Background(), k); err != nil {
			return n, err
		}
		k, err := w.ResponseWriter.Write(p[:k])
		n += k
		w.last.Store(time.Now().UnixNano())
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}

// TestTheDigestsFollowTheDownload holds back the ranges that end the file
// and checks that, meanwhile, every byte before them has been hashed: the
// pieces go out in order and a finished piece is read back at once, not
// after the last byte.
func TestTheDigestsFollowTheDownload(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(11, 4<<20)
	sum := sha256.Sum256(data)
	release := make(chan struct{})
	var mu sync.Mutex
	heldFrom := int64(len(data))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var first, last int64
		if _, err := fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-%d", &first, &last); err == nil && last == int64(len(data))-1 && first > 0 {
			mu.Lock()
			heldFrom = min(heldFrom, first)
			mu.Unlock()
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		http.ServeContent(w, r, "chip.zip", time.Time{}, bytes.NewReader(data))
	}))
	defer srv.Close()
	var once sync.Once
	letGo := func() { once.Do(func() { close(release) }) }
	defer letGo()

	cfg := testConfig(t)
	cfg.MaxPiece = 256 << 10
	m := newTestManager(t, cfg)
	sub := m.Subscribe()
	defer sub.Close()
	j, err := m.Add(JobSpec{Name: "order", Connections: 4, Files: []FileSpec{{URL: srv.URL, Name: "chip.zip", SHA256: hex.EncodeToString(sum[:])}}})
	if err != nil {
		t.Fatal(err)
	}
	hashed := func() (hashed, held int64) {
		m.mu.Lock()
		defer m.mu.Unlock()
		mu.Lock()
		defer mu.Unlock()
		if x := m.byID[j.ID].files[0].xfer; x != nil {
			hashed = x.hashed.Load()
		}
		return hashed, heldFrom
	}
	waitFor(t, func() bool {
		h, held := hashed()
		return held < int64(len(data)) && h == held
	})
	if h, held := hashed(); held < int64(len(data))/2 {
		t.Fatalf("the ranges held back start at %d (hashed %d): the plan did not go out in order", held, h)
	}
	letGo()
	if j = waitSettled(t, m, sub, j.ID); j.State != JobCompleted {
		t.Fatalf("job ended %s: %+v", j.State, j.Files[0].Error)
	}
	assertFile(t, j.Files[0].Path, data)
}
