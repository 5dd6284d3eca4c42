package servermatrix

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"dlhelper/internal/testenv"
)

// TestMinIOFacts checks, against the pinned MinIO, the answers DESIGN.md
// says the engine must cope with. A MinIO that changes one fails here,
// naming the fact, before it confuses an engine test.
func TestMinIOFacts(t *testing.T) {
	t.Parallel()
	mc := testenv.StartMinIO(t)
	mc.MakeBucket(t, bucket)
	data := testenv.RandomData(7, 1000)
	etag := mc.Put(t, bucket, "chip.bin", data)
	mc.Put(t, bucket, "empty.bin", nil)
	u := mc.Presign(t, bucket, "chip.bin", time.Hour)
	empty := mc.Presign(t, bucket, "empty.bin", time.Hour)

	t.Run("If-Range is ignored: a stale validator still gets the range", func(t *testing.T) {
		resp, body := fetch(t, u, "Range", "bytes=0-9", "If-Range", `"0123456789abcdef0123456789abcdef"`)
		// RFC 9110 asks for a 200 with the whole object here.
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[:10]) {
			t.Errorf("status %d, %d bytes; want 206 with the 10 bytes asked for", resp.StatusCode, len(body))
		}
		if resp.Header.Get("ETag") != `"`+etag+`"` {
			t.Errorf("ETag %s, want %q", resp.Header.Get("ETag"), etag)
		}
	})
	t.Run("a multi-range or malformed Range gets 200 and the whole object", func(t *testing.T) {
		for _, rng := range []string{"bytes=0-1,5-9", "bytes=x-y"} {
			resp, body := fetch(t, u, "Range", rng)
			if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
				t.Errorf("Range %s: status %d, %d bytes; want 200 with all %d", rng, resp.StatusCode, len(body), len(data))
			}
		}
	})
	t.Run("416 InvalidRange carries no Content-Range, its body the size", func(t *testing.T) {
		for _, tc := range []struct {
			url, rng string
			size     int
		}{{u, "bytes=5000-", len(data)}, {empty, "bytes=0-0", 0}} {
			resp, body := fetch(t, tc.url, "Range", tc.rng)
			if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
				t.Errorf("Range %s: status %d, want 416", tc.rng, resp.StatusCode)
			}
			if cr, ok := resp.Header["Content-Range"]; ok {
				t.Errorf("Range %s: Content-Range %q, want none", tc.rng, cr)
			}
			for _, want := range []string{"<Code>InvalidRange</Code>", fmt.Sprintf("<ActualObjectSize>%d</ActualObjectSize>", tc.size)} {
				if !strings.Contains(string(body), want) {
					t.Errorf("Range %s: body lacks %s:\n%s", tc.rng, want, body)
				}
			}
		}
	})
}

// TestMinIOIsLiveBeforeItIsReady checks that /minio/health/live answers
// 200 while the object layer is not ready: /minio/health/cluster answers
// 503 and a presigned GET gets 503 XMinioServerNotInitialized with a
// Retry-After. One node of a two-node MinIO whose peer never starts
// holds that state for as long as the test needs, where a single server
// passes through it in a moment no test could catch reliably.
func TestMinIOIsLiveBeforeItIsReady(t *testing.T) {
	t.Parallel()
	bin := testenv.MinIOForTest(t)
	dir := t.TempDir()
	nodes := []string{freeAddr(t), freeAddr(t)}
	var drives []string
	for i, n := range nodes {
		for d := range 2 {
			drives = append(drives, fmt.Sprintf("http://%s%s/n%d/d%d", n, dir, i, d))
		}
	}
	startNode(t, bin, nodes[0], drives)
	base := "http://" + nodes[0]
	live := waitStatus(t, base+"/minio/health/live", http.StatusOK)
	t.Logf("health/live: 200, X-Minio-Server-Status %q", live.Get("X-Minio-Server-Status"))

	if resp, _ := fetch(t, base+"/minio/health/cluster"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("health/cluster: %d while the peer is down, want 503", resp.StatusCode)
	}
	c, err := minio.New(nodes[0], &minio.Options{Creds: credentials.NewStaticV4(testenv.AccessKey, testenv.SecretKey, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := c.PresignedGetObject(context.Background(), bucket, "chip.bin", time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := fetch(t, u.String(), "Range", "bytes=0-0")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "XMinioServerNotInitialized") || resp.Header.Get("Retry-After") == "" {
		t.Errorf("presigned GET before ready: %d, Retry-After %q, body %s; want 503 XMinioServerNotInitialized with a Retry-After",
			resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}

// startNode runs one node of a distributed MinIO until the test ends.
func startNode(t *testing.T, bin, addr string, drives []string) {
	t.Helper()
	args := append([]string{"server", "--address", addr, "--console-address", freeAddr(t), "--quiet"}, drives...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+testenv.AccessKey, "MINIO_ROOT_PASSWORD="+testenv.SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=on",
		// In a container MinIO waits for loopback endpoints to resolve to
		// another address, forever; this names the node's own endpoint.
		"_MINIO_SERVER_LOCAL="+addr)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = testenv.DieWithTest()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("minio %s said:\n%s", addr, out.String())
		}
	})
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitStatus polls url until it answers want and returns that answer's
// header. A server's readiness has no channel to wait on.
func waitStatus(t *testing.T, url string, want int) http.Header {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return resp.Header
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered %d (last: %v)", url, want, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fetch GETs url with header name/value pairs and returns the answer
// with its body read.
func fetch(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}
