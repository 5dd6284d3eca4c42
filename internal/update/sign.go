package update

import (
	"crypto/rand"
	"fmt"
	"strings"

	"aead.dev/minisign"
)

// trustedComment binds a signature to a version and platform; it is signed
// with the build, so a feed cannot relabel an old build as new.
func trustedComment(version, platform string) string {
	return "dlhelper " + strings.TrimPrefix(version, "v") + " " + platform
}

// GenerateKey makes a minisign key pair; the public key's text is what a
// brand's publicKey holds.
func GenerateKey() (minisign.PublicKey, minisign.PrivateKey, error) {
	return minisign.GenerateKey(rand.Reader)
}

// SignBuild signs an executable for a version and "GOOS/GOARCH", as a
// minisign signature file's text.
func SignBuild(key minisign.PrivateKey, exe []byte, version, platform string) string {
	return string(minisign.SignWithComments(key, exe, trustedComment(version, platform), "dlhelper update signature"))
}

// ParsePublicKey reads a public key: its base64 line, or a minisign .pub
// file's text.
func ParsePublicKey(text string) (minisign.PublicKey, error) {
	var k minisign.PublicKey
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if err := k.UnmarshalText([]byte(strings.TrimSpace(lines[len(lines)-1]))); err != nil {
		return k, fmt.Errorf("the update public key is not a minisign key: %w", err)
	}
	return k, nil
}

// verify checks exe against the release's signature and its trusted comment.
func verify(key minisign.PublicKey, exe []byte, r Release) error {
	var sig minisign.Signature
	if err := sig.UnmarshalText([]byte(r.Signature)); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if !minisign.Verify(key, exe, []byte(r.Signature)) {
		return ErrBadSignature
	}
	if want := trustedComment(r.Version, r.Platform); sig.TrustedComment != want {
		return fmt.Errorf("%w: it was made for %q, not %q", ErrBadSignature, sig.TrustedComment, want)
	}
	return nil
}
