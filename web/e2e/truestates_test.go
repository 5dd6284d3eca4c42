package e2e

import (
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"dlhelper/web"
)

// sdkPage serves a bare page that runs the SDK's connect() from a click on
// #go, with the options in window.__opts, and keeps the outcome (the
// error's code, or "connected") in window.__result.
const sdkPageHTML = `<!doctype html><meta charset="utf-8"><button id="go">go</button>
<script type="module">
import { connect } from "/sdk/dlhelper.js";
window.__stop = new AbortController();
document.getElementById("go").addEventListener("click", () => {
  window.__result = undefined;
  window.__stop = new AbortController();
  const o = { launch: true, timeout: 3000, signal: window.__stop.signal, onLaunchSlow: () => { window.__slow = true; }, ...(window.__opts || {}) };
  connect(o).then(() => { window.__result = "connected"; }, (e) => { window.__result = e.code || String(e); });
});
window.__ready = true;
</script>`

func serveSDKPage(t *testing.T) string {
	t.Helper()
	sdk, err := fs.Sub(web.SDK(), ".")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/sdk/", http.StripPrefix("/sdk/", http.FileServerFS(sdk)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, sdkPageHTML)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// runConnect clicks #go with the options given (a JavaScript object).
func runConnect(p *page, opts string) {
	p.t.Helper()
	evalOn[chromedp.Void](p, `window.__slow = false; window.__opts = `+opts)
	p.click("#go")
}

const jsResult = `window.__result || ""`

// Issue 19: a helper that runs but does not trust the portal must not be
// reported as "not running". Its refusal is readable by the refused page
// (CORS headers on the 403), so the SDK says forbidden, for real, through
// the browser's CORS rules.
func TestUntrustedPortalIsNotToldTheHelperIsMissing(t *testing.T) {
	t.Parallel()
	port := startBridge(t) // trusts pairingPortal only
	pageURL := serveSDKPage(t)
	b := newBrowser(t)
	p := b.page(b.ctx, "sdk")
	p.navigate(pageURL + "/")
	p.waitFor("the SDK page", `window.__ready === true`, settle)
	// Without asking to be trusted: that path (needs_approval) is
	// trust_test.go's.
	runConnect(p, fmt.Sprintf(`{ports: [%d], launch: false, askApproval: false}`, port))
	p.waitFor("connect() to end", jsResult+` !== ""`, settle)
	if got := evalOn[string](p, jsResult); got != "forbidden" {
		t.Errorf("connect() from an untrusted page ended with %q, want forbidden (running, not trusted)", got)
	}
}

// Issue 19: after dlhelper:// the browser may ask "Open dlhelper?" and wait
// for the customer; the SDK must wait as long, saying that it waits
// (onLaunchSlow), until the helper answers or the page stops it.
func TestConnectWaitsForTheCustomerToOpenTheHelper(t *testing.T) {
	t.Parallel()
	var ready atomic.Bool
	probed := make(chan struct{}, 1000)
	helper := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Content-Type", "application/json")
		select {
		case probed <- struct{}{}:
		default:
		}
		if !ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable) // not started yet: nobody the SDK can use
			fmt.Fprint(w, `{}`)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/v1/hello") {
			fmt.Fprint(w, `{"app":"dlhelper","version":"test","api":1}`)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{}`)
	}))
	t.Cleanup(helper.Close)
	port := helper.Listener.Addr().(*net.TCPAddr).Port
	pageURL := serveSDKPage(t)
	b := newBrowser(t)
	p := b.page(b.ctx, "sdk")
	p.navigate(pageURL + "/")
	p.waitFor("the SDK page", `window.__ready === true`, settle)
	opts := fmt.Sprintf(`{ports: [%d], launchWait: 300, launchUrl: "about:blank"}`, port)

	t.Run("it waits past launchWait, then connects when the helper is up", func(t *testing.T) {
		runConnect(p, opts)
		p.waitFor("the SDK to say it still waits", `window.__slow === true`, settle)
		// Three more probes after "slow": still waiting, not given up.
		for range len(probed) {
			<-probed
		}
		for range 3 {
			select {
			case <-probed:
			case <-time.After(settle):
				t.Fatal("the SDK stopped probing after launchWait")
			}
		}
		if got := evalOn[string](p, jsResult); got != "" {
			t.Fatalf("connect() ended with %q while the customer could still be choosing", got)
		}
		ready.Store(true)
		p.waitFor("connect() to find the started helper", jsResult+` !== ""`, settle)
		if got := evalOn[string](p, jsResult); got != "connected" {
			t.Errorf("connect() = %q, want connected", got)
		}
	})
	t.Run("the customer stops waiting", func(t *testing.T) {
		ready.Store(false)
		runConnect(p, opts)
		p.waitFor("the SDK to say it still waits", `window.__slow === true`, settle)
		evalOn[chromedp.Void](p, `window.__stop.abort()`)
		p.waitFor("connect() to end", jsResult+` !== ""`, settle)
		if got := evalOn[string](p, jsResult); got != "launch_stopped" {
			t.Errorf("connect() after Stop waiting = %q, want launch_stopped", got)
		}
	})
}

// Issue 19: a customer who closes Chrome's permission prompt with its ✕
// leaves the permission at "prompt", and the probe fails like a helper that
// is not there. Headless Chromium answers every prompt with "deny" (see
// TestLocalNetworkAccess for that path), so the ✕ is played by the page:
// the permission stays "prompt" and the request fails after the time a
// person takes, where a missing helper fails at once.
func TestClosedPermissionPromptIsNotReportedAsHelperMissing(t *testing.T) {
	t.Parallel()
	pageURL := serveSDKPage(t)
	b := newBrowser(t)
	p := b.page(b.ctx, "sdk")
	p.navigate(pageURL + "/")
	p.waitFor("the SDK page", `window.__ready === true`, settle)
	for _, tc := range []struct{ name, failAfterMs, want string }{
		{"the prompt closed with its X", "800", "prompt_dismissed"},
		{"no helper (refused at once)", "0", "not_running"},
	} {
		evalOn[chromedp.Void](p, `navigator.permissions.query = async () => ({ state: "prompt" });
window.fetch = () => new Promise((_, reject) => setTimeout(() => reject(new TypeError("Failed to fetch")), `+tc.failAfterMs+`));`)
		runConnect(p, `{ports: [1], launch: false}`)
		p.waitFor("connect() to end", jsResult+` !== ""`, settle)
		if got := evalOn[string](p, jsResult); got != tc.want {
			t.Errorf("%s: connect() = %q, want %q", tc.name, got, tc.want)
		}
	}
}
