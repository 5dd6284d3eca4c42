package downloader

import (
	"crypto/md5"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

func TestETagRuledOutByHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		headers map[string]string
		want    bool
	}{
		{"a plain answer", nil, false},
		{"SSE-S3 (AES256) keeps an MD5 ETag on a single PUT", map[string]string{"X-Amz-Server-Side-Encryption": "AES256"}, false},
		{"SSE-KMS", map[string]string{"X-Amz-Server-Side-Encryption": "aws:kms"}, true},
		{"SSE-KMS, upper case", map[string]string{"X-Amz-Server-Side-Encryption": "AWS:KMS"}, true},
		{"dual-layer SSE-KMS", map[string]string{"X-Amz-Server-Side-Encryption": "aws:kms:dsse"}, true},
		{"SSE-C", map[string]string{"X-Amz-Server-Side-Encryption-Customer-Algorithm": "AES256"}, true},
	}
	for _, tt := range tests {
		h := http.Header{}
		for k, v := range tt.headers {
			h.Set(k, v)
		}
		if got := etagRuledOut(h); got != tt.want {
			t.Errorf("%s: etagRuledOut(%v) = %v, want %v", tt.name, tt.headers, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"60", time.Minute},
		{" 2 ", 2 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"Sat, 05 Dec 2026 10:00:30 GMT", 30 * time.Second},
		{"Sat, 05 Dec 2026 09:59:00 GMT", 0},
		{"999999999999", 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.header, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestRetryWaitHonoursRetryAfterUpToItsCap(t *testing.T) {
	t.Parallel()
	base, most := 10*time.Millisecond, 30*time.Second
	if got := retryWait(&HTTPError{Status: 503, RetryAfter: 5 * time.Second}, 1, base, most); got != 5*time.Second {
		t.Errorf("Retry-After 5s: wait %v, want 5s", got)
	}
	if got := retryWait(&HTTPError{Status: 503, RetryAfter: time.Minute}, 1, base, most); got != most {
		t.Errorf("Retry-After 60s: wait %v, want the cap %v", got, most)
	}
	if got := retryWait(&HTTPError{Status: 503}, 1, base, most); got > base {
		t.Errorf("no Retry-After: wait %v, want the backoff (at most %v)", got, base)
	}
}

// copies counts the times a file was fetched from its start: every fetch
// begins with a probe for the first piece. (BytesSent counts more than the
// file's bytes: a range whose tail was stolen is cut once the thief has it.)
func copies(srv *faultserver.Server) int {
	n := 0
	for _, r := range srv.RangeRequests() {
		if strings.HasPrefix(r, "bytes=0-") {
			n++
		}
	}
	return n
}

// withHeaders makes a fault server answer with extra headers.
func withHeaders(kv ...string) faultserver.Option {
	return faultserver.Handler(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		for i := 0; i+1 < len(kv); i += 2 {
			w.Header().Set(kv[i], kv[i+1])
		}
		next.ServeHTTP(w, r)
	})
}

// TestAnETagThatIsNoMD5CostsNoFile: what a file is checked against, and
// what an ETag that is not its MD5 costs, for the servers that make one.
func TestAnETagThatIsNoMD5CostsNoFile(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(7, 3<<20+99)
	sum := md5.Sum(data)
	realMD5 := `"` + hex.EncodeToString(sum[:]) + `"`
	const notMD5 = `"4a60c5ad2c6b4fd1a0e4e2a7f2f7d001"`
	tests := []struct {
		name         string
		opts         []faultserver.Option
		spec         func(FileSpec) FileSpec
		wantVerified string
		wantFetches  int // whole copies of the file fetched
	}{
		{"an ETag that is the MD5 verifies the file", opts(faultserver.ETag(realMD5)), nil, VerifiedETag, 1},
		{"an SSE-KMS ETag is not hashed at all", opts(faultserver.ETag(notMD5), withHeaders("X-Amz-Server-Side-Encryption", "aws:kms")), nil, VerifiedSize, 1},
		{"an SSE-C ETag is not hashed at all", opts(faultserver.ETag(notMD5), withHeaders("X-Amz-Server-Side-Encryption-Customer-Algorithm", "AES256")), nil, VerifiedSize, 1},
		{"a gateway's 32-hex ETag costs one more fetch, then the file stands on its size", opts(faultserver.ETag(notMD5)), nil, VerifiedSize, 2},
		{"a multipart ETag is no MD5", opts(faultserver.ETag(`"0123456789abcdef0123456789abcdef-3"`)), nil, VerifiedSize, 1},
		{"a weak ETag is no MD5", opts(faultserver.ETag(`W/` + realMD5)), nil, VerifiedSize, 1},
		{"the portal's SHA-256 wins over the ETag", opts(faultserver.ETag(notMD5)), withSHA256(data), VerifiedSHA256, 1},
		{"the portal's MD5 wins over the ETag", opts(faultserver.ETag(notMD5)), withMD5(data), VerifiedMD5, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := runOneFile(t, data, tt.opts, tt.spec)
			if f.State != FileCompleted {
				t.Fatalf("file ended %s (%+v), want completed", f.State, f.Error)
			}
			assertFile(t, f.Path, data)
			if f.VerifiedBy != tt.wantVerified {
				t.Errorf("verified by %q, want %q", f.VerifiedBy, tt.wantVerified)
			}
			if got := copies(srv); got != tt.wantFetches {
				t.Errorf("fetched the file %d times, want %d", got, tt.wantFetches)
			}
		})
	}
}

// TestAHostLearnsItsETagsAreNoMD5s: after one file proved a host's 32-hex
// ETags are identifiers, its next files are fetched once.
func TestAHostLearnsItsETagsAreNoMD5s(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(8, 2<<20+5)
	srv := faultserver.New(t, data, faultserver.ETag(`"4a60c5ad2c6b4fd1a0e4e2a7f2f7d001"`))
	m := newTestManager(t, testConfig(t))
	runJob(t, m, JobSpec{Name: "first", Files: []FileSpec{{URL: srv.URL(), Name: "a.zip"}}})
	before := copies(srv)
	j := runJob(t, m, JobSpec{Name: "second", Files: []FileSpec{{URL: srv.URL(), Name: "b.zip"}}})
	if f := j.Files[0]; f.State != FileCompleted || f.VerifiedBy != VerifiedSize {
		t.Fatalf("second file ended %s, verified by %q (%+v); want completed by size", f.State, f.VerifiedBy, f.Error)
	}
	if got := copies(srv) - before; got != 1 {
		t.Errorf("second file from the same host fetched %d times, want once", got)
	}
}

// TestAMismatchWithThePortalsChecksumIsFetchedOnceMore: the engine fetches
// the file once more by itself, then fails it and says so.
func TestAMismatchWithThePortalsChecksumIsFetchedOnceMore(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(9, 2<<20+5)
	srv := faultserver.New(t, data)
	m := newTestManager(t, testConfig(t))
	fs := withSHA256(testenv.RandomData(10, 10))(FileSpec{URL: srv.URL(), Name: "a.zip"})
	j := runJob(t, m, JobSpec{Name: "order", Files: []FileSpec{fs}})
	f := j.Files[0]
	if f.State != FileFailed || f.Error == nil || f.Error.Code != CodeChecksum {
		t.Fatalf("file ended %s (%+v), want failed with %s", f.State, f.Error, CodeChecksum)
	}
	if !strings.Contains(f.Error.Message, "once more") {
		t.Errorf("message %q does not say the file was fetched once more", f.Error.Message)
	}
	if got := copies(srv); got != 2 {
		t.Errorf("fetched the file %d times, want twice", got)
	}
	assertNoPart(t, f.Path)
}

// TestRetryAfterIsHonoured: a server that is starting (MinIO's
// XMinioServerNotInitialized with Retry-After) is asked again no sooner
// than it said, and a Retry-After past RetryMax waits RetryMax.
func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(11, 100<<10)
	// The first answer asks for a second's pause; the second for an hour,
	// which RetryMax caps.
	retryAfters := []string{"1", "3600"}
	var mu sync.Mutex
	var asked []time.Time
	srv := faultserver.New(t, data, faultserver.Handler(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		mu.Lock()
		asked = append(asked, time.Now())
		k := len(asked)
		mu.Unlock()
		if k > len(retryAfters) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Retry-After", retryAfters[k-1])
		http.Error(w, "<Error><Code>XMinioServerNotInitialized</Code></Error>", http.StatusServiceUnavailable)
	}))
	cfg := testConfig(t)
	cfg.RetryMax = 2 * time.Second
	m := newTestManager(t, cfg)
	j := runJob(t, m, JobSpec{Name: "order", Files: []FileSpec{{URL: srv.URL(), Name: "a.zip"}}})
	if f := j.Files[0]; f.State != FileCompleted {
		t.Fatalf("file ended %s (%+v), want completed", f.State, f.Error)
	}
	mu.Lock()
	defer mu.Unlock()
	if gap := asked[1].Sub(asked[0]); gap < time.Second {
		t.Errorf("asked again %v after Retry-After: 1, want at least 1s", gap)
	}
}

// TestAnUntrustedCertificateIsSaidAsSuch: a certificate that fails
// verification stops the file at once with its own code, not as a network
// error after every retry.
func TestAnUntrustedCertificateIsSaidAsSuch(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("x"))
	}))
	var handshakes atomic.Int32
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			handshakes.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	cfg := testConfig(t)
	m := newTestManager(t, cfg)
	j := runJob(t, m, JobSpec{Name: "order", Files: []FileSpec{{URL: srv.URL + "/a.zip", Name: "a.zip"}}})
	f := j.Files[0]
	if f.State != FileFailed || f.Error == nil || f.Error.Code != CodeCertificate {
		t.Fatalf("file ended %s (%+v), want failed with %s", f.State, f.Error, CodeCertificate)
	}
	// Retried, the file would make MaxAttempts connections. net/http may
	// itself open a second one now and then (1 in ~15 runs here), which is
	// not the engine retrying.
	if n := handshakes.Load(); n >= int32(cfg.MaxAttempts) {
		t.Errorf("%d connections made, MaxAttempts is %d: a certificate is not retried", n, cfg.MaxAttempts)
	}
}
