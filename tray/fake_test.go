package tray

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeUI records what a Menu draws and lets a test click its items.
type fakeUI struct {
	mu      sync.Mutex
	icon    IconState
	tooltip string
	items   []*fakeItem
	changed chan struct{} // closed and replaced at every change
}

type fakeItem struct {
	ui                *fakeUI
	label             string // the title it was added with
	tip               string // the tooltip it was added with
	title             string
	checked, disabled bool
	checkbox          bool
	clicks            chan struct{}
}

func newFakeUI() *fakeUI { return &fakeUI{icon: -1, changed: make(chan struct{})} }

// change runs f under the lock and wakes the waiters.
func (u *fakeUI) change(f func()) {
	u.mu.Lock()
	defer u.mu.Unlock()
	f()
	close(u.changed)
	u.changed = make(chan struct{})
}

func (u *fakeUI) SetIcon(s IconState) { u.change(func() { u.icon = s }) }
func (u *fakeUI) SetTooltip(t string) { u.change(func() { u.tooltip = t }) }
func (u *fakeUI) AddSeparator()       { u.add("---", "", false, false) }

func (u *fakeUI) AddItem(title, tip string) Item { return u.add(title, tip, false, false) }

func (u *fakeUI) AddCheckbox(title, tip string, checked bool) Item {
	return u.add(title, tip, true, checked)
}

func (u *fakeUI) add(title, tip string, checkbox, checked bool) *fakeItem {
	it := &fakeItem{ui: u, label: title, tip: tip, title: title, checkbox: checkbox, checked: checked, clicks: make(chan struct{})}
	u.change(func() { u.items = append(u.items, it) })
	return it
}

func (it *fakeItem) Clicked() <-chan struct{} { return it.clicks }
func (it *fakeItem) SetTitle(t string)        { it.ui.change(func() { it.title = t }) }
func (it *fakeItem) Check()                   { it.ui.change(func() { it.checked = true }) }
func (it *fakeItem) Uncheck()                 { it.ui.change(func() { it.checked = false }) }
func (it *fakeItem) Enable()                  { it.ui.change(func() { it.disabled = false }) }
func (it *fakeItem) Disable()                 { it.ui.change(func() { it.disabled = true }) }

func (it *fakeItem) Checked() bool {
	it.ui.mu.Lock()
	defer it.ui.mu.Unlock()
	return it.checked
}

// item finds the item added with label.
func (u *fakeUI) item(t *testing.T, label string) *fakeItem {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, it := range u.items {
		if it.label == label {
			return it
		}
	}
	t.Fatalf("the menu has no item %q; it has %s", label, u.describeLocked())
	return nil
}

// click picks the item as a user would; like the real tray, a disabled item
// cannot be picked. It returns once the menu has taken the click.
func (u *fakeUI) click(t *testing.T, label string) {
	t.Helper()
	it := u.item(t, label)
	u.mu.Lock()
	disabled := it.disabled
	u.mu.Unlock()
	if disabled {
		t.Fatalf("clicked %q, but it is disabled; menu: %s", label, u.describe())
	}
	select {
	case it.clicks <- struct{}{}:
	case <-time.After(waitLimit):
		t.Fatalf("the menu did not take the click on %q", label)
	}
}

// waitLimit only bounds a hung test; nothing is timed against it.
const waitLimit = 30 * time.Second

// waitFor waits until cond holds for the drawn menu.
func (u *fakeUI) waitFor(t *testing.T, what string, cond func(u *fakeUI) bool) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		u.mu.Lock()
		ok, ch := cond(u), u.changed
		u.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("gave up waiting for %s; menu: %s", what, u.describe())
		}
	}
}

// statusIs waits for a status line that starts with prefix and for icon.
func (u *fakeUI) statusIs(t *testing.T, prefix string, icon IconState) {
	t.Helper()
	u.waitFor(t, fmt.Sprintf("status %q… with the %s icon", prefix, icon), func(u *fakeUI) bool {
		return len(u.items) > 0 && strings.HasPrefix(u.items[0].title, prefix) && u.icon == icon
	})
}

func (u *fakeUI) describe() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.describeLocked()
}

func (u *fakeUI) describeLocked() string {
	var b strings.Builder
	fmt.Fprintf(&b, "icon %s, tooltip %q, items:", u.icon, u.tooltip)
	for _, it := range u.items {
		fmt.Fprintf(&b, " [%s", it.title)
		if it.disabled {
			b.WriteString(" (disabled)")
		}
		if it.checkbox {
			fmt.Fprintf(&b, " checked=%v", it.checked)
		}
		b.WriteString("]")
	}
	return b.String()
}

// isDisabled reports whether the item added with label is disabled now.
func (u *fakeUI) isDisabled(t *testing.T, label string) bool {
	t.Helper()
	it := u.item(t, label)
	u.mu.Lock()
	defer u.mu.Unlock()
	return it.disabled
}

// currentTooltip is the tooltip drawn last.
func (u *fakeUI) currentTooltip() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.tooltip
}

// labels are the items' first titles, separators left out.
func (u *fakeUI) labels() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var l []string
	for _, it := range u.items {
		if it.label != "---" {
			l = append(l, it.label)
		}
	}
	return l
}
