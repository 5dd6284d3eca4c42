package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"dlhelper/bridge"
	"dlhelper/downloader"
	"dlhelper/internal/brand"
	"dlhelper/tray"
	"dlhelper/web"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// parseServe reads serve's flags over the config file over the defaults,
// and checks the result.
func parseServe(args []string, stderr io.Writer) (serveOptions, error) {
	fs := flag.NewFlagSet("dlhelper serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", defaultConfigPath(), "JSON config file; flags win over it (--config= for none)")
	fs.Bool("headless", true, "run without a tray icon (serve always does)")
	addr := fs.String("addr", "", fmt.Sprintf("loopback address to listen on (default 127.0.0.1:%d, or the next free port up to %d)", bridge.DefaultPort, bridge.DefaultPort+bridge.PortTries-1))
	dir := fs.String("dir", "", "download folder (default "+downloadDir()+")")
	state := fs.String("state", "", "state folder: jobs, token, port (default "+stateDir()+")")
	var origins, hosts listFlag
	fs.Var(&origins, "allow-origin", "origin of the portal whose pages may use the helper, e.g. https://portal.example.com (repeat for more)")
	fs.Var(&hosts, "allow-host", "a host jobs may download from, e.g. minio.example.com (repeat for more; default any)")
	conns := fs.Int("connections", 0, "connections per file, 1-64 (default: automatic)")
	files := fs.Int("files", 0, "files downloaded at once, 1-100 (default: automatic)")
	limit := fs.Int64("limit", 0, "overall speed limit in bytes per second (default none)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: dlhelper serve [flags]\n\nRuns the local server portal pages talk to, until Ctrl-C. See bridge/API.md.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return serveOptions{}, err
	}
	if fs.NArg() > 0 {
		return serveOptions{}, fmt.Errorf("serve takes only flags, not %q; run \"dlhelper serve -h\" to see them", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	o, err := loadConfig(*configPath, set["config"])
	if err != nil {
		return o, err
	}
	override(&o.Addr, *addr, set["addr"])
	override(&o.Dir, *dir, set["dir"])
	override(&o.State, *state, set["state"])
	override(&o.Connections, *conns, set["connections"])
	override(&o.FilesAtOnce, *files, set["files"])
	override(&o.RateLimit, *limit, set["limit"])
	override(&o.AllowOrigins, []string(origins), set["allow-origin"])
	override(&o.AllowHosts, []string(hosts), set["allow-host"])
	if len(o.AllowOrigins) == 0 {
		o.AllowOrigins = slices.Clone(brand.Get().AllowOrigins) // a portal's own build trusts its portal
	}
	setDefault(&o.Dir, downloadDir())
	setDefault(&o.State, stateDir())
	return o, o.check()
}

func override[T any](dst *T, v T, given bool) {
	if given {
		*dst = v
	}
}

func setDefault(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// check refuses settings the helper cannot run with, in a sentence; it
// writes the origins the way browsers send them.
func (o *serveOptions) check() error {
	switch {
	case o.Connections < 0 || o.Connections > 64:
		return fmt.Errorf("--connections must be from 1 to 64, not %d", o.Connections)
	case o.FilesAtOnce < 0 || o.FilesAtOnce > 100:
		return fmt.Errorf("--files must be from 1 to 100, not %d", o.FilesAtOnce)
	case o.RateLimit < 0:
		return fmt.Errorf("--limit must be a number of bytes per second, or 0 for none; not %d", o.RateLimit)
	}
	for i, raw := range o.AllowOrigins {
		origin, err := bridge.NormalizeOrigin(raw)
		if err != nil {
			return err
		}
		o.AllowOrigins[i] = origin
	}
	for _, h := range o.AllowHosts {
		if h == "" || strings.Contains(h, "/") {
			return fmt.Errorf("--allow-host takes a host name like minio.example.com (or host:port), not %q", h)
		}
	}
	return nil
}

// runServe runs "dlhelper serve" until SIGINT or SIGTERM.
func runServe(args []string, _, stderr io.Writer) int {
	o, err := parseServe(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "dlhelper: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, o, log); err != nil {
		fmt.Fprintf(stderr, "dlhelper: %v\n", err)
		return 1
	}
	return 0
}

// serve runs the helper until ctx ends, then shuts it down in order.
func serve(ctx context.Context, o serveOptions, log *slog.Logger) error {
	srv, err := startServer(o, nil, log)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-srv.done:
		log.Error("the server stopped by itself", "err", srv.serveErr)
	case <-srv.updates.installed():
	}
	log.Info("shutting down: stopping transfers and saving their progress")
	if err := srv.close(); err != nil || srv.updates.restartNeeded() == nil {
		return err
	}
	return restartSelf(srv.updates.exe, log)
}

// server is a running helper: listener, bridge and Manager.
type server struct {
	http    *http.Server
	bridge  *bridge.Server
	manager *downloader.Manager
	updates *selfUpdater // nil without an update feed
	desktop func()       // waits for the sleep lock and metered watchers to end (power.go)
	log     *slog.Logger
	state   string
	port    int
	// done is closed when Serve returns, with its error in serveErr.
	done     chan struct{}
	serveErr error
}

// startServer listens, opens the state and starts serving. The Manager is
// opened before the token is read or made, so that of two helpers started
// on one state folder the second fails on the state's lock, not later.
// openFolder, nil without a desktop, opens a job's folder for the page.
func startServer(o serveOptions, openFolder func(dir string) error, log *slog.Logger) (*server, error) {
	if err := os.MkdirAll(o.State, 0o700); err != nil {
		return nil, fmt.Errorf("the state folder %s cannot be created (%v); choose another with --state", o.State, err)
	}
	if err := checkStateFolder(o.State); err != nil {
		return nil, err
	}
	addr, tries := o.Addr, 1
	if addr == "" {
		addr, tries = "127.0.0.1:"+strconv.Itoa(bridge.DefaultPort), bridge.PortTries
	}
	l, err := bridge.Listen(addr, tries)
	if err != nil {
		return nil, err
	}
	m, err := openManager(o, log)
	if err != nil {
		l.Close()
		return nil, err
	}
	token, err := bridge.LoadOrCreateToken(o.State)
	if err != nil {
		l.Close()
		m.Close()
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	warnPortTaken(addr, port, l, log)
	upd := newSelfUpdater(m, o.State, log)
	var chooser bridge.FolderChooser
	if openFolder != nil { // a desktop
		chooser = folderChooser(tray.SystemLang())
	}
	b := bridge.New(bridge.Options{
		ChooseFolder: chooser,
		Manager:      m, Token: token, AllowedOrigins: o.AllowOrigins, AllowedHosts: o.AllowHosts,
		Port: port, Version: version, Logger: log, StatusFS: web.Status(), OpenFolder: openFolder, Updater: upd.forBridge(),
		IPv4Only: !bridge.ListensOnIPv6(l), StateDir: o.State,
		AskTrust: askTrust(openFolder, desktopNotifier(openFolder), tray.SystemLang(), log),
	})
	s := &server{
		http:   b.HTTPServer(slog.NewLogLogger(log.Handler(), slog.LevelWarn)), // timeouts: bridge.Limits
		bridge: b, manager: m, updates: upd, log: log, state: o.State, port: port, done: make(chan struct{}),
		desktop: watchDesktop(o, m, log),
	}
	if err := bridge.WritePort(o.State, port); err != nil {
		log.Warn("could not record the port for local tools", "err", err)
	}
	go func() {
		s.serveErr = s.http.Serve(b.Guard(l)) // other users refused, connections capped
		close(s.done)
	}()
	upd.start()
	log.Info("dlhelper is listening", "addr", l.Addr().String(), "port", port, "dir", m.Root(), "state", o.State, "origins", o.AllowOrigins)
	if len(o.AllowOrigins) == 0 {
		log.Warn("no portal may use dlhelper yet; start it with --allow-origin https://your-portal or set allowOrigins in " + defaultConfigPath())
	}
	return s, nil
}

// warnPortTaken says when the helper could not have the port it asked for:
// pages probe the ports in order, so whoever holds the first one (another
// user, say) is asked first and would receive an order's presigned URLs.
func warnPortTaken(addr string, port int, l net.Listener, log *slog.Logger) {
	if _, want, _ := net.SplitHostPort(addr); want != "0" && want != strconv.Itoa(port) {
		log.Warn("port "+want+" is taken on 127.0.0.1 or [::1] by another program, so dlhelper listens on "+strconv.Itoa(port)+
			"; a portal page may reach that program first: find it (ss -ltnp, or netstat -ano on Windows) and stop it",
			"wanted", want, "port", port)
	}
	if !bridge.ListensOnIPv6(l) {
		log.Info("this machine has no IPv6 loopback; dlhelper answers at 127.0.0.1 and localhost only")
	}
}

func openManager(o serveOptions, log *slog.Logger) (*downloader.Manager, error) {
	root, err := filepath.Abs(o.Dir)
	if err == nil {
		err = os.MkdirAll(root, 0o755)
	}
	if err != nil {
		return nil, fmt.Errorf("the download folder %s cannot be used (%v); choose another with --dir", o.Dir, err)
	}
	return downloader.New(downloader.Config{
		StateDir: o.State, Root: root, Logger: log, AllowedHosts: o.AllowHosts, // redirects too
		Proxy:    o.Proxy,
		Settings: downloader.Settings{Connections: o.Connections, MaxActiveFiles: o.FilesAtOnce, RateLimit: o.RateLimit},
	})
}

// statusPage is a one-time login link to the status page.
func (s *server) statusPage() (string, error) { return s.bridge.StatusPageURL(), nil }

// close stops taking requests, ends the event streams (which Shutdown
// leaves alone), then closes the Manager, which checkpoints every transfer
// so the next start resumes it.
func (s *server) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.updates.stop()
	err := s.http.Shutdown(ctx)
	s.bridge.Close()
	if cerr := s.manager.Close(); err == nil {
		err = cerr
	}
	s.desktop()
	<-s.done
	if err == nil && !errors.Is(s.serveErr, http.ErrServerClosed) {
		err = s.serveErr
	}
	if port, perr := bridge.ReadPort(s.state); perr == nil && port == s.port {
		os.Remove(filepath.Join(s.state, bridge.PortFile)) // local tools then know no helper runs
	}
	return err
}
