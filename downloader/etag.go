package downloader

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// When an ETag is taken for the content's MD5. S3 makes a single PUT's
// ETag the MD5 of its bytes, which makes it a free end-to-end check when the
// portal gives no checksum. But the same 32 hex digits are an identifier
// only for SSE-KMS and SSE-C objects, and for many gateways and CDNs. So:
//   - an ETag counts as an MD5 when it has the shape (etagMD5), the answer
//     does not rule it out (etagRuledOut), and its host has not shown
//     before that its ETags are no MD5s (etagTrust);
//   - a mismatch then deletes nothing on the ETag's word: the file is
//     fetched once more, and the second copy decides (etagMismatch);
//   - what each file was checked against is kept (Verified*).

// etagMD5 returns the ETag when it has the shape of an MD5: 32 hex digits,
// a strong ETag. Multipart ETags ("…-N") and web servers' ETags do not;
// SSE-KMS and SSE-C ETags do but are not (etagRuledOut), and gateways and
// CDNs may make others that are not, which is why a mismatch deletes
// nothing on its word (etagMismatch).
func etagMD5(etag string) string {
	e := strings.ToLower(strings.Trim(strings.TrimPrefix(etag, "W/"), `"`))
	if len(e) != 32 || strings.HasPrefix(etag, "W/") {
		return ""
	}
	if _, err := hex.DecodeString(e); err != nil {
		return ""
	}
	return e
}

// etagRuledOut reports an answer whose headers say its ETag is no MD5 of
// the content: S3 (and MinIO) make an SSE-KMS or SSE-C object's ETag from
// the ciphertext or at random. Hashing for such an ETag costs CPU for a
// check that cannot pass.
func etagRuledOut(h http.Header) bool {
	if h.Get("X-Amz-Server-Side-Encryption-Customer-Algorithm") != "" {
		return true
	}
	sse := strings.ToLower(h.Get("X-Amz-Server-Side-Encryption"))
	return strings.HasPrefix(sse, "aws:kms")
}

// etagTrust remembers the hosts whose 32-hex ETags proved not to be MD5s:
// their later files are checked by size, not fetched twice. A server mixes
// such objects with plain ones only where headers tell them apart
// (etagRuledOut), so one host's word covers its other files.
type etagTrust struct {
	mu    sync.Mutex
	hosts map[string]bool
}

// distrust remembers rawURL's host as one whose ETags are not MD5s.
func (e *etagTrust) distrust(rawURL string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.hosts == nil {
		e.hosts = make(map[string]bool)
	}
	e.hosts[urlHost(rawURL)] = true
}

// distrusted reports a host whose ETags proved not to be MD5s.
func (e *etagTrust) distrusted(rawURL string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.hosts[urlHost(rawURL)]
}

func urlHost(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}
