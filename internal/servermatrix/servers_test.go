package servermatrix

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/encrypt"

	"dlhelper/internal/testenv"
)

// row is one server of the matrix.
type row struct {
	name string
	// serve starts the server for the test, puts the order on it and
	// returns each object's download URL, in order.
	serve func(t *testing.T, order []object) []string
	// etag is what the server's ETag for o is; the row checks it, so a
	// row proves the case it claims (an SSE-KMS ETag that is not the MD5).
	etag func(o object) etagKind
}

// etagKind is what an ETag says about the content.
type etagKind string

const (
	etagMD5       etagKind = "the content's MD5"
	etagFalseMD5  etagKind = "32 hex digits, not the content's MD5"
	etagMultipart etagKind = "an MD5 of part MD5s with -N"
	etagOther     etagKind = "an identifier of another form"
)

// verifiedBy is what a file given by URL alone must say it was verified
// against: its ETag where that is the content's MD5, else its size. A
// false MD5 with no header to tell (the last row) ends at "size" too,
// once a second fetch shows the bytes were right and the ETag wrong.
func (r row) verifiedBy(o object) string {
	if r.etag(o) == etagMD5 {
		return "etag-md5"
	}
	return "size"
}

func rows() []row {
	md5UnlessParts := func(o object) etagKind {
		if o.parts {
			return etagMultipart
		}
		return etagMD5
	}
	return []row{
		{"MinIO plain", minioRow(minioSetup{}), md5UnlessParts},
		// SSE-S3 ETags stay the content's MD5, as AWS documents for SSE-S3.
		{"MinIO SSE-S3", minioRow(minioSetup{env: kmsEnv, sse: encrypt.NewSSE}), md5UnlessParts},
		{"MinIO SSE-KMS", minioRow(minioSetup{env: kmsEnv, sse: sseKMS}), func(o object) etagKind {
			if o.parts {
				return etagMultipart
			}
			return etagFalseMD5
		}},
		{"MinIO compressed", minioRow(minioSetup{env: compressionEnv, compressed: true}), md5UnlessParts},
		{"versitygw", versityGWRow, md5UnlessParts},
		{"nginx", nginxRow, func(object) etagKind { return etagOther }},
		{"gateway with a false MD5 ETag", falseMD5Row, func(object) etagKind { return etagFalseMD5 }},
	}
}

const bucket = "orders"

// kmsEnv gives MinIO a static KMS key, "dl-key", which both SSE-S3 and
// SSE-KMS need. A fixed test key: nothing it protects outlives the test.
var kmsEnv = []string{"MINIO_KMS_SECRET_KEY=dl-key:" + base64.StdEncoding.EncodeToString(testenv.RandomData(15, 32))}

// compressionEnv turns MinIO's compression on for the order's extensions
// (MinIO picks what to compress by name or content type).
var compressionEnv = []string{"MINIO_COMPRESSION_ENABLE=on", "MINIO_COMPRESSION_EXTENSIONS=.bin,.txt"}

func sseKMS() encrypt.ServerSide {
	sse, err := encrypt.NewSSEKMS("dl-key", nil)
	if err != nil {
		panic(err) // only for a malformed context, which nil is not
	}
	return sse
}

// minioSetup is how a MinIO row runs its server and uploads.
type minioSetup struct {
	env        []string
	sse        func() encrypt.ServerSide // nil: no encryption
	compressed bool                      // check the text is stored compressed
}

func minioRow(s minioSetup) func(*testing.T, []object) []string {
	return func(t *testing.T, order []object) []string {
		mc := testenv.StartMinIOEnv(t, s.env...)
		var sse encrypt.ServerSide
		if s.sse != nil {
			sse = s.sse()
		}
		urls := putS3(t, mc.Client(), order, sse)
		if s.compressed {
			checkCompressed(t, mc, order)
		}
		return urls
	}
}

// checkCompressed makes sure the compression row compresses: the text
// object takes well under its size in MinIO's data folder.
func checkCompressed(t *testing.T, mc *testenv.MinIO, order []object) {
	t.Helper()
	for _, o := range order {
		if filepath.Ext(o.key) != ".txt" {
			continue
		}
		var stored int64
		filepath.Walk(filepath.Join(mc.Dir(), bucket, o.key), func(_ string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				stored += fi.Size()
			}
			return nil
		})
		if stored == 0 || stored > int64(len(o.data))/2 {
			t.Fatalf("%s: MinIO stores %d bytes of %d; compression is not on", o.key, stored, len(o.data))
		}
	}
}

func versityGWRow(t *testing.T, order []object) []string {
	return putS3(t, testenv.StartVersityGW(t).Client(), order, nil)
}

// putS3 uploads the order, the parts object in parts, and presigns a GET
// URL for each object.
func putS3(t *testing.T, c *minio.Client, order []object, sse encrypt.ServerSide) []string {
	t.Helper()
	ctx := context.Background()
	if err := c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket: %v", err)
	}
	var urls []string
	for _, o := range order {
		opts := minio.PutObjectOptions{ServerSideEncryption: sse, ContentType: "application/octet-stream"}
		if o.parts {
			opts.PartSize = partSize
		}
		if _, err := c.PutObject(ctx, bucket, o.key, bytes.NewReader(o.data), int64(len(o.data)), opts); err != nil {
			t.Fatalf("put %s: %v", o.key, err)
		}
		u, err := c.PresignedGetObject(ctx, bucket, o.key, time.Hour, nil)
		if err != nil {
			t.Fatalf("presign %s: %v", o.key, err)
		}
		urls = append(urls, u.String())
	}
	return urls
}

// nginxRow serves the order as files from a folder.
func nginxRow(t *testing.T, order []object) []string {
	root := t.TempDir()
	for _, o := range order {
		if err := os.WriteFile(filepath.Join(root, o.key), o.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n := testenv.StartNginx(t, root)
	var urls []string
	for _, o := range order {
		urls = append(urls, n.URL+"/"+url.PathEscape(o.key))
	}
	return urls
}

// falseMD5Row is a gateway or CDN that answers ranges correctly with a
// 32-hex ETag that is not the content's MD5 (an MD5 of something else,
// as of an encrypted or re-packed copy) and no SSE header: nothing in
// the answer tells the engine that this ETag is not the MD5.
func falseMD5Row(t *testing.T, order []object) []string {
	byKey := map[string]object{}
	for _, o := range order {
		byKey[o.key] = o
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o, ok := byKey[r.URL.Path[1:]]
		if !ok {
			http.NotFound(w, r)
			return
		}
		sum := md5.Sum(append([]byte("another copy of "), o.data...))
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
		w.Header().Set("Content-Type", "application/octet-stream")
		// ServeContent answers Range and If-Match against the ETag above.
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(o.data))
	}))
	t.Cleanup(srv.Close)
	var urls []string
	for _, o := range order {
		urls = append(urls, srv.URL+"/"+url.PathEscape(o.key))
	}
	return urls
}
