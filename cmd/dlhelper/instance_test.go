package main

import (
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

func TestOneInstanceHoldsTheLock(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	first, err := acquireInstance(state)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acquireInstance(state); !errors.Is(err, errRunning) {
		t.Fatalf("a second acquire while the first holds the lock = %v, want errRunning", err)
	}
	first.release()
	again, err := acquireInstance(state)
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	again.release()
}

func TestParseAppSplitsLinksAndFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		args         []string
		wantLinks    []string
		wantHeadless bool
		wantDir      string
		wantErr      string
	}{
		{name: "no arguments", args: nil},
		{name: "a start link", args: []string{"dlhelper://start"}, wantLinks: []string{"start"}},
		{name: "a link in capitals", args: []string{"DLHELPER://Start/"}, wantLinks: []string{"start"}},
		{name: "flags around a link are refused", args: []string{"--headless", "dlhelper:status", "--dir", "/d"}, wantErr: "link starts dlhelper alone"},
		{name: "flags", args: []string{"--headless", "--dir", "/d"}, wantHeadless: true, wantDir: "/d"},
		{name: "headless=false", args: []string{"-headless=false"}},
		{name: "another scheme is an argument serve refuses", args: []string{"https://x"}, wantErr: `"https://x"`},
		{name: "a link too long", args: []string{"dlhelper://start?" + strings.Repeat("a", 3000)}, wantErr: "not a dlhelper:// link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := tt.args
			if !isLinkStart(args) { // a link comes alone, with the config file's settings
				args = append([]string{"--config", ""}, tt.args...)
			}
			o, err := parseApp(args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseApp(%q) error = %v, want one saying %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseApp(%q): %v", tt.args, err)
			}
			var links []string
			for _, l := range o.links {
				links = append(links, linkAction(l))
			}
			if strings.Join(links, ",") != strings.Join(tt.wantLinks, ",") || o.headless != tt.wantHeadless {
				t.Errorf("parseApp(%q) = links %q, headless %v; want %q, %v", tt.args, links, o.headless, tt.wantLinks, tt.wantHeadless)
			}
			if tt.wantDir != "" && o.serve.Dir != tt.wantDir {
				t.Errorf("parseApp(%q) dir = %q, want %q", tt.args, o.serve.Dir, tt.wantDir)
			}
		})
	}
}

func TestFollowLinkOpensOnlyWhatItKnows(t *testing.T) {
	t.Parallel()
	var opened []string
	a := appEnv{log: discardLog(), open: func(s string) error { opened = append(opened, s); return nil }}
	for _, link := range []string{"dlhelper://start", "dlhelper://status", "dlhelper://file/etc/passwd", "dlhelper://open?url=https://evil"} {
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		followLink(u, func() (string, error) { return "http://127.0.0.1:17315/login?n=x", nil }, a)
	}
	if got := strings.Join(opened, " "); got != "http://127.0.0.1:17315/login?n=x" {
		t.Errorf("links opened %q, want only the status page", got)
	}
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestStatusSaysWhenNoHelperRuns(t *testing.T) {
	t.Parallel()
	var stdout, stderr strings.Builder
	if code := run([]string{"status", "--state", t.TempDir()}, &stdout, &stderr); code != 1 {
		t.Errorf("status with no helper exited %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "dlhelper is not running") {
		t.Errorf("stderr = %q, want it to say dlhelper is not running", stderr.String())
	}
}
