package downloader

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"dlhelper/internal/testenv"
)

// TestMinIO downloads real objects through real presigned URLs: one of
// several hundred MB (a multipart upload, so its ETag is not an MD5) and an
// order of 200 small ones (single-part, so their ETags are verified as MD5).
func TestMinIO(t *testing.T) {
	t.Parallel()
	mc := testenv.StartMinIO(t)
	mc.MakeBucket(t, "orders")
	const bigSize = 300 << 20
	mc.PutReader(t, "orders", "big/chip-000.zip", testenv.RandomReader(100, bigSize), bigSize)
	bigSum := sha256Reader(t, testenv.RandomReader(100, bigSize))

	var small []FileSpec
	smallSums := map[string]string{}
	for i := range 200 {
		data := testenv.RandomData(int64(i), 10<<10+i*97)
		key := fmt.Sprintf("order-7/chip-%03d.zip", i)
		mc.Put(t, "orders", key, data)
		small = append(small, FileSpec{URL: mc.Presign(t, "orders", key, time.Hour), Name: fmt.Sprintf("chip-%03d.zip", i)})
		smallSums[small[i].Name] = testenv.SHA256Hex(data)
	}

	cfg := testConfig(t)
	cfg.MinPiece = 1 << 20
	cfg.StallTimeout = 30 * time.Second
	m := newTestManager(t, cfg)

	t.Run("a large object", func(t *testing.T) {
		j := runJob(t, m, JobSpec{Name: "big", Folder: "big", Files: []FileSpec{
			{URL: mc.Presign(t, "orders", "big/chip-000.zip", time.Hour), Name: "chip-000.zip", Size: bigSize},
		}})
		if j.State != JobCompleted {
			t.Fatalf("job ended %s: %+v", j.State, j.Files[0].Error)
		}
		if got := fileSHA256(t, j.Files[0].Path); got != bigSum {
			t.Errorf("sha256 %s, want %s", got, bigSum)
		}
	})
	t.Run("an order of 200 files", func(t *testing.T) {
		j := runJob(t, m, JobSpec{Name: "order 7", Folder: "order-7", Files: small})
		if j.State != JobCompleted {
			t.Fatalf("job ended %s", j.State)
		}
		for _, f := range j.Files {
			if got := fileSHA256(t, f.Path); got != smallSums[f.Name] {
				t.Errorf("%s: sha256 %s, want %s", f.Name, got, smallSums[f.Name])
			}
			assertNoPart(t, f.Path)
		}
	})
}

func sha256Reader(t *testing.T, r io.Reader) string {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func fileSHA256(t *testing.T, path string) string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return sha256Reader(t, f)
}
