package tray

// UI is what a Menu draws on: the tray icon and its menu. RunSystray hands
// the real one to its onReady; tests pass a fake. Its methods are called
// from the Menu's goroutine only.
type UI interface {
	SetIcon(IconState)
	SetTooltip(string)
	AddItem(title, tooltip string) Item
	AddCheckbox(title, tooltip string, checked bool) Item
	AddSeparator()
}

// Item is one entry of the menu.
type Item interface {
	// Clicked receives a value each time the user picks the item.
	Clicked() <-chan struct{}
	SetTitle(string)
	Check()
	Uncheck()
	Checked() bool
	Enable()
	Disable()
}
