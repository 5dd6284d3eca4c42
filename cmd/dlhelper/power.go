package main

import (
	"context"
	"log/slog"
	"sync"

	"dlhelper/downloader"
	"dlhelper/internal/netstate"
	"dlhelper/internal/power"
)

// watchDesktop starts what follows the computer's state for m: the sleep
// lock while files download (unless allowSleep), and pausing on a metered
// connection (when pauseOnMetered). Both end when m closes; the returned
// wait blocks until they have, so no sleep lock outlives the helper.
func watchDesktop(o serveOptions, m *downloader.Manager, log *slog.Logger) (wait func()) {
	var wg sync.WaitGroup
	if !o.AllowSleep {
		wg.Go(func() { power.Run(context.Background(), m, nil, log) })
	}
	if o.PauseOnMetered {
		wg.Go(func() {
			if err := netstate.Run(context.Background(), m, netstate.System(), log); err != nil {
				log.Warn("cannot tell a metered connection; downloads go on whatever it costs", "err", err)
			}
		})
	}
	return wg.Wait
}
