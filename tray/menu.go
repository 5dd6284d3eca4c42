package tray

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"dlhelper/downloader"
)

// Controller is what the menu needs of the download engine;
// *downloader.Manager implements it.
type Controller interface {
	PauseAll()
	ResumeAll()
	Jobs() []downloader.JobInfo
	Subscribe() *downloader.Subscription
}

// Options are the menu's actions outside the engine. A nil action hides
// its item.
type Options struct {
	// AppName starts the tooltip ("dlhelper").
	AppName string
	// OpenFolder shows the download folder in the file manager.
	OpenFolder func() error
	// OpenStatusPage opens the helper's status page in the browser.
	OpenStatusPage func() error
	// StartAtLogin reports whether the helper starts at login;
	// SetStartAtLogin changes it. Both or neither.
	StartAtLogin    func() bool
	SetStartAtLogin func(on bool) error
	// LoginCheckInterval is how often the checkbox reads StartAtLogin
	// again (2s): "dlhelper install" or the desktop's settings may change
	// it while the menu runs.
	LoginCheckInterval time.Duration
	// Quit shuts the helper down; it must not block the menu.
	Quit func()
	// Notify shows a notification when an order completes or fails.
	Notify Notifier
	// Lang is the language of the menu and its notifications (English);
	// the helper passes SystemLang().
	Lang Lang
	// Logger receives failed actions (slog.Default()).
	Logger *slog.Logger
	// RefreshInterval is the least time between redraws for progress alone
	// (1s); state changes redraw at once.
	RefreshInterval time.Duration
}

// Menu is the tray menu over a Controller. Make it with New and Run it.
type Menu struct {
	ctrl Controller
	o    Options
	log  *slog.Logger

	ui                           UI
	status, pause, resume, login Item
	folder, page, quit           Item
	shown                        view      // what the UI shows now
	drawn                        time.Time // when it was last brought up to date
}

// view is what redraw puts on the UI. Only what changed is drawn again: on
// Linux every SetIcon writes a temporary file.
type view struct {
	text          string
	icon          IconState
	pause, resume bool // offered
}

// New returns a Menu over ctrl.
func New(ctrl Controller, o Options) *Menu {
	if o.AppName == "" {
		o.AppName = "dlhelper"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Lang == "" {
		o.Lang = English
	}
	if o.RefreshInterval <= 0 {
		o.RefreshInterval = time.Second
	}
	if o.LoginCheckInterval <= 0 {
		o.LoginCheckInterval = 2 * time.Second
	}
	return &Menu{ctrl: ctrl, o: o, log: o.Logger}
}

// Run builds the menu on ui and keeps it in step with the jobs until ctx
// ends or the Controller closes. It runs the clicked items' actions.
func (m *Menu) Run(ctx context.Context, ui UI) error {
	m.build(ui)
	for {
		err := m.follow(ctx)
		switch {
		case errors.Is(err, downloader.ErrSlowSubscriber):
			m.log.Warn("tray fell behind the events; reading the jobs afresh")
			continue
		case errors.Is(err, downloader.ErrClosed), ctx.Err() != nil:
			return nil
		}
		return fmt.Errorf("tray: %w", err)
	}
}

// build adds the items, in menu order.
func (m *Menu) build(ui UI) {
	l := m.o.Lang
	m.ui = ui
	m.status = ui.AddItem(l.text(msgIdle), l.text(msgStatusTip))
	m.status.Disable()
	ui.AddSeparator()
	m.pause = ui.AddItem(l.text(msgPauseAll), l.text(msgPauseAllTip))
	m.resume = ui.AddItem(l.text(msgResumeAll), l.text(msgResumeAllTip))
	ui.AddSeparator()
	if m.o.OpenFolder != nil {
		m.folder = ui.AddItem(l.text(msgOpenFolder), l.text(msgOpenFolderTip))
	}
	if m.o.OpenStatusPage != nil {
		m.page = ui.AddItem(l.text(msgOpenPage), l.text(msgOpenPageTip))
	}
	if m.o.StartAtLogin != nil && m.o.SetStartAtLogin != nil {
		m.login = ui.AddCheckbox(l.text(msgStartAtLogin), l.text(msgStartAtLoginTip), m.o.StartAtLogin())
	}
	ui.AddSeparator()
	if m.o.Quit != nil {
		m.quit = ui.AddItem(l.text(msgQuit), l.text(msgQuitTip))
	}
}

// follow subscribes, draws the jobs, then redraws on events and runs clicks
// until the subscription or ctx ends. It owns the goroutine that reads the
// subscription: it cancels it and waits for it before returning.
func (m *Menu) follow(ctx context.Context) error {
	sub := m.ctrl.Subscribe()
	defer sub.Close()
	m.redraw()
	ctx, cancel := context.WithCancel(ctx)
	events, done := make(chan downloader.Event), make(chan error, 1)
	go func() { done <- pump(ctx, sub, events) }()
	defer func() { cancel(); <-done }()
	var loginCheck <-chan time.Time
	if m.login != nil {
		tick := time.NewTicker(m.o.LoginCheckInterval)
		defer tick.Stop()
		loginCheck = tick.C
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-done:
			done <- err // for the deferred wait
			return err
		case ev := <-events:
			m.handle(ev)
		case <-clicked(m.pause):
			m.ctrl.PauseAll()
			m.redraw()
		case <-clicked(m.resume):
			m.ctrl.ResumeAll()
			m.redraw()
		case <-clicked(m.folder):
			m.act("open the download folder", m.o.OpenFolder)
		case <-clicked(m.page):
			m.act("open the status page", m.o.OpenStatusPage)
		case <-clicked(m.login):
			m.toggleLogin()
		case <-loginCheck:
			if on := m.o.StartAtLogin(); on != m.login.Checked() {
				m.showLogin(on)
			}
		case <-clicked(m.quit):
			m.o.Quit()
		}
	}
}

// pump hands the subscription's events to out until it ends.
func pump(ctx context.Context, sub *downloader.Subscription, out chan<- downloader.Event) error {
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			return err
		}
		select {
		case out <- ev:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// clicked is it's item's click channel, or nil (never ready) for an item the
// menu does not have.
func clicked(it Item) <-chan struct{} {
	if it == nil {
		return nil
	}
	return it.Clicked()
}

func (m *Menu) handle(ev downloader.Event) {
	switch ev.Type {
	case downloader.EventJobProgress:
		// Progress comes four times a second per job; redraw at a calm pace.
		if time.Since(m.drawn) < m.o.RefreshInterval {
			return
		}
	case downloader.EventJobCompleted:
		m.notify(m.o.Lang.text(msgCompleteTitle), completedMessage(m.o.Lang, ev.Job))
	case downloader.EventJobFailed:
		m.notify(m.o.Lang.text(msgFailedTitle), failedMessage(m.o.Lang, ev.Job))
	}
	m.redraw()
}

// redraw draws the status line, icon and tooltip from a fresh snapshot, and
// offers only the actions that would change something.
func (m *Menu) redraw() {
	s := summarize(m.ctrl.Jobs())
	v := view{pause: s.active+s.waiting > 0, resume: s.paused+s.failed > 0}
	v.text, v.icon = s.status(m.o.Lang)
	first, old := m.drawn.IsZero(), m.shown
	// The actions first: whoever sees the new status or icon (a user, a
	// test) then sees the actions that go with it.
	if first || v.pause != old.pause {
		enable(m.pause, v.pause)
	}
	if first || v.resume != old.resume {
		enable(m.resume, v.resume)
	}
	if first || v.text != old.text {
		m.status.SetTitle(v.text)
		m.ui.SetTooltip(m.o.AppName + " · " + v.text)
	}
	if first || v.icon != old.icon {
		m.ui.SetIcon(v.icon)
	}
	m.shown, m.drawn = v, time.Now()
}

func enable(it Item, on bool) {
	if on {
		it.Enable()
	} else {
		it.Disable()
	}
}

func (m *Menu) act(what string, f func() error) {
	if err := f(); err != nil {
		m.log.Warn("tray could not "+what, "err", err)
	}
}

// toggleLogin turns start at login over from what it really is, not from
// the checkbox, which may be behind (issue 19).
func (m *Menu) toggleLogin() {
	on := !m.o.StartAtLogin()
	if err := m.o.SetStartAtLogin(on); err != nil {
		m.log.Warn("tray could not change start at login", "on", on, "err", err)
		m.showLogin(!on)
		return
	}
	m.showLogin(on)
}

// showLogin ticks the checkbox or not.
func (m *Menu) showLogin(on bool) {
	if on {
		m.login.Check()
	} else {
		m.login.Uncheck()
	}
}
