package bridge

import (
	"net"
	"net/url"
)

// maxPageURL bounds a job's pageUrl; a portal's order page needs far less.
const maxPageURL = 2048

// checkPageURL checks the optional pageUrl of a job: the portal page the
// order came from, which the status page links to ("Open in portal"). A
// page may link only to its own origin, so one portal cannot plant a
// link to another site (a look-alike login) in dlhelper's own page; and
// only to https, or http on loopback for a portal under development. A
// local tool (no origin) may name any such page.
func checkPageURL(raw, origin string) error {
	if raw == "" {
		return nil
	}
	if len(raw) > maxPageURL {
		return invalid("pageUrl: at most %d characters; link the order's page without extra parameters", maxPageURL)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil {
		return invalid("pageUrl: %q is not an absolute https:// address of the order's page", raw)
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !isLoopback(u.Hostname())) {
		return invalid("pageUrl: %q must start with https:// (http:// only on this computer, for development)", raw)
	}
	if origin == "" {
		return nil
	}
	if own, err := NormalizeOrigin(u.Scheme + "://" + u.Host); err != nil || own != origin {
		return invalid("pageUrl: %q is not on the page's own origin %s; a page may only link to itself", raw, origin)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
