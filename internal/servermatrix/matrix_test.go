package servermatrix

import (
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"testing"
)

// TestServerMatrix downloads the order from every server of the matrix
// with "dlhelper get" and through "dlhelper serve", and checks each file
// on disk and what it was verified against (see the package doc).
func TestServerMatrix(t *testing.T) {
	t.Parallel()
	for _, r := range rows() {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			order := theOrder()
			urls := r.serve(t, order)
			checkETags(t, r, order, urls)
			t.Run("get given URLs only", func(t *testing.T) {
				t.Parallel()
				dir, stdout := runGet(t, urls)
				for _, o := range order {
					checkFile(t, filepath.Join(dir, o.key), o)
				}
				checkedLine(t, stdout, order, r.verifiedBy)
			})
			t.Run("the bridge, with the portal's SHA-256s and with URLs only", func(t *testing.T) {
				t.Parallel()
				s := startServe(t)
				ws := s.events(t)
				withSums := s.add(t, portalJob("with-sha256", order, urls, true))
				urlsOnly := s.add(t, portalJob("urls-only", order, urls, false))
				ended := waitEnded(t, ws, withSums, urlsOnly)
				checkJob(t, ended[withSums], order, func(object) string { return "sha256" })
				checkJob(t, ended[urlsOnly], order, r.verifiedBy)
			})
		})
	}
}

var (
	hex32     = regexp.MustCompile(`^[0-9a-f]{32}$`)
	multipart = regexp.MustCompile(`^[0-9a-f]{32}-[0-9]+$`)
)

// checkETags checks that each object's ETag is of the kind the row claims
// (the case it stands for), and logs what the server sends that matters
// to verification.
func checkETags(t *testing.T, r row, order []object, urls []string) {
	t.Helper()
	for i, o := range order {
		req, _ := http.NewRequest(http.MethodGet, urls[i], nil)
		if len(o.data) > 0 {
			req.Header.Set("Range", "bytes=0-0")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", o.key, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		etag := resp.Header.Get("ETag")
		got := kindOf(o, etag)
		t.Logf("%s (%d bytes): %d, ETag %s (%s), SSE %q %q, Content-Range %q", o.key, len(o.data), resp.StatusCode, etag, got,
			resp.Header.Get("X-Amz-Server-Side-Encryption"), resp.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"),
			resp.Header.Get("Content-Range"))
		if want := r.etag(o); got != want {
			t.Errorf("%s: the ETag %s is %s, want %s for this row", o.key, etag, got, want)
		}
	}
}

func kindOf(o object, etag string) etagKind {
	bare := etag
	if len(bare) >= 2 && bare[0] == '"' && bare[len(bare)-1] == '"' {
		bare = bare[1 : len(bare)-1]
	}
	switch {
	case o.etagIsMD5(bare):
		return etagMD5
	case hex32.MatchString(bare):
		return etagFalseMD5
	case multipart.MatchString(bare):
		return etagMultipart
	}
	return etagOther
}
