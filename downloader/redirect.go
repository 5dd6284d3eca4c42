package downloader

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// CodeRedirect says a server sent the download to a place dlhelper may not
// follow it to.
const CodeRedirect = "redirect_refused"

// maxRedirects is net/http's own limit.
const maxRedirects = 10

// redirectChecked returns a copy of c that checks every redirect as the
// bridge checks a job's URLs when it is added: http or https, a host of
// Config.AllowedHosts when there are any, and never to this machine or the
// link-local network (cloud metadata at 169.254.169.254, say) unless the
// first URL was there too. Otherwise a presigned URL that answers "302
// Location: http://127.0.0.1:…/" would make dlhelper fetch from the user's
// own services and hand the bytes to a file the page can name.
func (m *Manager) redirectChecked(c *http.Client) *http.Client {
	cc := *c
	next, allowed := c.CheckRedirect, m.cfg.AllowedHosts
	cc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := checkRedirect(allowed, req.URL, via[0].URL); err != nil {
			return err
		}
		if err := checkResolved(req.Context(), m.resolve, req.URL, via[0].URL); err != nil {
			return err
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= maxRedirects {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &cc
}

// resolver looks a host name up; net.DefaultResolver's, or a test's.
type resolver func(ctx context.Context, host string) ([]netip.Addr, error)

func lookupHost(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// refusal is the error of a redirect the download may not follow.
func refusal(target *url.URL, why string) error {
	return &FileError{CodeRedirect, fmt.Sprintf("The server sent the download on to %s, %s. Ask the portal's support about the order.", RedactURL(target.String()), why)}
}

// checkResolved refuses a redirect to a name that resolves to this
// computer or the link-local network when the first URL was not there:
// the name alone lets "files.example" pointed at 127.0.0.1 through. A
// name that resolves differently between this check and the dial (DNS
// rebinding) is not caught; --allow-host is the stronger guard. A name
// that does not resolve is left to the dial, which fails and says so.
func checkResolved(ctx context.Context, resolve resolver, target, first *url.URL) error {
	host := target.Hostname()
	if _, err := netip.ParseAddr(host); err == nil || hostKind(host) != hostOther {
		return nil // an address, or localhost: checkRedirect decided
	}
	addrs, err := resolve(ctx, host)
	if err != nil {
		return nil
	}
	from := hostKind(first.Hostname())
	for _, a := range addrs {
		switch hostKind(a.Unmap().String()) {
		case hostLoopback:
			if from != hostLoopback {
				return refusal(target, "whose name leads to this computer")
			}
		case hostLinkLocal:
			if from != hostLinkLocal {
				return refusal(target, "whose name leads to the local network link")
			}
		}
	}
	return nil
}

// checkRedirect reports why the download may not follow a redirect from
// first's request to target, or nil.
func checkRedirect(allowed []string, target, first *url.URL) error {
	refuse := func(why string) error { return refusal(target, why) }
	switch {
	case target.Scheme != "http" && target.Scheme != "https":
		return refuse("which is not an http or https address")
	case len(allowed) > 0 && !hostAllowed(allowed, target):
		return refuse("a host dlhelper is not set to download from")
	}
	to, from := hostKind(target.Hostname()), hostKind(first.Hostname())
	switch {
	case to == hostNumeric:
		return refuse("an address written in a form dlhelper does not follow")
	case to == hostLoopback && from != hostLoopback:
		return refuse("which is this computer")
	case to == hostLinkLocal && from != hostLinkLocal:
		return refuse("which is on the local network link")
	}
	return nil
}

// hostAllowed matches u's host against entries "host" (any port) and
// "host:port", as the bridge does.
func hostAllowed(allowed []string, u *url.URL) bool {
	host, hostPort := strings.ToLower(u.Hostname()), strings.ToLower(u.Host)
	return slices.ContainsFunc(allowed, func(a string) bool {
		a = strings.ToLower(strings.TrimSpace(a))
		return a == host || a == hostPort
	})
}

type hostClass int

const (
	hostOther hostClass = iota
	hostLoopback
	hostLinkLocal
	hostNumeric // digits a resolver might read as an address ("127.1", "2130706433")
)

// hostKind classes a URL's host name. Unspecified addresses (0.0.0.0, ::)
// reach this machine, so they count as loopback.
func hostKind(host string) hostClass {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return hostLoopback
	}
	ip, err := netip.ParseAddr(h)
	if err != nil {
		if numericHost(h) {
			return hostNumeric
		}
		return hostOther
	}
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback() || ip.IsUnspecified():
		return hostLoopback
	case ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast():
		return hostLinkLocal
	}
	return hostOther
}

// numericHost reports a name inet_aton would read as an IPv4 address:
// up to four dot-separated numbers, decimal, octal or hex ("127.1",
// "0x7f.0.0.1", "2130706433"). netip does not parse them; a system
// resolver may.
func numericHost(h string) bool {
	labels := strings.Split(h, ".")
	if len(labels) > 4 {
		return false
	}
	for _, l := range labels {
		digits, hex := strings.CutPrefix(l, "0x")
		set := "0123456789"
		if hex {
			set = "0123456789abcdef"
		}
		if digits == "" || strings.Trim(digits, set) != "" {
			return false
		}
	}
	return true
}

// RedactURL returns raw without its query, fragment and user info, which
// in a presigned URL hold the signature: what a log line or an error
// message may show. "?…" marks a query that was there.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an address that is not a valid URL)"
	}
	q := u.RawQuery != "" || u.ForceQuery
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment, u.User = "", false, "", "", nil
	s := u.String()
	if q {
		s += "?…"
	}
	return s
}

// redactErr strips the query from the URL that net/http puts in its
// errors ("Get \"https://…?X-Amz-Signature=…\": EOF"), so the error can be
// logged, stored and shown.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = RedactURL(ue.URL)
	}
	return err
}
