package testenv

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// StartMinIO starts a server for the test, with its data in t.TempDir(),
// and kills it when the test ends. A server that is missing in CI, cannot
// be installed or does not start fails the test; it never skips.
func StartMinIO(t testing.TB) *MinIO {
	t.Helper()
	return StartMinIOEnv(t)
}

// StartMinIOEnv is StartMinIO with extra server environment ("NAME=value"),
// for a server with a KMS key or compression on.
func StartMinIOEnv(t testing.TB, env ...string) *MinIO {
	t.Helper()
	bin := minioForTest(t)
	m, err := StartBinaryEnv(context.Background(), bin, t.TempDir(), env)
	if err != nil {
		if se := (*StartError)(nil); errors.As(err, &se) {
			t.Logf("minio output:\n%s", se.Output)
		}
		t.Fatalf("MinIO for the test did not start: %v", err)
	}
	// Registered after TempDir's cleanup, so it runs first: the folder is
	// removed only once the server no longer writes to it.
	t.Cleanup(func() {
		m.Kill()
		if t.Failed() {
			t.Logf("minio output:\n%s", m.Output())
		}
	})
	return m
}

// MinIOForTest is the pinned binary for a test that runs MinIO its own
// way (several nodes, odd flags), found or installed as StartMinIO does.
func MinIOForTest(t testing.TB) string {
	t.Helper()
	return minioForTest(t)
}

// minioForTest finds the pinned binary. In CI it must have been installed
// by the setup step; elsewhere the first test run installs it.
func minioForTest(t testing.TB) string {
	t.Helper()
	if bin, ok := InstalledMinIO(); ok {
		return bin
	}
	if inCI() {
		t.Fatalf("MinIO %s is not installed in %s; CI must run `make setup` (go run ./internal/testenv/cmd/install-minio) before the tests", MinIOVersion, ToolsDir())
	}
	t.Logf("installing MinIO %s into %s (a few minutes, once)", MinIOVersion, ToolsDir())
	bin, err := MinIOBinary()
	if err != nil {
		t.Fatalf("MinIO for the test could not be installed: %v", err)
	}
	return bin
}

// inCI reports a CI run, where a missing tool is a setup bug to fail on.
func inCI() bool { return os.Getenv("CI") == "true" }

// MakeBucket creates a bucket.
func (m *MinIO) MakeBucket(t testing.TB, name string) {
	t.Helper()
	if err := m.client.MakeBucket(context.Background(), name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket %s: %v", name, err)
	}
}

// Put uploads data and returns the object's ETag (without quotes).
func (m *MinIO) Put(t testing.TB, bucket, key string, data []byte) string {
	t.Helper()
	return m.PutReader(t, bucket, key, bytes.NewReader(data), int64(len(data)))
}

// PutReader streams size bytes from r and returns the ETag. Large objects
// go up in parts, so they are never held in memory whole; their ETag is
// then a multipart one, not an MD5.
func (m *MinIO) PutReader(t testing.TB, bucket, key string, r io.Reader, size int64) string {
	t.Helper()
	info, err := m.client.PutObject(context.Background(), bucket, key, r, size, minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return info.ETag
}

// PutFile uploads the file at path and returns the ETag.
func (m *MinIO) PutFile(t testing.TB, bucket, key, path string) string {
	t.Helper()
	info, err := m.client.FPutObject(context.Background(), bucket, key, path, minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("put %s/%s from %s: %v", bucket, key, path, err)
	}
	return info.ETag
}

// Presign returns a presigned GET URL valid for expiry.
func (m *MinIO) Presign(t testing.TB, bucket, key string, expiry time.Duration) string {
	t.Helper()
	u, err := m.client.PresignedGetObject(context.Background(), bucket, key, expiry, nil)
	if err != nil {
		t.Fatalf("presign %s/%s: %v", bucket, key, err)
	}
	return u.String()
}
