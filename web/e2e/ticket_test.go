package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"dlhelper/bridge"
)

// Issue 17, part 2: orders the helper fetches itself, by ticket.

// helperAPI calls the helper with its token, as a local tool.
func (h *helperProc) helperAPI(t *testing.T, path string, out any) {
	t.Helper()
	token, err := bridge.LoadOrCreateToken(h.state)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, h.url()+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

type jobsAnswer struct {
	Jobs []struct {
		ID, State string
		Done      int64
		Total     int64
	}
}

// waitOrder waits, as the status page would, for dlhelper's only job to
// reach state (a bound, not a speed check).
func (h *helperProc) waitOrder(t *testing.T, state string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(200 * time.Millisecond) // the helper's API has no long poll; its events need a page
	defer tick.Stop()
	var got jobsAnswer
	for {
		h.helperAPI(t, "/v1/jobs", &got)
		if len(got.Jobs) == 1 && got.Jobs[0].State == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting %v for the order to be %s: %+v", within, state, got)
		}
		<-tick.C
	}
}

// The customer sends the order to dlhelper and closes the tab; its links
// expire mid-way (signed for 2 s, the download takes several) and dlhelper
// renews them with the portal alone; every archive arrives intact.
func TestAnOrderByTicketFinishesAfterTheTabClosed(t *testing.T) {
	t.Parallel()
	// One file at a time, so the later files start after their links expired.
	s := newStack(t, stackOptions{chips: 3, chipSize: "2MiB", expiry: "2s", helperArgs: append(limit(1<<20), "--files", "1")})
	b := newBrowser(t)
	tabCtx := b.tab("portal")
	portal := b.page(tabCtx, "portal")
	s.signIn(portal)
	portal.click("#download-ticket")
	portal.waitFor("the page to say which path it took", `document.body.dataset.orderPath === "direct"`, settle)
	portal.screenshot("sent-direct")
	if err := chromedp.Cancel(tabCtx); err != nil { // the customer closes the tab
		t.Fatalf("close the tab: %v", err)
	}
	s.helper.waitOrder(t, "completed", 90*time.Second)
	s.checkFiles()
	if n := s.portal.count(`msg="re-signed for dlhelper"`); n < 1 {
		t.Errorf("the portal re-signed %d links for dlhelper; the links should have expired mid-way (slow the helper down)", n)
	}
	if n := s.portal.count(`msg=re-signed `); n != 0 {
		t.Errorf("the page re-signed %d links after its tab closed", n)
	}
}

// The portal revokes the order: the next renewal is refused, dlhelper
// stops asking and says why.
func TestARevokedOrderTokenStopsRefreshes(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{chips: 3, chipSize: "2MiB", expiry: "2s", helperArgs: append(limit(1<<20), "--files", "1")})
	b := newBrowser(t)
	portal := b.page(b.ctx, "portal")
	s.signIn(portal)
	portal.click("#download-ticket")
	portal.waitFor("the order sent", `document.body.dataset.orderPath === "direct"`, settle)
	order := evalOn[string](portal, `document.body.dataset.orderId`)
	revoked := evalOn[float64](portal, `fetch("/api/orders/`+order+`/revoke", {method: "POST"}).then(r => r.status)`)
	if revoked != http.StatusNoContent {
		t.Fatalf("revoke: HTTP %v", revoked)
	}
	var got struct{ Orders []struct{ Job, Error string } }
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for len(got.Orders) == 0 || got.Orders[0].Error == "" {
		if time.Now().After(deadline) {
			t.Fatalf("dlhelper never said it stopped: %+v", got)
		}
		<-tick.C
		s.helper.helperAPI(t, "/v1/orders", &got)
	}
	if msg := got.Orders[0].Error; !strings.Contains(msg, "revoked") || !strings.Contains(msg, "start the download again") {
		t.Errorf("the error does not say what happened and what to do: %q", msg)
	}
	if n := s.helper.count("stopped renewing an order's links"); n != 1 {
		t.Errorf("dlhelper logged %d stops, want 1", n)
	}
	if n := s.portal.count(`msg="re-signed for dlhelper"`); n != 0 {
		t.Errorf("the portal re-signed %d links after revoking the order", n)
	}
	status := b.page(b.tab("status"), "status")
	status.navigate(s.helper.statusLink(t))
	status.waitFor("the status page to say why the order waits", `[...document.querySelectorAll(".order-stopped")].some(p => p.dataset.job === `+jsString(got.Orders[0].Job)+` && p.textContent.includes("revoked the order"))`, settle)
	status.screenshot("order-revoked")
}

// The browser denies the page Local Network Access: the SDK takes the
// dlhelper://order link instead (the test plays xdg-open, running the
// helper's link handler with the link the page produced). The portal is
// not trusted yet, so dlhelper asks its user, naming the order's size and
// file count; once allowed, the order runs and the page shows the
// progress dlhelper reports to the portal.
func TestAnOrderByLinkWithLocalNetworkAccessDenied(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{chips: 2, chipSize: "1MiB", untrusted: true, noHelper: true})
	// The desktop helper (it holds the instance lock the link start looks
	// for), in a state folder the link start finds through XDG_STATE_HOME.
	xdg := t.TempDir()
	s.helper.state = filepath.Join(xdg, "state", "dlhelper")
	config := filepath.Join(xdg, "config.json")
	if err := os.WriteFile(config, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.helper.proc = startProc(t, "dlhelper", s.helper.bin, "open", "--headless", "--addr", "127.0.0.1:"+strconv.Itoa(s.helper.port),
		"--dir", s.helper.dir, "--state", s.helper.state, "--config", config)
	s.helper.waitHTTP(t, s.helper.url()+"/v1/hello", 20*time.Second)

	portalHost := strings.TrimPrefix(s.portalURL, "http://")
	b := newBrowser(t,
		chromedp.Flag("ip-address-space-overrides", portalHost+"=public"),
		chromedp.Flag("unsafely-treat-insecure-origin-as-secure", s.portalURL))
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
		Permission: &cdpbrowser.PermissionDescriptor{Name: "loopback-network"}, Setting: cdpbrowser.PermissionSettingDenied, Origin: s.portalURL,
	}); err != nil {
		t.Fatalf("deny the loopback-network permission: %v", err)
	}
	portal := b.page(b.ctx, "portal")
	s.signIn(portal)
	portal.click("#download-ticket")
	portal.waitFor("the page to take the link", `document.body.dataset.orderPath === "link"`, settle)
	link := evalOn[string](portal, `document.body.dataset.orderLink`)
	if !strings.HasPrefix(link, "dlhelper://order?ticket=") {
		t.Fatalf("the page produced %q", link)
	}
	portal.screenshot("sent-by-link")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	open := exec.CommandContext(ctx, s.helper.bin, "open", "--single-argument", link)
	open.Env = append(os.Environ(), "XDG_STATE_HOME="+filepath.Join(xdg, "state"), "XDG_CONFIG_HOME="+filepath.Join(xdg, "no-config"))
	if out, err := open.CombinedOutput(); err != nil {
		t.Fatalf("dlhelper open %s: %v\n%s", link, err, out)
	}

	approve := b.page(b.tab("approve"), "approve")
	approve.navigate(s.helper.approvalLink(t))
	approve.waitFor("the portal's question", `document.querySelector(`+jsString(question(s.portalURL, "allow"))+`)`, settle)
	if text := approve.text(); !strings.Contains(text, "2 files") || !strings.Contains(text, "MB") && !strings.Contains(text, "MiB") {
		t.Errorf("the question does not name the order's size and file count: %q", text)
	}
	approve.screenshot("order-question")
	approve.click(question(s.portalURL, "allow"))
	portal.waitFor("the page to show dlhelper's report of the finished order", `document.body.dataset.orderState === "completed" && document.getElementById("notice-title").textContent === "dlhelper finished the order"`, 60*time.Second)
	portal.screenshot("link-order-done")
	s.checkFiles()
}
