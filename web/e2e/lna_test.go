package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// recordRequests is run in the page before its own scripts: it notes every
// fetch and WebSocket the page opens, so a test can tell that the page did
// not reach for the helper.
const recordRequests = `
window.__requests = [];
const realFetch = window.fetch;
window.fetch = function (input, init) {
  window.__requests.push(String(input && input.url ? input.url : input));
  return realFetch.apply(this, arguments);
};
const RealWebSocket = window.WebSocket;
window.WebSocket = function (url, protocols) {
  window.__requests.push(String(url));
  return new RealWebSocket(url, protocols);
};
window.WebSocket.prototype = RealWebSocket.prototype;
`

// Chrome's Local Network Access, for real: the portal is made to count as a
// public (and secure) site, so its requests to the helper on 127.0.0.1 need
// the "loopback-network" permission. On page load, while the browser would
// prompt, the page must not reach for the helper; a denied permission is
// explained; a granted one downloads.
func TestLocalNetworkAccess(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{chips: 1, chipSize: "1MiB"})
	portalHost := strings.TrimPrefix(s.portalURL, "http://")
	b := newBrowser(t,
		chromedp.Flag("ip-address-space-overrides", portalHost+"=public"),
		chromedp.Flag("unsafely-treat-insecure-origin-as-secure", s.portalURL))
	portal := b.page(b.ctx, "portal")
	if _, err := chromedp.Call(b.ctx, cdppage.AddScriptToEvaluateOnNewDocument,
		cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: recordRequests}); err != nil {
		t.Fatal(err)
	}
	helperPort := ":" + strconv.Itoa(s.helper.port)
	requestsToHelper := func() []string {
		var out []string
		for _, u := range evalOn[[]string](portal, `window.__requests || []`) {
			if strings.Contains(u, helperPort) {
				out = append(out, u)
			}
		}
		return out
	}
	setPermission := func(setting cdpbrowser.PermissionSetting) {
		t.Helper()
		_, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: "loopback-network"}, Setting: setting, Origin: s.portalURL,
		})
		if err != nil {
			t.Fatalf("set the loopback-network permission to %s: %v", setting, err)
		}
	}

	s.signIn(portal)
	if state := evalOn[string](portal, `navigator.permissions.query({name: "loopback-network"}).then(p => p.state)`); state != "prompt" {
		t.Fatalf("loopback-network permission is %q before any choice; want prompt (is the override flag still honoured?)", state)
	}

	t.Run("the page does not reach for the helper on load while the browser would prompt", func(t *testing.T) {
		// A job remembered from an earlier visit makes the page want to reattach.
		evalOn[chromedp.Void](portal, `localStorage.setItem("dlhelper-job:`+orderID+`", "job-from-an-earlier-visit")`)
		portal.navigate(s.portalURL + "/")
		portal.waitFor("the order page", `document.querySelectorAll("#rows tr").length > 0`, 10*time.Second)
		code := evalOn[string](portal, fmt.Sprintf(`import("/sdk/dlhelper.js").then(m => m.connect({ports: [%d]})).then(() => "connected", e => e.code)`, s.helper.port))
		if code != "needs_gesture" {
			t.Errorf("connect() without a click while the permission is \"prompt\" gave %q, want needs_gesture", code)
		}
		if got := requestsToHelper(); len(got) > 0 {
			t.Errorf("the page reached for the helper without a click: %q", got)
		}
	})

	t.Run("a denied permission is explained", func(t *testing.T) {
		setPermission(cdpbrowser.PermissionSettingDenied)
		portal.click("#download")
		portal.waitFor("the permission message", jsNoticeKind+` === "error" && document.body.classList.contains("fallback")`, 15*time.Second)
		if title := evalOn[string](portal, jsNoticeTitle); !strings.Contains(title, "blocked") {
			t.Errorf("notice %q, want the permission-denied one", title)
		}
		portal.screenshot("permission-denied")
	})

	t.Run("a granted permission downloads, and a reload finds the job again", func(t *testing.T) {
		setPermission(cdpbrowser.PermissionSettingGranted)
		portal.navigate(s.portalURL + "/")
		portal.waitFor("the order page", `document.querySelectorAll("#rows tr").length > 0`, 10*time.Second)
		portal.click("#download")
		portal.waitFor("the order to complete", stateIs("completed"), 30*time.Second)
		s.checkFiles()

		// Opened again, the page finds its job without a click: the
		// permission is granted, so asking cannot prompt.
		portal.navigate(s.portalURL + "/")
		portal.waitFor("the page to reattach to the completed order", stateIs("completed")+` && `+jsNoticeKind+` === "ok"`, 15*time.Second)
	})
}
