package testenv

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStartTLS serves a presigned URL over HTTPS that a client trusting
// the test certificate can read and one trusting only the system roots
// cannot.
func TestStartTLS(t *testing.T) {
	t.Parallel()
	minioForTest(t)
	dir := t.TempDir()
	cert, err := NewCertificate(filepath.Join(dir, "certs"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := StartTLS(t.Context(), filepath.Join(dir, "data"), cert)
	if err != nil {
		t.Fatalf("MinIO with TLS did not start: %v", err)
	}
	t.Cleanup(m.Kill)
	if !strings.HasPrefix(m.URL(), "https://127.0.0.1:") {
		t.Errorf("URL() = %q, want https://127.0.0.1:PORT", m.URL())
	}
	m.MakeBucket(t, "tls-test")
	data := []byte("over TLS")
	m.Put(t, "tls-test", "k", data)
	u, err := m.Client().PresignedGetObject(context.Background(), "tls-test", "k", time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}

	trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: cert.ClientTLS()}}
	resp, err := trusting.Get(u.String())
	if err != nil {
		t.Fatalf("GET with the test certificate trusted: %v", err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, data) {
		t.Errorf("GET %s: %d %q, want 200 %q", u.Redacted(), resp.StatusCode, got, data)
	}

	_, err = http.Get(u.String())
	if ue := (x509.UnknownAuthorityError{}); !errors.As(err, &ue) {
		t.Errorf("GET without the certificate trusted: %v, want an unknown-authority error", err)
	}
}
