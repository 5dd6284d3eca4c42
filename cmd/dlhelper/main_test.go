package main

import (
	"bytes"
	"go/parser"
	"go/token"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestHelpListsEveryCommand(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if code := run([]string{"help"}, &out, io.Discard); code != 0 {
		t.Fatalf("dlhelper help exited %d", code)
	}
	for _, c := range commandTable() {
		line := synopsis(c) + " "
		if !strings.Contains(out.String(), line) || !strings.Contains(out.String(), c.summary+"\n") {
			t.Errorf("dlhelper help does not list %q with %q:\n%s", synopsis(c), c.summary, out.String())
		}
	}
}

func TestPackageDocNamesEveryCommand(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, parser.PackageClauseOnly|parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	words := strings.FieldsFunc(f.Doc.Text(), func(r rune) bool { return !('a' <= r && r <= 'z') })
	for _, c := range commandTable() {
		if c.name != "" && !slices.Contains(words, c.name) {
			t.Errorf("the package doc does not name the command %q:\n%s", c.name, f.Doc.Text())
		}
	}
}

func TestCommandNamesAreUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, c := range commandTable() {
		if seen[c.name] {
			t.Errorf("the command %q is in the table twice", c.name)
		}
		seen[c.name] = true
		if c.run == nil || c.summary == "" {
			t.Errorf("the command %q lacks its run function or its help line", c.name)
		}
	}
}

// The tray needs the main thread (Cocoa, GTK): the commands that may show it
// keep the main goroutine locked there; the others let it go.
func TestOnlyTrayCommandsKeepTheMainThread(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want bool
	}{
		{nil, true},
		{[]string{"-headless"}, true}, // the desktop app decides at run time
		{[]string{"--dir=/tmp/x"}, true},
		{[]string{"dlhelper://status"}, true},
		{[]string{"open", "dlhelper://order?ticket=x"}, true},
		{[]string{"open", "--single-argument", "dlhelper://start"}, true},
		{[]string{"get", "https://example.com/a"}, false},
		{[]string{"serve", "--allow-origin", "https://portal.example.com"}, false},
		{[]string{"status"}, false},
		{[]string{"install"}, false},
		{[]string{"uninstall"}, false},
		{[]string{"version"}, false},
		{[]string{"help"}, false},
		{[]string{"-h"}, false},
		{[]string{"bogus"}, false},
	}
	for _, tt := range tests {
		if got := keepsMainThread(tt.args); got != tt.want {
			t.Errorf("keepsMainThread(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
	for _, c := range commandTable() {
		args := []string{c.name}
		if c.name == "" {
			args = nil
		}
		if got := keepsMainThread(args); got != c.tray {
			t.Errorf("keepsMainThread(%q) = %v, but the table says tray=%v", args, got, c.tray)
		}
	}
}

func TestCommandDispatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"version"}, 0, "dlhelper dev\n", ""},
		{[]string{"--help"}, 0, "Usage:", ""},
		{[]string{"-h"}, 0, "Usage:", ""},
		{[]string{"bogus"}, 2, "", `unknown command "bogus". Run "dlhelper help"`},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(tt.args, &stdout, &stderr)
		if code != tt.code || !strings.Contains(stdout.String(), tt.out) || !strings.Contains(stderr.String(), tt.err) {
			t.Errorf("run(%q) = %d, stdout %q, stderr %q; want %d, %q, %q", tt.args, code, stdout.String(), stderr.String(), tt.code, tt.out, tt.err)
		}
	}
}
