package main

import (
	"net/url"
	"strings"
	"testing"

	"dlhelper/bridge"
	"dlhelper/tray"
)

func TestOrderLinksHandTheTicketOverAndOpenNothing(t *testing.T) {
	t.Parallel()
	var opened, tickets []string
	a := appEnv{
		log:   discardLog(),
		open:  func(s string) error { opened = append(opened, s); return nil },
		order: func(ticket string) error { tickets = append(tickets, ticket); return nil },
	}
	for _, link := range []string{
		"dlhelper://order?ticket=" + url.QueryEscape("https://portal.example.com/t/abc?x=1"),
		"dlhelper://order",
		"dlhelper://approve",
	} {
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		followLink(u, func() (string, error) { return "http://127.0.0.1:17315/login?n=x", nil }, a)
	}
	if got := strings.Join(tickets, " "); got != "https://portal.example.com/t/abc?x=1" {
		t.Errorf("tickets handed over %q, want the one ticket, decoded", got)
	}
	if got := strings.Join(opened, " "); got != "http://127.0.0.1:17315/login?n=x&to=approve" {
		t.Errorf("opened %q, want only the approval page", got)
	}
}

func TestTheTrustNotificationNamesThePortalInTheUsersLanguage(t *testing.T) {
	t.Parallel()
	r := bridge.TrustRequest{Origin: "https://portal.example.com", Files: 3}
	for lang, want := range map[tray.Lang]string{tray.English: "Allow https://portal.example.com", tray.Chinese: "是否允许 https://portal.example.com"} {
		title, text := trustNotification(lang, r)
		if title == "" || !strings.Contains(text, want) || !strings.Contains(text, "3") {
			t.Errorf("%s: %q / %q, want the portal and the order's 3 files", lang, title, text)
		}
	}
}
