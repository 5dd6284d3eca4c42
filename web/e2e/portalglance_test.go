package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// jsLayoutProblems lists what a customer could not see or reach on the
// portal page at the window's width: the page wider than the window, the
// header's Orders link wrapping (订单 one character a line) or "Sign out"
// off-screen, the summary or a filter chip off-screen, and, for the first
// rows shown, the progress bar or the browser link missing or off-screen
// (the notices tell the customer to "use the links below").
const jsLayoutProblems = `(() => {
  const w = window.innerWidth, out = [];
  const over = document.documentElement.scrollWidth - w;
  if (over > 0) {
    // Name the innermost elements that stick out, so a failure says why.
    const wide = [...document.body.querySelectorAll("*")].filter((e) => e.getBoundingClientRect().right > w + 0.5);
    const inner = wide.filter((e) => !wide.some((c) => c !== e && e.contains(c))).slice(0, 3);
    out.push("the page is " + over + " px wider than the window (" + inner.map((e) => e.tagName.toLowerCase() + "." + [...e.classList].join(".") + "#" + e.id).join(", ") + ")");
  }
  const on = (el, what) => {
    if (!el) return out.push(what + " is missing");
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) out.push(what + " is not shown");
    else if (r.left < 0 || r.right > w + 0.5) out.push(what + " is off-screen (" + Math.round(r.left) + " to " + Math.round(r.right) + " px)");
  };
  const nav = document.querySelector(".topnav a");
  on(nav, "the Orders link");
  const text = document.createRange();
  text.selectNodeContents(nav);
  const lines = new Set([...text.getClientRects()].map((r) => Math.round(r.top))).size;
  if (lines !== 1) out.push("the Orders link takes " + lines + " lines");
  on(document.querySelector(".account button"), "Sign out");
  on(document.getElementById("files-summary"), "the order's summary");
  for (const c of document.querySelectorAll("#files-filter .chip")) on(c, "the filter " + c.dataset.filter);
  const rows = [...document.querySelectorAll("#rows tr")].filter((r) => !r.hidden).slice(0, 3);
  if (!rows.length) out.push("no file row is shown");
  for (const r of rows) {
    on(r.querySelector(".col-progress .bar"), "the progress of " + r.dataset.name);
    on(r.querySelector(".browser-link"), "the browser link of " + r.dataset.name);
  }
  return out;
})()`

// jsShownRows says which rows the filter shows and hides, by state, in one
// look (the page redraws as progress comes).
const jsShownRows = `(() => {
  const rows = [...document.querySelectorAll("#rows tr")];
  const chip = document.querySelector('#files-filter .chip[aria-pressed="true"]');
  return JSON.stringify({
    filter: chip ? chip.dataset.filter : "",
    shown: rows.filter((r) => !r.hidden).map((r) => r.dataset.state),
    hidden: rows.filter((r) => r.hidden).map((r) => r.dataset.state),
    summary: document.getElementById("files-summary").textContent,
  });
})()`

type shownRows struct {
	Filter        string
	Shown, Hidden []string
	Summary       string
}

// Issue 19: the demo portal's order at a glance, in English and Chinese,
// from 1280 px down to 360 px: a summary ("3 of 12 files done · 2 in
// progress"), a filter that starts on the files at work in a long order,
// and on narrow screens each file as a card that keeps its progress bar and
// its browser link, under a header that does not overflow. The status page
// links the order back to its portal page.
func TestPortalOrderAtAGlance(t *testing.T) {
	t.Parallel()
	const chips = 12                                                                                                 // a long order: more than 8 files
	s := newStack(t, stackOptions{chips: chips, chipSize: "1MiB", helperArgs: append(limit(1<<19), "--files", "2")}) // 24 s at least
	b := newBrowser(t)
	en := b.page(b.ctx, "portal-en")
	s.signIn(en)
	en.click("#download")
	en.waitFor("the download to start", stateIs("running"), settle)
	// A second tab, in Chinese: its click finds the order's job running
	// (the page reaches for the helper only from a click) and follows it.
	zh := b.page(b.tab("portal-zh"), "portal-zh")
	zh.navigate(s.portalURL + "/?lang=zh")
	zh.click("#download")

	summaries := map[string]*regexp.Regexp{
		"en": regexp.MustCompile(`^\d+ of 12 files done · \d+ in progress`),
		"zh": regexp.MustCompile(`^已完成 \d+ / 12 个文件 · \d+ 个进行中`),
	}
	pages := map[string]*page{"en": en, "zh": zh}
	for _, lang := range []string{"en", "zh"} {
		p := pages[lang]
		p.waitFor("the files at work, filtered", `document.querySelector('#files-filter .chip[aria-pressed="true"]')?.dataset.filter === "active"`, settle)
		got := readShown(t, p)
		if !summaries[lang].MatchString(got.Summary) {
			t.Errorf("%s: mid-download the summary is %q, want it to match %s", lang, got.Summary, summaries[lang])
		}
		for _, st := range got.Shown {
			if st == "completed" || st == "failed" || st == "canceled" {
				t.Errorf("%s: the In progress filter shows a %s file: %+v", lang, st, got)
			}
		}
		for _, st := range got.Hidden {
			if st != "completed" {
				t.Errorf("%s: the In progress filter hides a %q file: %+v", lang, st, got)
			}
		}
		checkPortalLayout(t, p, lang, "downloading")
	}

	en.waitFor("the order to complete", stateIs("completed"), 120*time.Second)
	zh.waitFor("the order to complete", stateIs("completed"), settle)
	done := map[string]string{"en": "12 of 12 files done", "zh": "已完成 12 / 12 个文件"}
	for _, lang := range []string{"en", "zh"} {
		p := pages[lang]
		p.do("1280 px", chromedp.EmulateViewport(1280, 860))
		p.click(`#files-filter .chip[data-filter="done"]`)
		p.waitFor("the done files", `document.querySelector('#files-filter .chip[aria-pressed="true"]')?.dataset.filter === "done"`, settle)
		got := readShown(t, p)
		if got.Summary != done[lang] || len(got.Shown) != chips {
			t.Errorf("%s: completed, the summary is %q with %d rows under Done, want %q and %d", lang, got.Summary, len(got.Shown), done[lang], chips)
		}
		p.click(`#files-filter .chip[data-filter="active"]`)
		if got := readShown(t, p); len(got.Shown) != 0 {
			t.Errorf("%s: completed, In progress shows %d rows, want none", lang, len(got.Shown))
		}
		p.click(`#files-filter .chip[data-filter="all"]`)
		checkPortalLayout(t, p, lang, "completed")
	}
	s.checkFiles()
	checkOpenInPortal(t, s, b)
}

func readShown(t *testing.T, p *page) shownRows {
	t.Helper()
	var got shownRows
	if err := json.Unmarshal([]byte(evalOn[string](p, jsShownRows)), &got); err != nil {
		t.Fatalf("%s: read the rows: %v", p.name, err)
	}
	return got
}

// checkPortalLayout looks at the page at 1280, 400 and 360 px and saves
// what it shows.
func checkPortalLayout(t *testing.T, p *page, lang, phase string) {
	t.Helper()
	for _, w := range []int64{1280, 400, 360} {
		p.do(fmt.Sprint(w, " px"), chromedp.EmulateViewport(w, 860))
		p.do("scroll to the files", chromedp.Evaluate[chromedp.Void](`document.getElementById("files").scrollIntoView()`))
		if problems := evalOn[[]string](p, jsLayoutProblems); len(problems) > 0 {
			t.Errorf("%s, %s, at %d px: %s", lang, phase, w, strings.Join(problems, "; "))
		}
		p.screenshot(fmt.Sprintf("portal-%s-%s-%d", phase, lang, w))
	}
	p.do("1280 px", chromedp.EmulateViewport(1280, 860))
}

// checkOpenInPortal: the job carries the page it came from, and the status
// page links to it; its settings offer the download folder to change.
func checkOpenInPortal(t *testing.T, s *stack, b *browser) {
	t.Helper()
	status := b.page(b.tab("status"), "status")
	status.navigate(s.helper.statusLink(t))
	status.waitFor("the order on the status page", statusStateIs("completed"), settle)
	link := evalOn[[]string](status, `(() => { const a = document.querySelector(".job .job-portal"); return a && !a.hidden ? [a.href, a.textContent, a.rel] : [] })()`)
	if len(link) != 3 || link[0] != s.portalURL+"/" || link[1] != "Open in portal" || !strings.Contains(link[2], "noopener") {
		t.Errorf("the status page's link back to the portal is %q, want %s/, \"Open in portal\", rel noopener", link, s.portalURL)
	}
	status.click("#open-settings")
	status.waitFor("the settings", `document.getElementById("settings").open && document.getElementById("set-dir").value !== ""`, settle)
	if dir := evalOn[string](status, `document.getElementById("set-dir").value`); dir != s.helper.dir {
		t.Errorf("Settings shows the download folder %q, want %q", dir, s.helper.dir)
	}
	if evalOn[bool](status, `document.getElementById("set-dir").disabled`) {
		t.Error("Settings shows the download folder greyed out; the user must be able to change it")
	}
	// dlhelper serve has no desktop: no dialog to offer, the path is typed.
	if !evalOn[bool](status, `document.getElementById("choose-dir").hidden`) {
		t.Error("Settings offers a folder dialog from a helper without a desktop")
	}
	status.viewport("status-settings-folder")
}
