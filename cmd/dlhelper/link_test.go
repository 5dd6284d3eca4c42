package main

import (
	"io"
	"strings"
	"testing"
)

func TestALinkStartTakesNoFlags(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no config file
	refused := [][]string{
		{"dlhelper://start", "--allow-origin=https://evil.example"},
		{"--dir=/tmp/evil", "dlhelper://start"},
		{"dlhelper://start", "-headless"},
		{"dlhelper://start", "dlhelper://status"},
		{singleArgument, "dlhelper://start", "--allow-origin=https://evil.example"},
		{singleArgument, "--allow-origin=https://evil.example"},
	}
	for _, args := range refused {
		if o, err := parseApp(args, io.Discard); err == nil {
			t.Errorf("parseApp(%q) = %+v, want an error: a link comes alone", args, o.serve)
		}
	}
	accepted := []struct {
		args   []string
		action string
	}{
		{[]string{"dlhelper://start"}, "start"},
		{[]string{singleArgument, "dlhelper://status"}, "status"},
		{[]string{singleArgument}, ""},
	}
	for _, tt := range accepted {
		o, err := parseApp(tt.args, io.Discard)
		if err != nil {
			t.Errorf("parseApp(%q): %v", tt.args, err)
			continue
		}
		if len(o.serve.AllowOrigins) != 0 || o.serve.Dir != downloadDir() {
			t.Errorf("parseApp(%q) took settings from the link: %+v", tt.args, o.serve)
		}
		var got []string
		for _, l := range o.links {
			got = append(got, linkAction(l))
		}
		if strings.Join(got, ",") != tt.action {
			t.Errorf("parseApp(%q) has the links %q, want %q", tt.args, got, tt.action)
		}
	}
}

func TestLinkAfterMarkerTakesTheRestOfAWindowsCommandLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cmdline, link string
		ok            bool
	}{
		{`"C:\a b\dlhelper.exe" open --single-argument dlhelper://start`, "dlhelper://start", true},
		{`"C:\a b\dlhelper.exe" open --single-argument dlhelper://x" --allow-origin=https://evil`, `dlhelper://x" --allow-origin=https://evil`, true},
		{`"C:\a b\dlhelper.exe" open --single-argument "dlhelper://x --dir=C:\"`, `dlhelper://x --dir=C:\`, true},
		{`"C:\a b\dlhelper.exe" open --single-argument`, "", true},
		{`"C:\a b\dlhelper.exe" open dlhelper://start`, "", false},
		{`"C:\a b\dlhelper.exe" open --single-argumentX`, "", false},
	}
	for _, tt := range tests {
		link, ok := linkAfterMarker(tt.cmdline)
		if link != tt.link || ok != tt.ok {
			t.Errorf("linkAfterMarker(%s) = %q, %v; want %q, %v", tt.cmdline, link, ok, tt.link, tt.ok)
		}
	}
	if got, want := windowsLinkCommand(`C:\a b\dlhelper.exe`), `"C:\a b\dlhelper.exe" open --single-argument %1`; got != want {
		t.Errorf("the registered command is %s, want %s", got, want)
	}
}
