package bridge

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"dlhelper/internal/atomicfile"
)

// Files the server keeps in the state folder for local tools.
const (
	// TokenFile holds the bearer token, readable by the user alone.
	TokenFile = "token"
	// PortFile holds the port the running server listens on.
	PortFile = "port"
)

// LoadOrCreateToken returns the token in stateDir/token, creating the file
// (32 random bytes, hex, mode 0600) if there is none. A token file that
// other users may read is refused rather than trusted: anyone who read it
// could drive the helper.
func LoadOrCreateToken(stateDir string) (string, error) {
	path := filepath.Join(stateDir, TokenFile)
	tok, err := readToken(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return tok, err
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return "", fmt.Errorf("the state folder %s cannot be created (%v); choose another with --state", stateDir, err)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make a token: %w", err)
	}
	tok = hex.EncodeToString(b[:])
	if err := atomicfile.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("the token file %s cannot be written (%v); check the state folder's permissions", path, err)
	}
	return tok, nil
}

// readToken reads and checks a token file; a missing file is fs.ErrNotExist.
func readToken(path string) (string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("the token file %s cannot be read (%v); check its permissions", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("the token file %s cannot be read (%v); check its permissions", path, err)
	}
	// Windows reports no group or other bits; its folder ACLs protect the file.
	if perm := st.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return "", fmt.Errorf("the token file %s can be read by other users (mode %#o); run \"chmod 600 %s\", or delete it to get a new token", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 1<<10))
	tok := strings.TrimSpace(string(data))
	if b, herr := hex.DecodeString(tok); err != nil || herr != nil || len(b) != 32 {
		return "", fmt.Errorf("the token file %s is damaged; delete it and start dlhelper again to get a new token", path)
	}
	return tok, nil
}

// WritePort records the port the server listens on in stateDir/port, for
// the CLI and the tray.
func WritePort(stateDir string, port int) error {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return fmt.Errorf("write the port file: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(stateDir, PortFile), []byte(strconv.Itoa(port)+"\n"), 0o600); err != nil {
		return fmt.Errorf("write the port file: %w", err)
	}
	return nil
}

// ReadPort returns the port recorded by WritePort.
func ReadPort(stateDir string) (int, error) {
	data, err := os.ReadFile(filepath.Join(stateDir, PortFile))
	if err != nil {
		return 0, fmt.Errorf("dlhelper does not seem to be running (%v); start it with \"dlhelper serve\"", err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || port < 1 || port > 65535 {
		return 0, fmt.Errorf("the port file in %s is damaged; restart dlhelper to write it again", stateDir)
	}
	return port, nil
}
