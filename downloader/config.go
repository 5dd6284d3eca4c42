package downloader

import (
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Config sets up a Manager. Zero fields take the defaults shown.
type Config struct {
	// StateDir holds the state database (required).
	StateDir string
	// Root is the download folder; every job's folder lies below it (required).
	Root string
	// Settings are the initial user settings (automatic connections and
	// files at once).
	Settings Settings
	// MinPiece is the smallest range worth its own connection (1 MiB).
	MinPiece int64
	// MaxPiece is the largest range one request asks for (16 MiB); a
	// large file is fetched as a run of such ranges, in order.
	MaxPiece int64
	// MaxConnsPerHost is one host's budget of connections over all files
	// (32, at most 64; budget.go says why and how it is shared).
	MaxConnsPerHost int
	// StallTimeout cuts a connection that delivers no bytes for this long (30s).
	StallTimeout time.Duration
	// CheckpointInterval is how often progress is made durable (2s).
	CheckpointInterval time.Duration
	// ProgressInterval is the least time between progress events of a job (250ms).
	ProgressInterval time.Duration
	// RetryBase and RetryMax bound the backoff between attempts (500ms, 30s).
	RetryBase, RetryMax time.Duration
	// MaxAttempts is how many attempts in a row may fail without a byte of
	// progress before the file fails (10).
	MaxAttempts int
	// HTTPClient makes every request; it must not follow its own retries.
	// The Manager uses a copy that checks every redirect (redirect.go).
	HTTPClient *http.Client
	// AllowedHosts, when not empty, are the only hosts a redirect may lead
	// to: "host" allows any port, "host:port" one (as --allow-host).
	AllowedHosts []string
	// Proxy says how the default client reaches servers (proxy.go); the
	// zero value is the environment's or the system's proxy.
	Proxy ProxySettings
	// Logger receives structured logs (slog.Default()).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	c.Settings = c.Settings.withDefaults()
	setDefault(&c.MinPiece, 1<<20)
	setDefault(&c.MaxPiece, 16<<20)
	c.MaxPiece = max(c.MaxPiece, c.MinPiece)
	setDefault(&c.MaxConnsPerHost, defaultConnsPerHost)
	c.MaxConnsPerHost = min(c.MaxConnsPerHost, maxConnsPerHost)
	setDefault(&c.StallTimeout, 30*time.Second)
	setDefault(&c.CheckpointInterval, 2*time.Second)
	setDefault(&c.ProgressInterval, 250*time.Millisecond)
	setDefault(&c.RetryBase, 500*time.Millisecond)
	setDefault(&c.RetryMax, 30*time.Second)
	setDefault(&c.MaxAttempts, 10)
	if c.HTTPClient == nil {
		t := NewTransport(c.MaxConnsPerHost)
		c.Proxy.apply(t)
		c.HTTPClient = &http.Client{Transport: proxyAware(t)}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// withDefaults leaves Connections and MaxActiveFiles at 0, automatic:
// the host's budget decides (budget.go).
func (s Settings) withDefaults() Settings {
	return s
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// NewTransport returns the HTTP transport the engine uses by default: kept
// alive connections reused across the files of one host, no transparent
// gzip (it would hide the byte counts Range depends on), large read buffers.
func NewTransport(connsPerHost int) *http.Transport {
	t := &http.Transport{
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          4 * connsPerHost,
		MaxIdleConnsPerHost:   connsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		ReadBufferSize:        64 << 10,
		WriteBufferSize:       16 << 10,
	}
	ProxySettings{}.apply(t) // the environment's or the system's proxy
	return t
}
