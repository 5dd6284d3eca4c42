package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"dlhelper/internal/testenv"
)

// orderID is portal-demo's default order number, the job's folder.
const orderID = "DL-2026-0042"

// stack is one portal-demo and one dlhelper, on a shared MinIO.
type stack struct {
	t         *testing.T
	portal    *proc
	portalURL string
	helper    *helperProc
	order     order
}

type order struct {
	ID    string `json:"id"`
	Files []struct {
		Name   string `json:"name"`
		Size   int64  `json:"size"`
		SHA256 string `json:"sha256"`
	} `json:"files"`
}

type stackOptions struct {
	chips      int
	chipSize   string   // portal-demo --chip-size
	expiry     string   // portal-demo --expiry
	helperArgs []string // more flags of dlhelper serve (--limit, --files)
	noHelper   bool     // leave dlhelper stopped
	untrusted  bool     // start dlhelper without --allow-origin: the portal must ask
}

// newStack starts portal-demo (its own bucket) and dlhelper on free ports;
// dlhelper allows the portal's origin and the page probes only its port.
func newStack(t *testing.T, o stackOptions) *stack {
	t.Helper()
	start := time.Now()
	startBuild() // while MinIO starts
	mc := sharedMinIO(t)
	dlhelper, portalBin := buildBinaries(t)
	defer func() { t.Logf("stack ready after %v", time.Since(start).Round(100*time.Millisecond)) }()
	portalPort, helperPort := freePort(t), freePort(t)
	s := &stack{t: t, portalURL: "http://127.0.0.1:" + strconv.Itoa(portalPort)}
	s.helper = &helperProc{bin: dlhelper, port: helperPort, dir: t.TempDir(), state: t.TempDir(), origin: s.portalURL}
	if o.untrusted {
		s.helper.origin = ""
	}
	if o.expiry == "" {
		o.expiry = "1h"
	}
	s.portal = startProc(t, "portal-demo", portalBin,
		"--minio", mc.Endpoint, "--bucket", bucketName(t), "--addr", "127.0.0.1:"+strconv.Itoa(portalPort),
		"--chips", strconv.Itoa(o.chips), "--chip-size", o.chipSize, "--expiry", o.expiry,
		"--helper-ports", strconv.Itoa(helperPort))
	s.portal.waitHTTP(t, s.portalURL+"/api/config", 60*time.Second)
	s.order = s.fetchOrder()
	if !o.noHelper {
		s.helper.start(t, o.helperArgs...)
	}
	return s
}

// bucketName makes a valid, unique S3 bucket name from the test's name.
func bucketName(t *testing.T) string {
	n := strings.ToLower(fileName(t.Name()))
	n = strings.NewReplacer("_", "-", ".", "-").Replace(n)
	if len(n) > 50 {
		n = n[len(n)-50:]
	}
	return "e2e-" + strings.Trim(n, "-")
}

// fetchOrder signs in as a customer would and reads the order, with the
// SHA-256 of every archive the portal uploaded.
func (s *stack) fetchOrder() order {
	s.t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := hc.PostForm(s.portalURL+"/login", url.Values{"user": {"test"}, "password": {"demo"}})
	if err != nil {
		s.t.Fatalf("sign in to the portal: %v", err)
	}
	resp.Body.Close()
	resp, err = hc.Get(s.portalURL + "/api/order")
	if err != nil {
		s.t.Fatalf("read the order: %v", err)
	}
	defer resp.Body.Close()
	var o order
	if err := json.NewDecoder(resp.Body).Decode(&o); err != nil || len(o.Files) == 0 {
		s.t.Fatalf("read the order: %v (HTTP %d)", err, resp.StatusCode)
	}
	return o
}

// checkFiles compares every archive on disk with the portal's SHA-256.
func (s *stack) checkFiles() {
	s.t.Helper()
	for _, f := range s.order.Files {
		path := filepath.Join(s.helper.dir, s.order.ID, f.Name)
		got, err := testenv.FileSHA256(path)
		if err != nil {
			s.t.Errorf("%s: %v", f.Name, err)
			continue
		}
		if got != f.SHA256 {
			s.t.Errorf("%s: sha256 %s, want %s", path, got, f.SHA256)
		}
	}
}

// signIn opens the portal in the tab and signs in with the demo account.
func (s *stack) signIn(p *page) {
	s.t.Helper()
	p.navigate(s.portalURL + "/login")
	p.click("#sign-in")
	p.waitFor("the order page", `document.querySelectorAll("#rows tr").length > 0 && !document.getElementById("page").hidden`, 15*time.Second)
}
