package testenv

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPresignedRange checks the server facts the downloader relies on: a
// presigned GET honours Range with a 206, a Content-Range naming the
// total size, and the ETag the upload returned.
func TestPresignedRange(t *testing.T) {
	t.Parallel()
	mc := StartMinIO(t)
	mc.MakeBucket(t, "orders")
	data := RandomData(1, 100<<10)
	etag := mc.Put(t, "orders", "chip-001.zip", data)

	resp := get(t, mc.Presign(t, "orders", "chip-001.zip", time.Hour), "bytes=0-0")
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusPartialContent {
		t.Fatalf("status %d, want 206; body %s", resp.StatusCode, body)
	}
	if got, want := resp.Header.Get("Content-Range"), fmt.Sprintf("bytes 0-0/%d", len(data)); got != want {
		t.Errorf("Content-Range %q, want %q", got, want)
	}
	if got := resp.Header.Get("ETag"); got != strconv.Quote(etag) {
		t.Errorf("ETag %s, want %q", got, etag)
	}
	if !bytes.Equal(body, data[:1]) {
		t.Errorf("body %x, want %x", body, data[:1])
	}
}

// TestPresignedExpiry checks that an expired presigned URL is a 403 with
// an S3 error body, which the downloader must report, not retry.
func TestPresignedExpiry(t *testing.T) {
	t.Parallel()
	mc := StartMinIO(t)
	mc.MakeBucket(t, "orders")
	mc.Put(t, "orders", "chip-001.zip", RandomData(2, 1000))
	url := mc.Presign(t, "orders", "chip-001.zip", time.Second)
	time.Sleep(2 * time.Second) // past the expiry; a server fact, not a race

	resp := get(t, url, "")
	body := string(readAll(t, resp))
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 403; body %s", resp.StatusCode, body)
	}
	for _, want := range []string{"<Error>", "<Code>AccessDenied</Code>", "expired"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

// TestStreamedUpload checks PutReader, PutFile and that RandomReader
// streams exactly RandomData's bytes.
func TestStreamedUpload(t *testing.T) {
	t.Parallel()
	const size = 20 << 20 // above minio-go's 16 MiB part size: multipart
	mc := StartMinIO(t)
	mc.MakeBucket(t, "orders")
	data := RandomData(3, size)
	streamed, err := io.ReadAll(RandomReader(3, size))
	if err != nil || !bytes.Equal(streamed, data) {
		t.Fatalf("RandomReader differs from RandomData (err %v)", err)
	}
	mc.PutReader(t, "orders", "big.zip", RandomReader(3, size), size)
	path := filepath.Join(t.TempDir(), "big.zip")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	mc.PutFile(t, "orders", "file.zip", path)
	for _, key := range []string{"big.zip", "file.zip"} {
		got := readAll(t, get(t, mc.Presign(t, "orders", key, time.Hour), ""))
		if SHA256Hex(got) != SHA256Hex(data) {
			t.Errorf("%s: content differs after upload", key)
		}
	}
	if sum, err := FileSHA256(path); err != nil || sum != SHA256Hex(data) {
		t.Errorf("FileSHA256 = %s, %v; want %s", sum, err, SHA256Hex(data))
	}
}

// TestKillRestart checks that a crashed server comes back on the same
// endpoint with its data.
func TestKillRestart(t *testing.T) {
	t.Parallel()
	mc := StartMinIO(t)
	mc.MakeBucket(t, "orders")
	etag := mc.Put(t, "orders", "chip-001.zip", RandomData(4, 1000))
	url := mc.Presign(t, "orders", "chip-001.zip", time.Hour)
	mc.Kill()
	if _, err := http.Get(url); err == nil {
		t.Fatal("GET succeeded against a killed server")
	}
	if err := mc.Restart(t.Context()); err != nil {
		t.Fatalf("restart: %v\n%s", err, mc.Output())
	}
	resp := get(t, url, "")
	readAll(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") != strconv.Quote(etag) {
		t.Fatalf("after restart: status %d, ETag %s, want 200 and %q", resp.StatusCode, resp.Header.Get("ETag"), etag)
	}
}

// TestStartStop checks the tool variant shuts the server down.
func TestStartStop(t *testing.T) {
	t.Parallel()
	minioForTest(t)
	m, err := Start(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(m.URL() + "/minio/health/live"); err == nil {
		t.Fatal("server still answers after Stop")
	}
	if err := m.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func get(t *testing.T, url, rng string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp
}

func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return b
}
