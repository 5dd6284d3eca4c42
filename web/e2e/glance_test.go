package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Issue 19: a 200-file order at a glance on the status page: a summary, a
// filter that starts on what matters now, each distinct error said once
// with the number of files it hit, and a layout that works from 360 px.
func TestLongOrderAtAGlance(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 17, 10, 0, 0, 0, time.UTC)
	const mib = 1 << 20
	diskFull := map[string]string{"code": "disk_full", "message": "The disk is full. Free some space, then resume the download; the bytes already fetched are kept."}
	big := fakeJob("big", "DL-2026-0107", "failed", now, 200, 8*mib, func(i int) (string, int64, map[string]string) {
		switch {
		case i < 70:
			return "completed", 8 * mib, nil
		case i < 82:
			return "failed", 3 * mib, diskFull
		case i < 85:
			return "downloading", 2 * mib, nil
		}
		return "queued", 0, nil
	})
	f := newFakeHelper(t, big)
	b := newBrowser(t)
	p := b.page(b.ctx, "status")
	visible := func(sel string) int {
		return evalOn[int](p, fmt.Sprintf(`[...document.querySelectorAll(%q)].filter(e => !e.hidden).length`, sel))
	}
	for _, lang := range []string{"en", "zh"} {
		p.do("1280 px", chromedp.EmulateViewport(1280, 900))
		p.navigate(f.srv.URL + "/?lang=" + lang)
		p.waitFor("the order", `document.querySelectorAll(".job").length === 1 && document.getElementById("conn").dataset.state === "open"`, settle)
		alert := evalOn[string](p, `document.querySelector(".job-alert").textContent`)
		sentence := map[string]string{"en": "The disk is full", "zh": "磁盘已满"}[lang]
		if strings.Count(alert, sentence) != 1 || !strings.Contains(alert, map[string]string{"en": "12 files:", "zh": "12 个文件："}[lang]) {
			t.Errorf("%s: the alert %q should say the disk-full sentence once, for 12 files", lang, alert)
		}
		if label := evalOn[string](p, `document.querySelector(".files-label").textContent`); !strings.Contains(label, map[string]string{"en": "70 of 200 files done", "zh": "已完成 70 / 200"}[lang]) {
			t.Errorf("%s: the order's summary is %q", lang, label)
		}
		p.click(".alert-show")
		p.waitFor("the failed files alone", `document.querySelectorAll(".file").length === 200`, settle)
		if n := visible(".file"); n != 12 {
			t.Errorf("%s: %d rows shown under \"Needs attention\", want the 12 failed", lang, n)
		}
		if n := visible(".file-error"); n != 0 {
			t.Errorf("%s: %d rows repeat the error sentence under the file", lang, n)
		}
		shot(t, p, "status-failed-"+lang+"-1280")
		p.click(`.chip[data-filter="active"]`)
		if n := visible(".file"); n != 118 {
			t.Errorf("%s: %d rows shown under \"In progress\", want 118 (3 downloading, 115 queued)", lang, n)
		}
		for _, w := range []int64{400, 360} {
			p.do(fmt.Sprint(w, " px"), chromedp.EmulateViewport(w, 780))
			if over := evalOn[int](p, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
				t.Errorf("%s at %d px: the page is %d px wider than the window", lang, w, over)
			}
			for _, id := range []string{"pause-all", "resume-all", "open-settings", "lang"} {
				if r := evalOn[float64](p, `(() => { const r = document.getElementById("`+id+`").getBoundingClientRect(); return r.width > 0 ? r.right : -1 })()`); r < 0 || r > float64(w) {
					t.Errorf("%s at %d px: #%s is not on screen (right edge %v)", lang, w, id, r)
				}
			}
			shot(t, p, fmt.Sprintf("status-active-%s-%d", lang, w))
		}
	}
}

// shot saves a screenshot of the window where the screenshots go.
func shot(t *testing.T, p *page, name string) {
	t.Helper()
	p.capture(name, chromedp.CaptureScreenshot())
}
