package main

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// dlocPerChip is how many DLOC files one chip archive holds.
const dlocPerChip = 24

// zipOverhead bounds the zip's own records (headers, directory) for 24
// stored entries with our names; minChipSize leaves each file a few bytes.
const (
	zipOverhead = 8 << 10
	minChipSize = zipOverhead + dlocPerChip*16
)

// layoutVersion changes whenever the archives' layout changes, so objects
// left by an older demo are rebuilt rather than reused.
const layoutVersion = "1"

// item is one archive of the order as the page lists it.
type item struct {
	Name   string `json:"name"` // the file name on the customer's disk
	Key    string `json:"-"`    // the object key in the bucket
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// store is the portal's side of MinIO: the bucket, the order's objects and
// the signing of URLs.
type store struct {
	o      options
	client *minio.Client
}

func newStore(o options) (*store, error) {
	c, err := minio.New(o.MinIO, &minio.Options{Creds: credentials.NewStaticV4(o.AccessKey, o.SecretKey, "")})
	if err != nil {
		return nil, fmt.Errorf("minio client for %s: %w", o.MinIO, err)
	}
	return &store{o: o, client: c}, nil
}

// prepare makes the bucket and the order's archives, reusing archives an
// earlier run with the same seed and size left in the bucket.
func (s *store) prepare(ctx context.Context, log *slog.Logger) ([]item, error) {
	if err := s.makeBucket(ctx); err != nil {
		return nil, err
	}
	items := make([]item, s.o.Chips)
	for i := range items {
		it, err := s.prepareChip(ctx, i+1, log)
		if err != nil {
			return nil, err
		}
		items[i] = it
	}
	return items, nil
}

func (s *store) makeBucket(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.o.Bucket)
	if err != nil {
		return fmt.Errorf("reach MinIO at %s: %w (is it running? check --minio and the keys)", s.o.MinIO, err)
	}
	if ok {
		return nil
	}
	if err := s.client.MakeBucket(ctx, s.o.Bucket, minio.MakeBucketOptions{}); err != nil {
		return fmt.Errorf("make bucket %s: %w", s.o.Bucket, err)
	}
	return nil
}

func (s *store) prepareChip(ctx context.Context, n int, log *slog.Logger) (item, error) {
	name := fmt.Sprintf("chip-%03d.zip", n)
	it := item{Name: name, Key: s.o.Order + "/" + name}
	seed := s.o.Seed*1_000_003 + int64(n)
	stamp := fmt.Sprintf("v%s-seed%d-size%d", layoutVersion, seed, s.o.ChipSize)
	if st, err := s.client.StatObject(ctx, s.o.Bucket, it.Key, minio.StatObjectOptions{}); err == nil &&
		st.UserMetadata["Layout"] == stamp && len(st.UserMetadata["Sha256"]) == 64 {
		it.Size, it.SHA256 = st.Size, st.UserMetadata["Sha256"]
		return it, nil
	}
	path, sum, size, err := writeChip(seed, s.o.ChipSize, fmt.Sprintf("chip-%03d", n))
	if err != nil {
		return it, err
	}
	defer os.Remove(path)
	_, err = s.client.FPutObject(ctx, s.o.Bucket, it.Key, path, minio.PutObjectOptions{
		ContentType:  "application/zip",
		UserMetadata: map[string]string{"Layout": stamp, "Sha256": sum},
	})
	if err != nil {
		return it, fmt.Errorf("upload %s: %w", it.Key, err)
	}
	log.Info("uploaded", "object", it.Key, "bytes", size)
	it.Size, it.SHA256 = size, sum
	return it, nil
}

// writeChip writes a chip archive to a temporary file: 24 stored (not
// compressed: the content is random) .dloc files whose sizes add up to
// about size. It returns the file, its SHA-256 and its size.
func writeChip(seed, size int64, chip string) (path, sum string, n int64, err error) {
	f, err := os.CreateTemp("", "portal-demo-*.zip")
	if err != nil {
		return "", "", 0, fmt.Errorf("write %s: %w", chip, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	if err = writeZip(cw, seed, size, chip); err != nil {
		return "", "", 0, fmt.Errorf("write %s: %w", chip, err)
	}
	if err = f.Close(); err != nil {
		return "", "", 0, fmt.Errorf("write %s: %w", chip, err)
	}
	return f.Name(), hex.EncodeToString(h.Sum(nil)), cw.n, nil
}

func writeZip(w io.Writer, seed, size int64, chip string) error {
	zw := zip.NewWriter(w)
	rng := chacha(seed)
	per := (size - zipOverhead) / dlocPerChip
	when := time.Date(2026, 1, 17, 9, 30, 0, 0, time.UTC)
	for i := range dlocPerChip {
		hdr := &zip.FileHeader{Name: chip + fmt.Sprintf("/die-%02d.dloc", i+1), Method: zip.Store, Modified: when}
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if _, err := io.CopyN(fw, rng, per); err != nil {
			return err
		}
	}
	return zw.Close()
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// chacha seeds ChaCha8 from seed, so the same seed gives the same bytes on
// every platform and Go release.
func chacha(seed int64) *rand.ChaCha8 {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(key)
}

// sign returns a presigned GET URL for the item, valid for the expiry.
// The response is named after the file, for the browser fallback.
func (s *store) sign(ctx context.Context, it item) (string, error) {
	q := url.Values{}
	q.Set("response-content-disposition", `attachment; filename="`+it.Name+`"`)
	u, err := s.client.PresignedGetObject(ctx, s.o.Bucket, it.Key, s.o.Expiry, q)
	if err != nil {
		return "", fmt.Errorf("sign %s: %w", it.Key, err)
	}
	return u.String(), nil
}
