//go:build windows || cgo

package tray

import "github.com/getlantern/systray"

// RunSystray shows the tray icon and blocks until QuitSystray. It calls
// onReady, on its own goroutine, with the UI to draw on once the tray is up,
// and onExit on the tray's thread before it returns. Call it from the main
// goroutine: the systray package locks it to the main thread, which GTK and
// Cocoa require.
func RunSystray(onReady func(UI), onExit func()) {
	systray.Run(func() { onReady(systrayUI{}) }, onExit)
}

// QuitSystray makes RunSystray return; it is safe to call from any goroutine
// and more than once.
func QuitSystray() { systray.Quit() }

// systrayUI draws on the real tray through getlantern/systray.
type systrayUI struct{}

func (systrayUI) SetIcon(s IconState) { systray.SetIcon(Icon(s)) }
func (systrayUI) SetTooltip(t string) { systray.SetTooltip(t) }
func (systrayUI) AddSeparator()       { systray.AddSeparator() }

func (systrayUI) AddItem(title, tooltip string) Item {
	return systrayItem{systray.AddMenuItem(title, tooltip)}
}

func (systrayUI) AddCheckbox(title, tooltip string, checked bool) Item {
	return systrayItem{systray.AddMenuItemCheckbox(title, tooltip, checked)}
}

type systrayItem struct{ *systray.MenuItem }

func (it systrayItem) Clicked() <-chan struct{} { return it.ClickedCh }
