package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
)

// RandomData returns n pseudo-random bytes that depend only on seed, so a
// test can regenerate what it uploaded instead of keeping it.
func RandomData(seed int64, n int) []byte {
	b := make([]byte, n)
	chacha(seed).Read(b) // never fails
	return b
}

// RandomReader streams the same bytes as RandomData(seed, n) without
// holding them, for objects of hundreds of MB.
func RandomReader(seed int64, n int64) io.Reader {
	return io.LimitReader(chacha(seed), n)
}

// chacha seeds ChaCha8 from seed. ChaCha8 is a specified algorithm
// (C2SP chacha8rand), so the bytes are the same on every platform and Go
// release, unlike the default source.
func chacha(seed int64) *rand.ChaCha8 {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(key)
}

// SHA256Hex is the hex SHA-256 of b.
func SHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// FileSHA256 is the hex SHA-256 of a file's content, read as a stream.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash file: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
