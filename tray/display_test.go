package tray

import (
	"errors"
	"runtime"
	"testing"
)

func TestAvailableWithoutADisplay(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		t.Skip("Windows and macOS always have a desktop to put the icon on")
	}
	tests := []struct{ name, display string }{
		{"no DISPLAY", ""},
		{"a malformed DISPLAY", "nonsense"},
		{"a display number that is not one", ":x"},
		{"a display nobody serves", ":4095"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("WAYLAND_DISPLAY", "")
			t.Setenv("DISPLAY", tt.display)
			if err := Available(); !errors.Is(err, ErrNoDisplay) {
				t.Errorf("Available() with DISPLAY=%q = %v, want ErrNoDisplay", tt.display, err)
			}
		})
	}
}
