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
// connection (when pauseOnMetered), and reconnecting at once when the
// system says it resumed from sleep. All end when m closes; the returned
// wait blocks until they have, so no sleep lock outlives the helper.
func watchDesktop(o serveOptions, m *downloader.Manager, log *slog.Logger) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := power.WatchResume(untilClosed(m), m, log); err != nil {
			log.Info("cannot hear the system's word on resume; a wake is noticed by the clocks instead", "err", err)
		}
	})
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

// untilClosed returns a context that ends when m closes.
func untilClosed(m *downloader.Manager) context.Context {
	ctx, stop := context.WithCancel(context.Background())
	go func() { <-m.Done(); stop() }()
	return ctx
}
