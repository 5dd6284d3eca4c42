package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser is one headless Chromium with a fresh profile, and its first tab.
type browser struct {
	t   *testing.T
	ctx context.Context // the first tab; cancel ends the browser
}

// newBrowser starts Chromium with the flags the suite needs plus extra.
// A missing Chromium fails in CI and skips elsewhere.
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	path, err := chromiumPath()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("Chromium is not installed at /usr/bin/chromium; CI must run `make setup` (sudo apt-get install chromium) before the tests")
		}
		t.Skip("Chromium is not installed (sudo apt-get install chromium, or set $CHROMIUM); skipping the browser tests outside CI")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // CI runs as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		// The suite stays on loopback: no name resolves except localhost,
		// and the browser's own background traffic is off.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1"),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,OptimizationHints,MediaRouter,"+
			"DialMediaRouteProvider,AutofillServerCommunication,CertificateTransparencyComponentUpdater"),
		chromedp.WindowSize(1280, 860),
	)
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx}
	b.watchConsole(ctx, "tab")
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no deadline
		t.Fatalf("start Chromium: %v", err)
	}
	return b
}

// tab opens another tab in the same browser.
func (b *browser) tab(name string) context.Context {
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	b.watchConsole(ctx, name)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// watchConsole logs the page's uncaught exceptions and console errors: a
// failing step then says why.
func (b *browser) watchConsole(ctx context.Context, name string) {
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	console := chromedp.Events(ctx, runtime.ConsoleAPICalled)
	logf := func(format string, args ...any) {
		defer func() { recover() }() // the test may have ended
		b.t.Logf(format, args...)
	}
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			logf("%s: uncaught exception: %s", name, exceptionText(ev.ExceptionDetails))
		}
	}()
	go func() {
		for ev, err := range console {
			if err != nil {
				return
			}
			if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeWarning {
				continue
			}
			var parts []string
			for _, a := range ev.Args {
				if a.Value != nil {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			logf("%s: console.%s: %s", name, ev.Type, strings.Join(parts, " "))
		}
	}()
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return ""
	}
	if d.Exception != nil && d.Exception.Description != "" {
		return d.Exception.Description
	}
	return d.Text
}

// page is a tab the test drives; every step has a deadline and a failure
// leaves a screenshot.
type page struct {
	t    *testing.T
	ctx  context.Context
	name string
}

func (b *browser) page(ctx context.Context, name string) *page {
	return &page{t: b.t, ctx: ctx, name: name}
}

const stepTimeout = 30 * time.Second

// settle bounds the wait for a page, or the fake helper, to show what an
// event or a click changed: usually well under a second, but the pages
// share two cores with the race-enabled tests of every other package, so
// the bound is generous. It is a bound, not a speed check.
const settle = 30 * time.Second

func (p *page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fail("%s: %v", what, err)
	}
}

func (p *page) navigate(url string) {
	p.t.Helper()
	p.do("open "+url, chromedp.Navigate(url))
}

func (p *page) click(sel string) {
	p.t.Helper()
	p.do("click "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// waitFor evaluates a JavaScript condition every 100 ms until it is true.
// Errors count as "not yet": the page may be between two documents.
func (p *page) waitFor(what, cond string, within time.Duration) {
	p.t.Helper()
	start := time.Now()
	deadline := start.Add(within)
	var lastErr error
	for {
		ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+cond+`)`))
		cancel()
		if err == nil && ok {
			p.t.Logf("%s: %s after %v", p.name, what, time.Since(start).Round(100*time.Millisecond))
			return
		}
		if err != nil {
			lastErr = err
		}
		if time.Now().After(deadline) {
			p.fail("waiting %v for %s (%s); last error: %v", within, what, cond, lastErr)
		}
		select {
		case <-p.ctx.Done():
			p.fail("waiting for %s: %v", what, p.ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func evalOn[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.fail("evaluate %s: %v", expr, err)
	}
	return v
}

// text is the visible text of the page, for failure messages.
func (p *page) text() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return fmt.Sprintf("(no text: %v)", err)
	}
	return s
}

func (p *page) fail(format string, args ...any) {
	p.t.Helper()
	p.screenshot("failed-" + p.name)
	p.t.Fatalf("%s: %s\npage text:\n%s", p.name, fmt.Sprintf(format, args...), p.text())
}

// screenshot saves the whole page, from its top, as artifacts/TEST-name.png.
func (p *page) screenshot(name string) string {
	p.t.Helper()
	return p.capture(name, chromedp.FullScreenshot(100))
}

// viewport saves what the window shows (a dialog over the page, say).
func (p *page) viewport(name string) string {
	p.t.Helper()
	return p.capture(name, chromedp.CaptureScreenshot())
}

func (p *page) capture(name string, shot chromedp.Action[[]byte]) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	// From the top, so a sticky bar is where a person sees it.
	_, _ = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	buf, err := chromedp.Run(ctx, shot)
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(artifactsDir(p.t), fileName(p.t.Name())+"-"+name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Errorf("save screenshot: %v", err)
		return ""
	}
	p.t.Logf("screenshot: %s", path)
	return path
}

var artifacts struct {
	once sync.Once
	dir  string
	err  error
}

// artifactsDir is $DLHELPER_ARTIFACTS, else dlhelper-e2e-artifacts in the
// temporary folder; it outlives the test so the screenshots can be looked at.
func artifactsDir(t *testing.T) string {
	artifacts.once.Do(func() {
		artifacts.dir = os.Getenv("DLHELPER_ARTIFACTS")
		if artifacts.dir == "" {
			artifacts.dir = filepath.Join(os.TempDir(), "dlhelper-e2e-artifacts")
		}
		artifacts.err = os.MkdirAll(artifacts.dir, 0o755)
	})
	if artifacts.err != nil {
		t.Fatalf("artifacts folder: %v", artifacts.err)
	}
	return artifacts.dir
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func fileName(s string) string { return strings.Trim(unsafeName.ReplaceAllString(s, "_"), "_") }
