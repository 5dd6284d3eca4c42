package update

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"aead.dev/minisign"

	"dlhelper/internal/testenv"
)

const platform = "linux/amd64"

// feedServer serves a feed at /feed.json and one build at /build, over
// loopback TLS, with Range support (the engine asks for ranges).
type feedServer struct {
	*httptest.Server
	mu    sync.Mutex
	feed  Feed
	build []byte
}

func newFeedServer(t *testing.T) *feedServer {
	f := &feedServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/feed.json", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		json.NewEncoder(w).Encode(f.feed)
	})
	mux.HandleFunc("/build", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		b := f.build
		f.mu.Unlock()
		w.Header().Set("ETag", `"build"`)
		http.ServeContent(w, r, "build", time.Time{}, bytes.NewReader(b))
	})
	f.Server = httptest.NewTLSServer(mux)
	t.Cleanup(f.Close)
	return f
}

// publish offers exe as version, signed by key for signedAs (a version).
func (f *feedServer) publish(key minisign.PrivateKey, exe []byte, version, signedAs string) {
	sum := sha256.Sum256(exe)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.build = exe
	f.feed = Feed{Version: version, Builds: map[string]Build{platform: {
		URL: f.URL + "/build", Size: int64(len(exe)), SHA256: hex.EncodeToString(sum[:]),
		Signature: SignBuild(key, exe, signedAs, platform),
	}}}
}

type fixture struct {
	srv    *feedServer
	u      *Updater
	key    minisign.PrivateKey
	target string
	logs   *testenv.Buffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pub, priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "dlhelper")
	if err := os.WriteFile(target, []byte("old program"), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := newFeedServer(t)
	logs := &testenv.Buffer{}
	u := &Updater{
		Current: "1.0.0", FeedURL: srv.URL + "/feed.json", Key: pub, Dir: filepath.Join(dir, "update"),
		Client: srv.Client(), Idle: func(context.Context) error { return nil }, TargetPath: target,
		Platform: platform, Log: slog.New(slog.NewTextHandler(logs, nil)),
	}
	return &fixture{srv: srv, u: u, key: priv, target: target, logs: logs}
}

func (f *fixture) targetIs(t *testing.T, want string) {
	t.Helper()
	got, err := os.ReadFile(f.target)
	if err != nil || string(got) != want {
		t.Errorf("the executable holds %q (%v), want %q", got, err, want)
	}
}

func TestUpdateInstallsASignedNewerBuild(t *testing.T) {
	f := newFixture(t)
	f.srv.publish(f.key, []byte("new program"), "1.1.0", "1.1.0")
	r, err := f.u.Update(t.Context())
	if err != nil || r.Version != "1.1.0" {
		t.Fatalf("Update() = %+v, %v; want version 1.1.0 installed", r, err)
	}
	f.targetIs(t, "new program")
}

func TestUpdateRefuses(t *testing.T) {
	tests := []struct {
		name    string
		publish func(f *fixture)
		want    error
		log     string
	}{
		{"a tampered build", func(f *fixture) {
			f.srv.publish(f.key, []byte("new program"), "1.1.0", "1.1.0")
			f.srv.mu.Lock()
			f.srv.build = []byte("bad program")
			sum := sha256.Sum256(f.srv.build) // the feed's checksum matches: only the signature can tell
			b := f.srv.feed.Builds[platform]
			b.SHA256 = hex.EncodeToString(sum[:])
			f.srv.feed.Builds[platform] = b
			f.srv.mu.Unlock()
		}, ErrBadSignature, "signature does not verify"},
		{"an old build relabelled as new", func(f *fixture) {
			f.srv.publish(f.key, []byte("old signed program"), "1.1.0", "0.9.0")
		}, ErrBadSignature, "signature does not verify"},
		{"a build signed by another key", func(f *fixture) {
			_, other, _ := GenerateKey()
			f.srv.publish(other, []byte("new program"), "1.1.0", "1.1.0")
		}, ErrBadSignature, "signature does not verify"},
		{"a downgrade", func(f *fixture) {
			f.srv.publish(f.key, []byte("older program"), "0.9.0", "0.9.0")
		}, ErrDowngrade, "refusing the update feed"},
		{"the same version", func(f *fixture) {
			f.srv.publish(f.key, []byte("same program"), "1.0.0", "1.0.0")
		}, ErrUpToDate, ""},
		{"an install the user cannot write", func(f *fixture) {
			f.srv.publish(f.key, []byte("new program"), "1.1.0", "1.1.0")
			f.u.TargetPath = filepath.Join(f.u.Dir, "no such folder", "dlhelper")
		}, ErrNotWritable, "update it with the system's package manager"},
		{"a feed on plain http", func(f *fixture) {
			f.srv.publish(f.key, []byte("new program"), "1.1.0", "1.1.0")
			f.u.FeedURL = strings.Replace(f.u.FeedURL, "https:", "http:", 1)
		}, ErrInsecure, "refusing the update feed"},
		{"a build on plain http", func(f *fixture) {
			f.srv.publish(f.key, []byte("new program"), "1.1.0", "1.1.0")
			b := f.srv.feed.Builds[platform]
			b.URL = strings.Replace(b.URL, "https:", "http:", 1)
			f.srv.feed.Builds[platform] = b
		}, ErrInsecure, "refusing the update feed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.publish(f)
			_, err := f.u.Update(t.Context())
			if !errors.Is(err, tt.want) {
				t.Errorf("Update() error = %v, want %v", err, tt.want)
			}
			f.targetIs(t, "old program")
			if logs := f.logs.String(); !strings.Contains(logs, tt.log) {
				t.Errorf("the log lacks %q:\n%s", tt.log, logs)
			}
		})
	}
}

func TestUpdateWaitsUntilNoDownloadRuns(t *testing.T) {
	f := newFixture(t)
	f.srv.publish(f.key, []byte("new program"), "1.1.0", "1.1.0")
	waiting, idle := make(chan struct{}), make(chan struct{})
	f.u.Idle = func(ctx context.Context) error {
		close(waiting)
		<-idle
		return nil
	}
	done := make(chan error, 1)
	go func() {
		_, err := f.u.Update(t.Context())
		done <- err
	}()
	select {
	case <-waiting:
	case err := <-done:
		t.Fatalf("Update returned (%v) without waiting for the downloads", err)
	}
	f.targetIs(t, "old program")
	close(idle)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	f.targetIs(t, "new program")
}

func TestParsePublicKeyTakesALineOrAPubFile(t *testing.T) {
	pub, _, _ := GenerateKey()
	text, _ := pub.MarshalText()
	for _, in := range []string{string(text), "untrusted comment: minisign public key\n" + string(text) + "\n"} {
		k, err := ParsePublicKey(in)
		if err != nil || !k.Equal(pub) {
			t.Errorf("ParsePublicKey(%q) = %v, %v", in, k, err)
		}
	}
}
