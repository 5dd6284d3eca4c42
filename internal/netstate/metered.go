// Package netstate pauses downloads while the computer is on a metered
// connection (a phone's hotspot, a capped mobile plan) and resumes them
// when it is not, for users who turn the setting on.
//
// Only what it paused is resumed: a job the user paused stays paused.
// Jobs added while metered are paused as they arrive.
package netstate

import (
	"context"
	"errors"
	"log/slog"

	"dlhelper/downloader"
)

// Controller is what Run drives: a downloader.Manager.
type Controller interface {
	Subscribe() *downloader.Subscription
	Jobs() []downloader.JobInfo
	PauseJob(id string) error
	ResumeJob(id string) error
}

// Watcher says whether the connection is metered, now and on each change.
type Watcher interface {
	// Watch sends the current state, then every change, until ctx ends.
	Watch(ctx context.Context, metered chan<- bool) error
}

// Run pauses c's jobs while w says metered, until ctx ends, c closes or
// w fails.
func Run(ctx context.Context, c Controller, w Watcher, log *slog.Logger) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	states := make(chan bool)
	watchErr := make(chan error, 1)
	go func() { watchErr <- w.Watch(ctx, states) }()
	sub := c.Subscribe()
	defer sub.Close()
	events := make(chan downloader.Event)
	go forward(ctx, sub, events)

	p := &pauser{c: c, log: log, ours: map[string]bool{}}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-watchErr:
			return err
		case m := <-states:
			p.set(m)
		case ev, ok := <-events:
			if !ok {
				return nil // c closed
			}
			if p.metered && ev.Type == downloader.EventJobAdded {
				p.pause(ev.JobID)
			}
		}
	}
}

func forward(ctx context.Context, sub *downloader.Subscription, out chan<- downloader.Event) {
	defer close(out)
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			return
		}
		select {
		case out <- ev:
		case <-ctx.Done():
			return
		}
	}
}

// pauser remembers the jobs it paused.
type pauser struct {
	c       Controller
	log     *slog.Logger
	metered bool
	ours    map[string]bool
}

func (p *pauser) set(metered bool) {
	if metered == p.metered {
		return
	}
	p.metered = metered
	if metered {
		p.log.Info("the connection is metered; pausing downloads")
		for _, j := range p.c.Jobs() {
			if j.State == downloader.JobRunning || j.State == downloader.JobQueued {
				p.pause(j.ID)
			}
		}
		return
	}
	p.log.Info("the connection is no longer metered; resuming downloads", "jobs", len(p.ours))
	for id := range p.ours {
		if err := p.c.ResumeJob(id); err != nil && !errors.Is(err, downloader.ErrNoJob) {
			p.log.Warn("resume after a metered connection", "job", id, "err", err)
		}
	}
	clear(p.ours)
}

func (p *pauser) pause(id string) {
	if err := p.c.PauseJob(id); err != nil {
		if !errors.Is(err, downloader.ErrNoJob) && !errors.Is(err, downloader.ErrState) {
			p.log.Warn("pause on a metered connection", "job", id, "err", err)
		}
		return
	}
	p.ours[id] = true
}
