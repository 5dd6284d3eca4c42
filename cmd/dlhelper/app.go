package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"dlhelper/internal/brand"
	"dlhelper/tray"
)

// The desktop helper: "dlhelper" with no arguments, and "dlhelper open
// [dlhelper://…]", which is what the link handler and the menu entry run.
// It takes the per-user instance lock (or hands over to the helper that
// holds it), starts the server, and shows the tray icon until Quit, SIGINT
// or SIGTERM; without a display it runs headless. Either way it shuts down
// in order: the server stops taking requests, and the Manager checkpoints
// and stops every transfer, so the next start resumes them.

// appOptions are the serve options plus the desktop's own.
type appOptions struct {
	serve    serveOptions
	headless bool
	links    []*url.URL // dlhelper:// links to act on
}

// appEnv is what the helper's parts share: its logger, and how it opens a
// folder or a page in the user's desktop.
type appEnv struct {
	log  *slog.Logger
	open func(target string) error
	// order hands a ticket from a dlhelper://order link to the running
	// helper (trust.go); nil where there is none yet.
	order func(ticket string) error
}

// runTrayApp runs the desktop helper; the arguments are serve's flags,
// -headless, and dlhelper:// links.
func runTrayApp(args []string, stdout, stderr io.Writer) int {
	o, err := parseApp(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "dlhelper: %v\n", err)
		return 2
	}
	detachConsole()
	log, logFile := openLog(o.serve.State, stderr)
	defer logFile.Close()
	a := appEnv{log: log, open: openInDesktop}

	in, err := acquireInstance(o.serve.State)
	if errors.Is(err, errRunning) {
		return a.exit(handOff(o.serve.State, o.links, a), stderr)
	}
	if err != nil {
		return a.exit(err, stderr)
	}
	defer in.release()
	err = runHelper(o, a)
	if exe := executableToRestart(err); exe != "" {
		in.release() // before the new program asks for it (Windows starts it beside this one)
		err = restartSelf(exe, log)
	}
	return a.exit(err, stderr)
}

// exit logs err and says it on stderr, and turns it into an exit code.
func (a appEnv) exit(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	a.log.Error("dlhelper stopped", "err", err)
	fmt.Fprintf(stderr, "dlhelper: %v\n", err)
	return 1
}

// parseApp reads a link start (see link.go), or takes -headless out of
// args and parses the rest as serve's flags (and config file).
func parseApp(args []string, stderr io.Writer) (appOptions, error) {
	if isLinkStart(args) {
		return parseLinkStart(args, stderr)
	}
	var o appOptions
	var rest []string
	for _, arg := range args {
		if v, ok := boolFlag(arg, "headless"); ok {
			o.headless = v
			continue
		}
		rest = append(rest, arg)
	}
	so, err := parseServe(rest, stderr)
	o.serve = so
	return o, err
}

// boolFlag reads "-name", "--name", "-name=v" and "--name=v".
func boolFlag(arg, name string) (value, ok bool) {
	arg = strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-")
	if arg == name {
		return true, true
	}
	v, found := strings.CutPrefix(arg, name+"=")
	if !found {
		return false, false
	}
	b, err := strconv.ParseBool(v)
	return b, err == nil
}

// parseLink checks a dlhelper:// link. Its content comes from a web page, so
// it is only ever matched against the actions below, never run or opened.
func parseLink(s string) (*url.URL, error) {
	const maxLink = 2048
	u, err := url.Parse(s)
	if err != nil || len(s) > maxLink || !strings.EqualFold(u.Scheme, "dlhelper") {
		return nil, fmt.Errorf("%.80q is not a dlhelper:// link", s)
	}
	return u, nil
}

// linkAction is what a link asks for: "start" for dlhelper://start.
func linkAction(u *url.URL) string {
	name := u.Host
	if name == "" {
		name = strings.TrimLeft(u.Opaque, "/")
	}
	return strings.ToLower(strings.Trim(name, "/"))
}

// followLink does what a link asks of the running helper. statusPage
// mints the one-time link that logs the browser in to the status page
// (the bare address shows only how to get one).
func followLink(u *url.URL, statusPage func() (string, error), a appEnv) {
	switch linkAction(u) {
	case "start":
		// The helper runs, which is all a portal asks when it starts one.
	case "order":
		followOrder(u, a)
	case "status", "approve":
		page, err := statusPage()
		if err == nil && linkAction(u) == "approve" {
			page += "&to=approve" // the approval page (bridge.Server.ApprovalPageURL)
		}
		if err == nil {
			err = a.open(page)
		}
		if err != nil {
			a.log.Warn("could not open the status page", "err", err)
		}
	default:
		a.log.Warn("ignoring a dlhelper:// link this version does not know", "link", u.Redacted())
	}
}

func linkStrings(links []*url.URL) []string {
	s := make([]string, len(links))
	for i, l := range links {
		s[i] = l.Redacted()
	}
	return s
}

func statusURL(port int) string { return "http://127.0.0.1:" + strconv.Itoa(port) + "/" }

// runHelper runs the server, and the tray when there is a display, until
// Quit or a signal, then shuts the server down.
func runHelper(o appOptions, a appEnv) error {
	trayErr := trayAvailable(o) // nil when there is a tray to show
	var openFolder func(string) error
	if trayErr == nil {
		openFolder = a.open // the status page's "Open folder"
	}
	srv, err := startServer(o.serve, openFolder, a.log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() { stopWithServer(ctx, stop, srv, a) })
	a.order = srv.submitTicket
	for _, l := range o.links {
		followLink(l, srv.statusPage, a)
	}
	if trayErr != nil {
		a.log.Info("running headless, without a tray icon", "reason", trayErr.Error())
		<-ctx.Done()
	} else {
		runTray(ctx, stop, srv, o, a)
	}
	stop()
	wg.Wait()
	a.log.Info("shutting down: stopping transfers and saving their progress")
	if err := srv.close(); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	a.log.Info("stopped cleanly")
	return srv.updates.restartNeeded()
}

// stopWithServer ends the app if the HTTP server stops by itself (it
// should not): a tray over a helper no page can reach would mislead.
func stopWithServer(ctx context.Context, stop context.CancelFunc, srv *server, a appEnv) {
	select {
	case <-srv.done:
		a.log.Error("the server stopped by itself", "err", srv.serveErr)
		stop()
	case <-srv.updates.installed():
		stop()
	case <-ctx.Done():
	}
}

func trayAvailable(o appOptions) error {
	if o.headless {
		return fmt.Errorf("%w: -headless was given", tray.ErrNoDisplay)
	}
	return tray.Available()
}

// runTray shows the tray icon and its menu until ctx ends or the menu's
// Quit calls stop. It owns the menu's goroutine and the one that ends the
// tray with ctx, and waits for both.
func runTray(ctx context.Context, stop context.CancelFunc, srv *server, o appOptions, a appEnv) {
	menu := tray.New(srv.manager, tray.Options{
		AppName:         brand.Get().ProductName,
		OpenFolder:      func() error { return a.open(srv.manager.Root()) }, // the one chosen in Settings
		OpenStatusPage:  func() error { return a.open(srv.bridge.StatusPageURL()) },
		StartAtLogin:    autostartEnabled,
		SetStartAtLogin: setAutostart,
		Quit:            stop,
		Notify:          tray.DesktopNotifier("dlhelper"),
		Lang:            tray.SystemLang(),
		Logger:          a.log,
	})
	uis := make(chan tray.UI, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case ui := <-uis:
			if err := menu.Run(ctx, ui); err != nil {
				a.log.Error("the tray menu stopped", "err", err)
			}
		case <-ctx.Done():
		}
	})
	wg.Go(func() {
		<-ctx.Done()
		tray.QuitSystray()
	})
	tray.RunSystray(func(ui tray.UI) {
		a.log.Info("tray icon shown")
		uis <- ui
	}, nil)
	stop()
	wg.Wait()
}

// openInDesktop opens a folder or a URL with the desktop's default app.
func openInDesktop(target string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", target)
	case "darwin":
		cmd = exec.Command("open", target)
	default:
		cmd = exec.Command("xdg-open", target)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("open %s: %w", target, err)
	}
	// The opener hands over to the real app and exits; reap it so no zombie
	// is left. The goroutine ends with it.
	go cmd.Wait()
	return nil
}
