package bridge

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"dlhelper/downloader"
)

// APIVersion is the version of the API in /v1 paths and /v1/hello.
const APIVersion = 1

// Manager is what the bridge needs of the download engine;
// *downloader.Manager implements it.
type Manager interface {
	Add(spec downloader.JobSpec) (downloader.JobInfo, error)
	Jobs() []downloader.JobInfo
	Job(id string) (downloader.JobInfo, error)
	PauseJob(id string) error
	ResumeJob(id string) error
	CancelJob(id string) error
	RetryJob(id string) error
	RemoveJob(id string, deleteParts bool) error
	SetURL(id string, index int, rawURL string) error
	PauseAll()
	ResumeAll()
	Settings() downloader.Settings
	SetSettings(downloader.Settings) (downloader.Settings, error)
	Subscribe() *downloader.Subscription
}

// Options configure a Server.
type Options struct {
	// Manager runs the downloads (required).
	Manager Manager
	// Token is the secret local tools send as "Authorization: Bearer TOKEN"
	// (see LoadOrCreateToken). Empty refuses every request without Origin
	// except the open ones (hello, status page).
	Token string
	// AllowedOrigins are the portal origins whose pages may call the API,
	// as NormalizeOrigin writes them. Invalid entries are dropped and logged.
	// The helper's own origins (http://127.0.0.1:Port, …) are always allowed.
	AllowedOrigins []string
	// AllowedHosts limits the hosts files may be downloaded from
	// ("minio.example.com" or "minio.example.com:9000"); empty allows all.
	AllowedHosts []string
	// Port is the port the server listens on; requests must name it in Host.
	Port int
	// Version is reported by /v1/hello.
	Version string
	// Logger receives refusals and failures (slog.Default()).
	Logger *slog.Logger
	// StatusFS holds the status page served at / (index.html at its root).
	StatusFS fs.FS
	// StateDir is where pairing secrets (pairings.json) and the status
	// page's sessions (sessions.json) are kept; empty keeps them in memory.
	StateDir string
	// Limits bound what callers can make the helper hold; zero fields take
	// the defaults (DefaultLimits).
	Limits Limits
	// OpenFolder shows a folder in the user's file manager, for
	// POST /v1/jobs/{id}/open. Nil where there is no desktop (dlhelper
	// serve): that endpoint then answers 501 and the page shows the path.
	OpenFolder func(dir string) error
	// Updater serves /v1/update (see update.go); nil answers 501.
	Updater Updater
	// ChooseFolder shows the desktop's folder dialog for
	// POST /v1/settings/dir/choose (folder.go); nil answers 501 and the
	// status page asks for the path as text.
	ChooseFolder FolderChooser
	// AskTrust puts a portal's request to be trusted in front of the user
	// (see trust.go): approveURL is a one-time link that opens the approval
	// page logged in. Nil leaves the question on the status page only.
	AskTrust func(req TrustRequest, approveURL string)
	// IPv4Only says the listener holds no [::1] port (Listen found no
	// IPv6; see ListensOnIPv6): the Host and origin [::1]:Port, which
	// another program could then hold, are refused.
	IPv4Only bool
}

// Server is the HTTP and WebSocket face of a Manager.
type Server struct {
	m          Manager
	log        *slog.Logger
	version    string
	token      []byte
	port       int
	hosts      map[string]bool // allowed Host header values
	origins    map[string]bool // allowed Origin header values
	self       map[string]bool // the helper's own origins (its status page)
	sess       *sessions
	pairs      *pairings
	trust      *trust
	orders     *orders
	askTrustFn func(TrustRequest, string)
	limits     Limits
	conns      chan struct{} // a slot per open connection (Guard)
	nstream    int           // open event streams; guarded by mu
	urls       hostList
	static     fs.FS
	open       func(dir string) error
	upd        Updater
	choose     FolderChooser
	csp        string
	e          *echo.Echo
	wsUp       websocket.Upgrader

	// Timings of event streams; tests shorten them.
	writeWait, pingPeriod, pongWait time.Duration

	ctx     context.Context // ends at Close; event streams derive from it
	cancel  context.CancelFunc
	mu      sync.Mutex
	closed  bool
	streams sync.WaitGroup
	work    sync.WaitGroup // runOrders and the portal calls it starts
}

// New builds a Server. It does not listen: serve Handler() on a listener
// from Listen.
func New(o Options) *Server {
	s := &Server{
		m: o.Manager, log: o.Logger, version: o.Version, token: []byte(o.Token), port: o.Port,
		hosts: map[string]bool{}, origins: map[string]bool{}, self: map[string]bool{}, urls: newHostList(o.AllowedHosts),
		sess: newSessions(o.StateDir), pairs: newPairings(o.StateDir), limits: o.Limits.withDefaults(),
		static: o.StatusFS, open: o.OpenFolder, upd: o.Updater, choose: o.ChooseFolder,
		writeWait: 10 * time.Second, pingPeriod: 20 * time.Second, pongWait: 60 * time.Second,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.conns = make(chan struct{}, s.limits.Conns)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.allowOrigins(o.AllowedOrigins)
	if o.IPv4Only {
		delete(s.hosts, "[::1]:"+strconv.Itoa(s.port))
		delete(s.origins, "http://[::1]:"+strconv.Itoa(s.port))
		delete(s.self, "http://[::1]:"+strconv.Itoa(s.port))
	}
	s.trust, s.askTrustFn = newTrust(o.StateDir, s.staticOrigins()), o.AskTrust
	s.orders = newOrders(o.StateDir, s.log)
	s.csp = contentSecurityPolicy(o.Port)
	s.wsUp = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		CheckOrigin:      s.wsOriginOK,
		Error:            s.wsError,
	}
	s.e = s.routes()
	s.pairs.logProblem(s.log)
	if s.m != nil {
		s.work.Go(s.runOrders) // orders.go; Close ends it
	}
	if s.trust.err != nil {
		s.log.Warn("portals cannot be trusted from dlhelper's page", "err", s.trust.err)
	}
	return s
}

func (s *Server) allowOrigins(origins []string) {
	for _, n := range loopbackNames {
		s.hosts[n+":"+strconv.Itoa(s.port)] = true
	}
	for _, o := range selfOrigins(s.port) {
		s.origins[o] = true
		s.self[o] = true
	}
	for _, raw := range origins {
		o, err := NormalizeOrigin(raw)
		if err != nil {
			s.log.Warn("ignoring an allowed origin", "origin", clip(raw), "err", err)
			continue
		}
		s.origins[o] = true
	}
}

// Handler is the API, the event stream and the status page, behind the
// layers that decide who may talk (see middleware.go).
func (s *Server) Handler() http.Handler { return s.e }

// Close ends every event stream (with close code 1001) and waits for their
// goroutines. Call it after http.Server.Shutdown, which leaves upgraded
// connections alone, and before closing the Manager.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.streams.Wait()
	s.work.Wait()
}

// routes builds the echo instance: layers in order, then the endpoints.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Logger.SetOutput(io.Discard) // failures are logged by handleError with slog
	e.HTTPErrorHandler = s.handleError
	e.Use(s.securityHeaders, s.hostCheck, s.originCheck, s.auth, s.bodyLimit)

	e.GET("/v1/hello", s.hello)
	e.GET(loginPath, s.login)
	e.POST("/v1/status-link", s.statusLink)
	e.POST("/v1/pair", s.pair)
	e.POST("/v1/jobs", s.addJob)
	e.GET("/v1/jobs", s.listJobs)
	e.GET("/v1/jobs/:id", s.getJob)
	e.DELETE("/v1/jobs/:id", s.removeJob)
	e.POST("/v1/jobs/:id/pause", s.jobAction(Manager.PauseJob))
	e.POST("/v1/jobs/:id/resume", s.jobAction(Manager.ResumeJob))
	e.POST("/v1/jobs/:id/cancel", s.jobAction(Manager.CancelJob))
	e.POST("/v1/jobs/:id/retry", s.jobAction(Manager.RetryJob))
	e.POST("/v1/jobs/:id/open", s.openJobFolder)
	e.PUT("/v1/jobs/:id/files/:index/url", s.setURL)
	e.POST("/v1/pause", s.pauseAll)
	e.POST("/v1/resume", s.resumeAll)
	e.GET("/v1/settings", s.getSettings)
	e.PUT("/v1/settings", s.putSettings)
	e.POST("/v1/settings/dir/choose", s.chooseDir)
	e.GET("/v1/events", s.events)
	s.updateRoutes(e)
	s.trustRoutes(e)
	e.GET("/*", s.statusPage)
	return e
}
