// Package power keeps the computer awake while dlhelper downloads.
//
// An order of 200 archives runs for hours; a laptop that goes to sleep
// halfway stops it. Run holds the system's sleep inhibitor (logind on
// Linux, SetThreadExecutionState on Windows, caffeinate on macOS) while any
// job is running and releases it the moment none is: when the order is
// done, paused, waiting for a fresh URL, and when Run returns. A held
// inhibitor after the order is done is a bug users notice.
package power

import (
	"context"
	"errors"
	"log/slog"

	"dlhelper/downloader"
)

// Inhibitor is the system's way to keep it from sleeping.
type Inhibitor interface {
	// Inhibit keeps the system awake until Release.
	Inhibit() error
	// Release lets it sleep again.
	Release()
}

// Source is what Run watches: a downloader.Manager.
type Source interface {
	Subscribe() *downloader.Subscription
	Jobs() []downloader.JobInfo
}

// Run holds inh while any job of src runs, until ctx ends or src closes.
// When inh is nil it uses the system's (System).
func Run(ctx context.Context, src Source, inh Inhibitor, log *slog.Logger) {
	if inh == nil {
		inh = System()
	}
	k := &keeper{inh: inh, log: log}
	defer k.set(false)
	for ctx.Err() == nil {
		if !k.follow(ctx, src) {
			return
		}
	}
}

// keeper holds the inhibitor when asked to, once.
type keeper struct {
	inh    Inhibitor
	log    *slog.Logger
	held   bool
	warned bool
}

// follow keeps the lock in step with the jobs until the subscription
// ends; it reports whether to follow again (the subscriber fell behind).
// Each change of a job's state reads every job afresh: an event may be
// older than what Jobs already showed, and acting on it would let the
// computer sleep for a moment mid-download.
func (k *keeper) follow(ctx context.Context, src Source) bool {
	sub := src.Subscribe() // before Jobs, so no change falls between
	defer sub.Close()
	for {
		k.set(anyRunning(src.Jobs()))
		for {
			ev, err := sub.Next(ctx)
			if err != nil {
				return errors.Is(err, downloader.ErrSlowSubscriber)
			}
			if ev.Job != nil || ev.Type == downloader.EventJobRemoved {
				break
			}
		}
	}
}

func (k *keeper) set(busy bool) {
	switch {
	case busy && !k.held:
		if err := k.inh.Inhibit(); err != nil {
			if !k.warned { // once: a desktop without logind says so at every job
				k.log.Warn("cannot keep the computer awake while downloading", "err", err)
				k.warned = true
			}
			return
		}
		k.held = true
		k.log.Debug("keeping the computer awake while downloading")
	case !busy && k.held:
		k.inh.Release()
		k.held = false
		k.log.Debug("the computer may sleep again")
	}
}

func anyRunning(jobs []downloader.JobInfo) bool {
	for _, j := range jobs {
		if j.State == downloader.JobRunning {
			return true
		}
	}
	return false
}
