package chaos

import (
	"os"
	"time"
)

// params size the suite. The short one is what CI runs on every change
// (about a minute on two cores); the full one is "make chaos".
type params struct {
	full             bool
	objects          int
	minSize, maxSize int64
	cut              time.Duration // how long the proxy is cut
	kills            int           // SIGKILLs of the binary
	timeout          time.Duration // per scenario
}

func suiteParams() params {
	if chaosTag || os.Getenv("CHAOS") == "full" {
		return params{
			full: true, objects: 200, minSize: 64 << 10, maxSize: 2 << 20,
			cut: 10 * time.Second, kills: 5, timeout: 15 * time.Minute,
		}
	}
	return params{
		objects: 20, minSize: 16 << 10, maxSize: 768 << 10,
		cut: 2 * time.Second, kills: 2, timeout: 90 * time.Second,
	}
}

// engine settings of chaos runs: small pieces, quick stall detection and
// retries, and enough attempts to outlast a 10 s cut or a MinIO restart.
const (
	minPiece           = 256 << 10
	stallTimeout       = 2 * time.Second
	retryBase          = 50 * time.Millisecond
	retryMax           = time.Second
	maxAttempts        = 30
	checkpointInterval = 200 * time.Millisecond
	// activeFiles is the engine's default of files at once; what may be in
	// flight at a fault is at most these files whole.
	activeFiles = 5
)
