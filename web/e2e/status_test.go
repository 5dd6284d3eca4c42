package e2e

import (
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// recordViolations notes every Content-Security-Policy violation of the
// page: the status page must work under the helper's strict policy.
const recordViolations = `
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
`

// watchViolations records the violations of every document the tab opens.
func watchViolations(t *testing.T, p *page) {
	t.Helper()
	if _, err := chromedp.Call(p.ctx, cdppage.AddScriptToEvaluateOnNewDocument,
		cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: recordViolations}); err != nil {
		t.Fatal(err)
	}
}

func checkNoViolations(t *testing.T, p *page) {
	t.Helper()
	if v := evalOn[[]string](p, `window.__violations || []`); len(v) > 0 {
		t.Errorf("the page broke its Content-Security-Policy: %q", v)
	}
}

// The status page with the states a customer must understand: a 200-file
// order (its files folded away until asked for), failed files with the
// reason in plain words, a link that expired, a completed order; live
// progress; the actions and the settings reach the helper; Chinese too.
func TestStatusPage(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 17, 10, 0, 0, 0, time.UTC)
	const mib = 1 << 20
	big := fakeJob("big", "DL-2026-0107", "running", now, 200, 96*mib, func(i int) (string, int64, map[string]string) {
		switch {
		case i < 61:
			return "completed", 96 * mib, nil
		case i < 66:
			return "downloading", int64(i-60) * 15 * mib, nil
		}
		return "queued", 0, nil
	})
	failed := fakeJob("failed", "DL-2026-0099", "failed", now.Add(-time.Hour), 24, 48*mib, func(i int) (string, int64, map[string]string) {
		switch i {
		case 3:
			return "failed", 20 * mib, map[string]string{"code": "disk_full", "message": "The disk is full. Free some space, then resume the download; the bytes already fetched are kept."}
		case 7:
			return "failed", 48 * mib, map[string]string{"code": "checksum_mismatch", "message": "The downloaded file does not match its SHA-256 checksum, so it was deleted. Retry the download; if it fails again, tell the portal's support."}
		}
		return "completed", 48 * mib, nil
	})
	waiting := fakeJob("waiting", "DL-2026-0098", "waiting", now.Add(-2*time.Hour), 6, 32*mib, func(i int) (string, int64, map[string]string) {
		if i == 4 {
			return "url_expired", 11 * mib, map[string]string{"code": "url_expired", "message": "The download link has expired. Open the order in the portal again to refresh it; the bytes already fetched are kept."}
		}
		if i == 5 {
			return "queued", 0, nil
		}
		return "completed", 32 * mib, nil
	})
	done := fakeJob("done", "DL-2026-0042", "completed", now.Add(-24*time.Hour), 6, 8*mib, func(int) (string, int64, map[string]string) {
		return "completed", 8 * mib, nil
	})
	f := newFakeHelper(t, big, failed, waiting, done)
	f.settings = map[string]any{"dir": "/home/li/Downloads", "connections": 8, "maxActiveFiles": 5, "rateLimit": 0}

	b := newBrowser(t)
	p := b.page(b.ctx, "status")
	watchViolations(t, p)
	p.navigate(f.srv.URL + "/?lang=en")
	p.waitFor("four jobs", `document.querySelectorAll(".job").length === 4 && document.getElementById("conn").dataset.state === "open"`, 10*time.Second)

	t.Run("a 200-file order starts folded and unfolds", func(t *testing.T) {
		if !evalOn[bool](p, `document.querySelector('.job[data-id="big"] .file-list').hidden`) {
			t.Error("the 200-file list is unfolded before anyone asked")
		}
		p.click(`.job[data-id="big"] .files-toggle`)
		p.waitFor("200 file rows", `document.querySelectorAll('.job[data-id="big"] .file').length === 200`, settle)
		p.screenshot("overview")
	})

	t.Run("failed files say why in plain words", func(t *testing.T) {
		alert := evalOn[string](p, `document.querySelector('.job[data-id="failed"] .job-alert').textContent`)
		for _, want := range []string{"2 files need attention", "The disk is full", "does not match its SHA-256"} {
			if !strings.Contains(alert, want) {
				t.Errorf("failed job's alert %q lacks %q", alert, want)
			}
		}
		if w := evalOn[string](p, `document.querySelector('.job[data-id="waiting"] .job-alert').textContent`); !strings.Contains(w, "link expired") {
			t.Errorf("waiting job's alert %q does not say a link expired", w)
		}
	})

	t.Run("progress is live", func(t *testing.T) {
		f.send(map[string]any{"type": "job.progress", "job": "big",
			"progress": map[string]any{"total": 200 * 96 * mib, "done": 100 * 96 * mib, "speed": 30 * mib, "eta": 320},
			"files":    []map[string]any{{"index": 61, "done": 96 * mib, "size": 96 * mib, "speed": 0}}})
		p.waitFor("50% on the big order", `document.querySelector('.job[data-id="big"] .job-pct').textContent === "50%"`, settle)
		p.waitFor("the file row to fill", `document.querySelector('.job[data-id="big"] .file[data-index="61"] .bar > span').style.width === "100%"`, settle)
	})

	t.Run("actions reach the helper", func(t *testing.T) {
		p.click(`.job[data-id="big"] .job-pause`)
		p.click(`.job[data-id="failed"] .job-retry`)
		p.click(`.job[data-id="done"] .job-open`)
		p.click(`.job[data-id="waiting"] .job-cancel`) // arms the button
		p.click(`.job[data-id="waiting"] .job-cancel`) // confirms
		for _, want := range []string{"POST /v1/jobs/big/pause", "POST /v1/jobs/failed/retry", "POST /v1/jobs/done/open", "POST /v1/jobs/waiting/cancel"} {
			if f.waitCall(want, settle) == "" {
				t.Errorf("the helper got no %s", want)
			}
		}
	})

	t.Run("settings are read and saved", func(t *testing.T) {
		p.click("#open-settings")
		p.waitFor("the settings dialog", `document.getElementById("settings").open && document.getElementById("set-dir").value === "/home/li/Downloads"`, settle)
		p.viewport("settings")
		p.do("set a speed limit", chromedp.SetValue(chromedp.CSS("#set-limit"), "5"))
		p.click("#save-settings")
		p.waitFor("the dialog to close", `!document.getElementById("settings").open`, settle)
		if got := f.waitCall("PUT /v1/settings", settle); !strings.Contains(got, `"rateLimit":5242880`) {
			t.Errorf("settings sent as %q, want rateLimit 5242880 (5 MB/s)", got)
		}
	})

	t.Run("Chinese", func(t *testing.T) {
		p.click("#lang")
		p.waitFor("Chinese words", `document.documentElement.lang === "zh-CN" && document.querySelector("h1").textContent === "下载"`, settle)
		alert := evalOn[string](p, `document.querySelector('.job[data-id="failed"] .job-alert').textContent`)
		if !strings.Contains(alert, "磁盘已满") {
			t.Errorf("the failed job's alert in Chinese is %q; want the disk-full message in Chinese", alert)
		}
		p.screenshot("zh")
	})

	t.Run("a helper without settings says so", func(t *testing.T) {
		f.mu.Lock()
		f.settings = nil
		f.mu.Unlock()
		p.click("#open-settings")
		p.waitFor("the missing-settings note", `document.getElementById("settings").open && !document.getElementById("settings-missing").hidden && document.getElementById("save-settings").disabled`, settle)
	})

	checkNoViolations(t, p)
}
