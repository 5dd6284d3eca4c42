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
	// OpenFolder shows a folder in the user's file manager, for
	// POST /v1/jobs/{id}/open. Nil where there is no desktop (dlhelper
	// serve): that endpoint then answers 501 and the page shows the path.
	OpenFolder func(dir string) error
}

// Server is the HTTP and WebSocket face of a Manager.
type Server struct {
	m       Manager
	log     *slog.Logger
	version string
	token   []byte
	port    int
	hosts   map[string]bool // allowed Host header values
	origins map[string]bool // allowed Origin header values
	urls    hostList
	static  fs.FS
	open    func(dir string) error
	csp     string
	e       *echo.Echo
	wsUp    websocket.Upgrader

	// Timings of event streams; tests shorten them.
	writeWait, pingPeriod, pongWait time.Duration

	ctx     context.Context // ends at Close; event streams derive from it
	cancel  context.CancelFunc
	mu      sync.Mutex
	closed  bool
	streams sync.WaitGroup
}

// New builds a Server. It does not listen: serve Handler() on a listener
// from Listen.
func New(o Options) *Server {
	s := &Server{
		m: o.Manager, log: o.Logger, version: o.Version, token: []byte(o.Token), port: o.Port,
		hosts: map[string]bool{}, origins: map[string]bool{}, urls: newHostList(o.AllowedHosts),
		static: o.StatusFS, open: o.OpenFolder,
		writeWait: 10 * time.Second, pingPeriod: 20 * time.Second, pongWait: 60 * time.Second,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.allowOrigins(o.AllowedOrigins)
	s.csp = contentSecurityPolicy(o.Port)
	s.wsUp = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		CheckOrigin:      s.wsOriginOK,
		Error:            s.wsError,
	}
	s.e = s.routes()
	return s
}

func (s *Server) allowOrigins(origins []string) {
	for _, n := range loopbackNames {
		s.hosts[n+":"+strconv.Itoa(s.port)] = true
	}
	for _, o := range selfOrigins(s.port) {
		s.origins[o] = true
	}
	for _, raw := range origins {
		o, err := NormalizeOrigin(raw)
		if err != nil {
			s.log.Warn("ignoring an allowed origin", "origin", raw, "err", err)
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
}

// routes builds the echo instance: layers in order, then the endpoints.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Logger.SetOutput(io.Discard) // failures are logged by handleError with slog
	e.HTTPErrorHandler = s.handleError
	e.Use(s.securityHeaders, s.hostCheck, s.originCheck, s.auth, s.bodyLimit)

	e.GET("/v1/hello", s.hello)
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
	e.GET("/v1/events", s.events)
	e.GET("/*", s.statusPage)
	return e
}
