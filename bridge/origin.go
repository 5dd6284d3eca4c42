package bridge

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// NormalizeOrigin checks that s is a web origin (scheme://host[:port], no
// path) and returns it the way a browser sends it in an Origin header:
// lower case, without the scheme's default port. Hosts with non-ASCII
// letters must be given in their xn-- (punycode) form, as browsers send.
func NormalizeOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return "", fmt.Errorf("%q is not an origin; write it as https://portal.example.com", s)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("the origin %q must start with https:// or http://", s)
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("the origin %q must not have a path, query or user; write only scheme://host[:port]", s)
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" || (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		return u.Scheme + "://" + host, nil
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("the origin %q has an invalid port", s)
	}
	return u.Scheme + "://" + net.JoinHostPort(host, port), nil
}

// loopbackNames are the Host values (with :PORT) a request to the helper
// may carry. Anything else is a DNS rebinding attempt or a misrouted call.
var loopbackNames = []string{"127.0.0.1", "localhost", "[::1]"}

// selfOrigins are the helper's own origins, those of its status page.
func selfOrigins(port int) []string {
	out := make([]string, len(loopbackNames))
	for i, n := range loopbackNames {
		out[i] = fmt.Sprintf("http://%s:%d", n, port)
	}
	return out
}
