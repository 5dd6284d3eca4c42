package downloader

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Mark-of-the-Web: a file from the internet carries where it came from, so
// that Windows SmartScreen and Office's Protected View, and macOS
// Gatekeeper, treat it as downloaded and not as the user's own. Without
// it, an archive from a portal opens as trusted as a file the user wrote.
// The mark is written after the rename; failing to write it is logged and
// does not fail the file (FAT and network drives have no streams or
// extended attributes).

// markOfTheWeb marks the file just renamed to t.rel.
func (t *transfer) markOfTheWeb() {
	origin := t.f.job.rec.Origin // set when the job was made, never changed
	if err := markFile(t.place().root.now(), native(t.rel), origin, t.url()); err != nil {
		t.log.Warn("could not mark the file as downloaded from the internet", "path", t.path, "err", err)
	}
}

// zoneIdentifier is the content of Windows' NAME:Zone.Identifier stream:
// zone 3 (Internet), the page that asked for the file and the file's own
// address without its query (the query holds a presigned URL's signature).
func zoneIdentifier(origin, rawURL string) string {
	var b strings.Builder
	b.WriteString("[ZoneTransfer]\r\nZoneId=3\r\n")
	if o := cleanOrigin(origin); o != "" {
		fmt.Fprintf(&b, "ReferrerUrl=%s\r\n", o)
	}
	if u := cleanHostURL(rawURL); u != "" {
		fmt.Fprintf(&b, "HostUrl=%s\r\n", u)
	}
	return b.String()
}

// quarantineValue is the content of macOS' com.apple.quarantine attribute:
// flags (0x0081: downloaded from the web, not yet approved), the time in
// hex seconds, and the agent, here dlhelper naming the portal's origin.
// The attribute has no field for a URL; macOS keeps those in a database
// only Launch Services writes.
func quarantineValue(origin string, now time.Time) string {
	agent := "dlhelper"
	if o := cleanOrigin(origin); o != "" {
		agent += " (" + strings.ReplaceAll(o, ";", "") + ")"
	}
	return fmt.Sprintf("0081;%08x;%s;", now.Unix(), agent)
}

// cleanOrigin returns origin when it is an http(s) origin, else "". The
// value is written into a line-based format: no line breaks get through.
func cleanOrigin(origin string) string {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(origin, "\r\n") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// cleanHostURL returns the URL without query, fragment or user info.
func cleanHostURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment, u.User = "", false, "", "", nil
	s := u.String()
	if strings.ContainsAny(s, "\r\n") {
		return ""
	}
	return s
}
