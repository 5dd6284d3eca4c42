package power

import (
	"runtime"

	"golang.org/x/sys/windows"
)

// System returns Windows' execution state request.
func System() Inhibitor {
	w := &execState{ask: make(chan bool), done: make(chan error)}
	go w.loop()
	return w
}

const (
	esContinuous     = 0x80000000
	esSystemRequired = 0x00000001
)

var setThreadExecutionState = windows.NewLazySystemDLL("kernel32.dll").NewProc("SetThreadExecutionState")

// execState asks for ES_SYSTEM_REQUIRED. The state belongs to the thread
// that set it, so one locked thread sets and clears it; the display may
// still turn off.
type execState struct {
	ask  chan bool
	done chan error
}

func (w *execState) loop() {
	runtime.LockOSThread()
	for on := range w.ask {
		flags := uintptr(esContinuous)
		if on {
			flags |= esSystemRequired
		}
		r, _, err := setThreadExecutionState.Call(flags)
		if r == 0 {
			w.done <- err
			continue
		}
		w.done <- nil
	}
}

func (w *execState) Inhibit() error { w.ask <- true; return <-w.done }
func (w *execState) Release()       { w.ask <- false; <-w.done }
