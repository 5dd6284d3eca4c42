package testenv

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// TestVersityGW checks the facts the server matrix builds on: minio-go
// uploads to versitygw and presigns GET URLs it honours with a 206 for a
// range, a single PUT's ETag is the content's MD5 and a multipart one's
// is not.
func TestVersityGW(t *testing.T) {
	t.Parallel()
	g := StartVersityGW(t)
	ctx := context.Background()
	c := g.Client()
	if err := c.MakeBucket(ctx, "orders", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	small, big := RandomData(1, 100<<10), RandomData(2, 11<<20)
	for _, tc := range []struct {
		key  string
		data []byte
		part uint64
		etag *regexp.Regexp
	}{
		{"chip 001.zip", small, 0, regexp.MustCompile("^" + md5Hex(small) + "$")},
		{"parts.zip", big, 5 << 20, regexp.MustCompile(`^[0-9a-f]{32}-3$`)},
	} {
		info, err := c.PutObject(ctx, "orders", tc.key, bytes.NewReader(tc.data), int64(len(tc.data)), minio.PutObjectOptions{PartSize: tc.part})
		if err != nil {
			t.Fatalf("put %s: %v", tc.key, err)
		}
		u, err := c.PresignedGetObject(ctx, "orders", tc.key, time.Hour, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp := get(t, u.String(), "bytes=10-19")
		body := readAll(t, resp)
		etag := strings.Trim(resp.Header.Get("ETag"), `"`)
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, tc.data[10:20]) {
			t.Errorf("%s: status %d, body %x; want 206 and %x", tc.key, resp.StatusCode, body, tc.data[10:20])
		}
		if want := fmt.Sprintf("bytes 10-19/%d", len(tc.data)); resp.Header.Get("Content-Range") != want {
			t.Errorf("%s: Content-Range %q, want %q", tc.key, resp.Header.Get("Content-Range"), want)
		}
		if !tc.etag.MatchString(etag) || etag != strings.Trim(info.ETag, `"`) {
			t.Errorf("%s: ETag %s (upload said %s), want %s", tc.key, etag, info.ETag, tc.etag)
		}
	}
}

// TestNginx checks nginx serves the folder with ranges, under escaped
// names, with an ETag of mtime and size that If-Match pins.
func TestNginx(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	data := RandomData(3, 3000)
	const name = "芯片 1+1=100%.bin"
	if err := os.WriteFile(filepath.Join(root, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	n := StartNginx(t, root)
	u := n.URL + "/" + url.PathEscape(name)
	resp := get(t, u, "bytes=10-19")
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[10:20]) {
		t.Fatalf("status %d, body %x; want 206 and %x", resp.StatusCode, body, data[10:20])
	}
	etag := resp.Header.Get("ETag")
	if !regexp.MustCompile(`^"[0-9a-f]+-bb8"$`).MatchString(etag) {
		t.Errorf("ETag %s, want \"MTIME-bb8\" (hex mtime and size)", etag)
	}
	for _, tc := range []struct {
		ifMatch string
		want    int
	}{{etag, http.StatusPartialContent}, {`"5f000000-bb8"`, http.StatusPreconditionFailed}} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Range", "bytes=0-0")
		req.Header.Set("If-Match", tc.ifMatch)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		if resp.StatusCode != tc.want {
			t.Errorf("If-Match %s: status %d, want %d", tc.ifMatch, resp.StatusCode, tc.want)
		}
	}
}

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}
