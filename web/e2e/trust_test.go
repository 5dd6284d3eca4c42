package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Issue 17, part 1: a portal dlhelper does not trust yet asks, and the user
// answers on dlhelper's own page, never on the portal's.

// approvalLink is the one-time link dlhelper opens when a portal asks (the
// same "dlhelper open dlhelper://approve" builds).
func (h *helperProc) approvalLink(t *testing.T) string {
	return h.statusLink(t) + "&to=approve"
}

// helloFrom is GET /v1/hello as a page of origin sends it.
func (h *helperProc) helloFrom(t *testing.T, origin string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.url()+"/v1/hello", nil)
	req.Header.Set("Origin", origin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func question(origin, answer string) string {
	return fmt.Sprintf(`.question[data-origin=%q] button[data-answer=%q]`, origin, answer)
}

// askFromPortal signs in and clicks "Download with helper" until the page
// says to answer in dlhelper; it returns the approval page, opened as
// dlhelper would open it.
func askFromPortal(t *testing.T, s *stack, b *browser) (portal, approve *page) {
	t.Helper()
	portal = b.page(b.ctx, "portal")
	s.signIn(portal)
	if code := s.helper.helloFrom(t, s.portalURL); code != http.StatusForbidden {
		t.Fatalf("before any answer the helper answers the portal with HTTP %d, want 403", code)
	}
	portal.click("#download")
	portal.waitFor("the page to say: answer in dlhelper", jsNoticeTitle+` === "Answer in dlhelper"`, settle)
	portal.screenshot("needs-approval")
	approve = b.page(b.tab("approve"), "approve")
	watchViolations(t, approve)
	approve.navigate(s.helper.approvalLink(t))
	approve.waitFor("the portal's question", `document.querySelector(`+jsString(question(s.portalURL, "allow"))+`)`, settle)
	if text := approve.text(); !strings.Contains(text, "Allow "+s.portalURL) {
		t.Errorf("the question does not name the portal: %q", text)
	}
	approve.screenshot("question")
	return portal, approve
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }

// Allowed on dlhelper's page, the portal's page carries on by itself: the
// order downloads without another click, and the portal is listed in the
// settings with when it was allowed, where Remove ends the trust.
func TestAPortalAllowedOnTheHelpersPageDownloads(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{chips: 2, chipSize: "1MiB", untrusted: true})
	b := newBrowser(t)
	portal, approve := askFromPortal(t, s, b)

	approve.click(question(s.portalURL, "allow"))
	approve.waitFor("the answer taken", `document.body.dataset.answered === "allow" && document.querySelector('#trusted [data-origin=`+jsString(s.portalURL)+`][data-until="always"]')`, settle)
	portal.waitFor("the order to complete without another click", stateIs("completed")+` && `+jsTotalPct+` === 100`, 60*time.Second)
	s.checkFiles()
	approve.screenshot("allowed")

	status := b.page(b.tab("status"), "status")
	status.navigate(s.helper.statusLink(t))
	status.click("#open-settings")
	item := `#trusted-portals [data-origin=` + jsString(s.portalURL) + `]`
	status.waitFor("the portal in the settings", `document.querySelector(`+jsString(item)+`) && document.querySelector(`+jsString(item)+`).textContent.includes("allowed ")`, settle)
	status.screenshot("settings-trusted")
	status.click(item + " .trusted-remove")
	status.waitFor("the portal gone from the settings", `!document.querySelector(`+jsString(item)+`)`, settle)
	if code := s.helper.helloFrom(t, s.portalURL); code != http.StatusForbidden {
		t.Errorf("after Remove the helper answers the portal with HTTP %d, want 403", code)
	}
}

// Denied on dlhelper's page, the portal's page says so and offers the
// browser's downloads; the portal stays untrusted and cannot ask again at
// once.
func TestAPortalDeniedOnTheHelpersPage(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{chips: 1, chipSize: "1MiB", untrusted: true})
	b := newBrowser(t)
	portal, approve := askFromPortal(t, s, b)

	approve.click(question(s.portalURL, "deny"))
	approve.waitFor("the answer taken", `document.body.dataset.answered === "deny"`, settle)
	portal.waitFor("the page to report the denial", jsNoticeTitle+` === "dlhelper does not trust this portal" && document.body.classList.contains("fallback")`, settle)
	portal.screenshot("denied")
	if code := s.helper.helloFrom(t, s.portalURL); code != http.StatusForbidden {
		t.Errorf("after Deny the helper answers the portal with HTTP %d, want 403", code)
	}
	// Clicked again, the page is told no at once: the helper does not ask
	// its user again about a portal just denied.
	evalOn[chromedp.Void](portal, `document.getElementById("notice-title").textContent = ""`)
	portal.click("#download")
	portal.waitFor("the denial again", jsNoticeTitle+` === "dlhelper does not trust this portal"`, settle)
	if n := s.helper.count("a portal asks to be trusted\""); n != 1 {
		t.Errorf("the helper asked its user %d times, want once", n)
	}
}

// A page that frames dlhelper's approval page, to lay its own buttons over
// Allow, gets an error page in the frame: the approval page forbids every
// ancestor.
func TestTheApprovalPageCannotBeFramed(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{chips: 1, chipSize: "1MiB", untrusted: true})
	link := s.helper.approvalLink(t)
	framer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><title>framer</title><iframe id="f" width="800" height="600" src=%q></iframe>`, link)
	}))
	defer framer.Close()
	b := newBrowser(t)
	p := b.page(b.ctx, "framer")
	committed := make(chan string, 8) // what the frame shows, each time it changes
	err := chromedp.Listen(p.ctx, func(ev any) {
		if e, ok := ev.(*cdppage.EventFrameNavigated); ok && e.Frame.ParentID != "" {
			select {
			case committed <- e.Frame.URL:
			default:
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	p.navigate(framer.URL)
	select {
	case u := <-committed:
		p.screenshot("framed")
		if !strings.HasPrefix(u, "chrome-error://") {
			t.Fatalf("the framed approval page loaded (the frame shows %q); it must be refused", u)
		}
	case <-time.After(settle):
		t.Fatal("the frame never showed anything")
	}
}
