package testenv

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Certificate is a self-signed test certificate for 127.0.0.1, ::1 and
// localhost, in the layout MinIO's --certs-dir wants (public.crt,
// private.key). Being self-signed, it is its own CA: a client trusts it by
// adding CAFile to its roots (curl --cacert, aria2c --ca-certificate, a Go
// program through SSL_CERT_FILE).
type Certificate struct {
	Dir    string // holds public.crt and private.key
	CAFile string // Dir/public.crt
	pool   *x509.CertPool
}

// NewCertificate makes a certificate valid for a day into dir.
func NewCertificate(dir string) (*Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("test certificate: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{Organization: []string{"dlhelper test"}, CommonName: "127.0.0.1"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("test certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("test certificate: %w", err)
	}
	c := &Certificate{Dir: dir, CAFile: filepath.Join(dir, "public.crt"), pool: x509.NewCertPool()}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	c.pool.AppendCertsFromPEM(certPEM)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("test certificate: %w", err)
	}
	if err := errors.Join(
		os.WriteFile(c.CAFile, certPEM, 0o644),
		os.WriteFile(filepath.Join(dir, "private.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600),
	); err != nil {
		return nil, fmt.Errorf("test certificate: %w", err)
	}
	return c, nil
}

// ClientTLS is a client configuration that trusts the certificate alone.
func (c *Certificate) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: c.pool, MinVersion: tls.VersionTLS12}
}

// StartTLS is Start with MinIO serving HTTPS with cert; URL then says
// https and Client trusts cert.
func StartTLS(ctx context.Context, dir string, cert *Certificate) (*MinIO, error) {
	bin, err := MinIOBinary()
	if err != nil {
		return nil, err
	}
	for range startTries {
		var m *MinIO
		if m, err = newMinIO(bin, dir); err != nil {
			return nil, err
		}
		m.certs = cert
		if m.client, err = NewClient(m.Endpoint, cert); err != nil {
			return nil, err
		}
		if err = m.start(ctx); err == nil {
			return m, nil
		}
		if !errors.Is(err, errExited) {
			return nil, err
		}
	}
	return nil, err
}

// NewClient is a minio-go client with the root keys for endpoint, over
// HTTPS trusting cert when cert is not nil. It signs for endpoint, so it
// also presigns URLs for a proxy in front of a server (the WAN emulator)
// without asking the server anything: the region is fixed.
func NewClient(endpoint string, cert *Certificate) (*minio.Client, error) {
	opts := &minio.Options{Creds: credentials.NewStaticV4(AccessKey, SecretKey, ""), Region: "us-east-1"}
	if cert != nil {
		opts.Secure = true
		opts.Transport = &http.Transport{TLSClientConfig: cert.ClientTLS()}
	}
	mc, err := minio.New(endpoint, opts)
	if err != nil {
		return nil, fmt.Errorf("minio client for %s: %w", endpoint, err)
	}
	return mc, nil
}

// scheme is the server's URL scheme.
func (m *MinIO) scheme() string {
	if m.certs != nil {
		return "https"
	}
	return "http"
}

// healthTransport is what waitLive polls with: no reused connections, and
// the test certificate trusted when the server serves HTTPS.
func (m *MinIO) healthTransport() *http.Transport {
	t := &http.Transport{DisableKeepAlives: true}
	if m.certs != nil {
		t.TLSClientConfig = m.certs.ClientTLS()
	}
	return t
}

// Certificate is the server's test certificate, nil for plain HTTP.
func (m *MinIO) Certificate() *Certificate { return m.certs }
