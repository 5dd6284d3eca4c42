// Command dlsign makes the key pair of a portal's update feed and signs
// releases into the feed (see package dlhelper/internal/update).
//
//	go run ./internal/update/cmd/dlsign keygen -out keys/
//	    writes keys/dlhelper.key (secret: keep it off the web server) and
//	    keys/dlhelper.pub, whose last line is the brand file's publicKey.
//	go run ./internal/update/cmd/dlsign feed -key keys/dlhelper.key -version 1.2.3 \
//	    -base https://portal.example.com/dlhelper/ -out dist/feed.json \
//	    linux/amd64=dist/dlhelper-linux-amd64 windows/amd64=dist/dlhelper-windows-amd64.exe
//	    signs each program and writes the feed; upload it and the programs
//	    under -base.
//
// With DLSIGN_PASSWORD set, keygen encrypts the secret key with it (the
// minisign format, scrypt) and feed decrypts it; without, the key is stored
// in the clear.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"aead.dev/minisign"

	"dlhelper/internal/update"
)

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: dlsign keygen -out DIR | dlsign feed -key FILE -version X.Y.Z -base URL -out FILE GOOS/GOARCH=PROGRAM..."))
	}
	var err error
	switch os.Args[1] {
	case "keygen":
		err = keygen(os.Args[2:])
	case "feed":
		err = feed(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q: keygen or feed", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "dlsign:", err)
	os.Exit(2)
}

func keygen(args []string) error {
	fs := flag.NewFlagSet("keygen", flag.ExitOnError)
	out := fs.String("out", ".", "folder for dlhelper.key and dlhelper.pub")
	fs.Parse(args)
	pub, priv, err := update.GenerateKey()
	if err != nil {
		return err
	}
	secret, err := priv.MarshalText()
	if pw := os.Getenv("DLSIGN_PASSWORD"); pw != "" {
		secret, err = minisign.EncryptKey(pw, priv)
	}
	if err != nil {
		return err
	}
	public, _ := pub.MarshalText()
	keyPath := filepath.Join(*out, "dlhelper.key")
	if _, err := os.Stat(keyPath); err == nil {
		return fmt.Errorf("%s exists; a new key would orphan every helper built with the old one", keyPath)
	}
	if err := os.WriteFile(keyPath, secret, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "dlhelper.pub"), append(public, '\n'), 0o644); err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSpace(string(public)), "\n")
	fmt.Printf("publicKey for the brand file: %s\n", lines[len(lines)-1])
	return nil
}

func feed(args []string) error {
	fs := flag.NewFlagSet("feed", flag.ExitOnError)
	keyPath := fs.String("key", "dlhelper.key", "the secret key from keygen")
	version := fs.String("version", "", "the release's version, x.y.z")
	base := fs.String("base", "", "https URL the programs are served under")
	out := fs.String("out", "feed.json", "the feed to write")
	fs.Parse(args)
	key, err := readKey(*keyPath)
	if err != nil {
		return err
	}
	if u, err := url.Parse(*base); err != nil || u.Scheme != "https" {
		return fmt.Errorf("-base %q must be an https URL: helpers refuse anything else", *base)
	}
	f := update.Feed{Version: strings.TrimPrefix(*version, "v"), Builds: map[string]update.Build{}}
	for _, arg := range fs.Args() {
		platform, path, ok := strings.Cut(arg, "=")
		if !ok {
			return fmt.Errorf("%q is not GOOS/GOARCH=PROGRAM", arg)
		}
		exe, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(exe)
		f.Builds[platform] = update.Build{
			URL: strings.TrimSuffix(*base, "/") + "/" + url.PathEscape(filepath.Base(path)), Size: int64(len(exe)),
			SHA256: hex.EncodeToString(sum[:]), Signature: update.SignBuild(key, exe, f.Version, platform),
		}
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(*out, append(data, '\n'), 0o644)
}

func readKey(path string) (minisign.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return minisign.PrivateKey{}, err
	}
	if minisign.IsEncrypted(data) {
		return minisign.DecryptKey(os.Getenv("DLSIGN_PASSWORD"), data)
	}
	var k minisign.PrivateKey
	return k, k.UnmarshalText(data)
}
