package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"dlhelper/internal/testenv"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{in: "1048576", want: 1 << 20},
		{in: "8MiB", want: 8 << 20},
		{in: "8 mb", want: 8 << 20},
		{in: "512KiB", want: 512 << 10},
		{in: "2GiB", want: 2 << 30},
		{in: "3m", want: 3 << 20},
		{in: "", err: true},
		{in: "-1", err: true},
		{in: "lots", err: true},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParsePorts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []int
		err  bool
	}{
		{in: "17315-17319", want: []int{17315, 17316, 17317, 17318, 17319}},
		{in: "17315", want: []int{17315}},
		{in: "17315, 18000", want: []int{17315, 18000}},
		{in: "17319-17315", err: true},
		{in: "1-65535", err: true}, // a page would probe for minutes
		{in: "http", err: true},
		{in: "70000", err: true},
	}
	for _, tt := range tests {
		got, err := parsePorts(tt.in)
		if (err != nil) != tt.err || !slices.Equal(got, tt.want) {
			t.Errorf("parsePorts(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseFlagsRefusesWhatS3Refuses(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--expiry", "500ms"},
		{"--expiry", "8d"},
		{"--expiry", "200h"},
		{"--chips", "0"},
		{"--chip-size", "100"},
		{"stray"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted it", args)
		}
	}
}

func TestChipIsAZipOf24DLOCFiles(t *testing.T) {
	t.Parallel()
	path, sum, size, err := writeChip(7, 256<<10, "chip-007")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if h := sha256.Sum256(data); hex.EncodeToString(h[:]) != sum || int64(len(data)) != size {
		t.Errorf("writeChip reported sha256 %s and %d bytes; the file has %x and %d", sum, size, h, len(data))
	}
	if size > 256<<10 || size < 240<<10 {
		t.Errorf("a 256 KiB chip is %d bytes", size)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	if len(zr.File) != dlocPerChip {
		t.Fatalf("%d files in the archive, want %d", len(zr.File), dlocPerChip)
	}
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "chip-007/die-") || !strings.HasSuffix(f.Name, ".dloc") {
			t.Errorf("entry %q is not chip-007/die-NN.dloc", f.Name)
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil { // checks the CRC
			t.Errorf("%s: %v", f.Name, err)
		}
		r.Close()
	}
	_, again, _, err := writeChip(7, 256<<10, "chip-007")
	if err != nil {
		t.Fatal(err)
	}
	if again != sum {
		t.Error("the same seed made a different archive")
	}
}

// The portal against a real MinIO: the order's URLs download the archives
// it claims, the re-sign endpoint signs a fresh URL, and nothing is signed
// for a visitor who did not sign in.
func TestPortalSignsOnlyForSignedInCustomers(t *testing.T) {
	t.Parallel()
	mc := testenv.StartMinIO(t)
	o, err := parseFlags([]string{"--minio", mc.Endpoint, "--chips", "2", "--chip-size", "64KiB", "--expiry", "1m"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := newStore(o)
	if err != nil {
		t.Fatal(err)
	}
	items, err := st.prepare(t.Context(), log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newPortal(o, st, items, log).routes())
	defer srv.Close()

	anon := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct{ method, path string }{{"GET", "/api/order"}, {"POST", "/api/sign"}, {"GET", "/download/chip-001.zip"}} {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(`{"name":"chip-001.zip"}`))
		resp, err := anon.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s without signing in: HTTP %d, want 401", tt.method, tt.path, resp.StatusCode)
		}
	}
	if resp, err := anon.Get(srv.URL + "/"); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the order page without signing in: %v %v, want a redirect to /login", resp.StatusCode, err)
	}

	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	if resp, err := hc.PostForm(srv.URL+"/login", url.Values{"user": {"li"}, "password": {"wrong"}}); err != nil || !strings.Contains(resp.Request.URL.String(), "failed") {
		t.Errorf("a wrong password was not refused: %v", err)
	}
	if _, err := hc.PostForm(srv.URL+"/login", url.Values{"user": {"li"}, "password": {"demo"}}); err != nil {
		t.Fatal(err)
	}
	var order struct {
		Files []orderFile `json:"files"`
	}
	getJSON(t, hc, "GET", srv.URL+"/api/order", "", &order)
	if len(order.Files) != 2 {
		t.Fatalf("%d files in the order, want 2", len(order.Files))
	}
	for _, f := range order.Files {
		if got := sha256URL(t, f.URL); got != f.SHA256 {
			t.Errorf("%s: the signed URL gives sha256 %s, the order says %s", f.Name, got, f.SHA256)
		}
	}
	var fresh struct{ URL string }
	getJSON(t, hc, "POST", srv.URL+"/api/sign", `{"name":"chip-002.zip"}`, &fresh)
	if got := sha256URL(t, fresh.URL); got != order.Files[1].SHA256 {
		t.Errorf("the re-signed URL gives sha256 %s, want %s", got, order.Files[1].SHA256)
	}
	resp, err := hc.Post(srv.URL+"/api/sign", "application/json", strings.NewReader(`{"name":"../secrets"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("signing a file outside the order: HTTP %d, want 404", resp.StatusCode)
	}

	// A second start reuses the archives instead of uploading them again.
	again, err := st.prepare(t.Context(), log)
	if err != nil || !slices.Equal(again, items) {
		t.Errorf("prepare again: %v, %v; want the same items %v", again, err, items)
	}
}

func getJSON(t *testing.T, hc *http.Client, method, u, body string, v any) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d", method, u, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func sha256URL(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the signed URL: HTTP %d", resp.StatusCode)
	}
	h := sha256.New()
	io.Copy(h, resp.Body)
	return hex.EncodeToString(h.Sum(nil))
}
