package testenv

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// StartMinIO starts a server for the test and stops it at the end. A
// server that cannot be installed or started fails the test.
func StartMinIO(t testing.TB) *MinIO {
	t.Helper()
	m, err := Start(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("MinIO for the test: %v", err)
	}
	t.Cleanup(func() { m.Stop() })
	return m
}

// MakeBucket creates a bucket.
func (m *MinIO) MakeBucket(t testing.TB, name string) {
	t.Helper()
	if err := m.Client().MakeBucket(context.Background(), name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket %s: %v", name, err)
	}
}

// Put uploads data and returns the object's ETag.
func (m *MinIO) Put(t testing.TB, bucket, key string, data []byte) string {
	t.Helper()
	return m.PutReader(t, bucket, key, bytes.NewReader(data), int64(len(data)))
}

// PutReader uploads size bytes from r (large objects go multipart).
func (m *MinIO) PutReader(t testing.TB, bucket, key string, r io.Reader, size int64) string {
	t.Helper()
	info, err := m.Client().PutObject(context.Background(), bucket, key, r, size, minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return info.ETag
}

// Presign returns a presigned GET URL valid for expiry.
func (m *MinIO) Presign(t testing.TB, bucket, key string, expiry time.Duration) string {
	t.Helper()
	u, err := m.Client().PresignedGetObject(context.Background(), bucket, key, expiry, nil)
	if err != nil {
		t.Fatalf("presign %s/%s: %v", bucket, key, err)
	}
	return u.String()
}

// RandomData returns n deterministic pseudo-random bytes for seed.
func RandomData(seed int64, n int) []byte {
	b := make([]byte, n)
	io.ReadFull(RandomReader(seed, int64(n)), b)
	return b
}

// RandomReader streams n deterministic pseudo-random bytes for seed.
func RandomReader(seed int64, n int64) io.Reader {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	return io.LimitReader(rand.NewChaCha8(key), n)
}

// SHA256Hex is the hex SHA-256 of b.
func SHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// FileSHA256 is the hex SHA-256 of a file's content.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
