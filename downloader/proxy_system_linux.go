package downloader

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// systemProxy follows the desktop's proxy settings: KDE's kioslaverc on a
// KDE desktop, GNOME's gsettings (org.gnome.system.proxy) elsewhere, as
// Chromium does. No Go library reads them (go-ieproxy and
// go-get-proxied read only the environment on Linux), so this is the
// smallest reader: a manual proxy with its exceptions, or a PAC file.
// WPAD is not looked for. The settings are read again after
// desktopProxyTTL, so a change applies without a restart.
func systemProxy() func(*http.Request) (*url.URL, error) {
	d := &desktopProxy{read: readDesktopProxy}
	return d.lookup
}

const desktopProxyTTL = time.Minute

type desktopProxy struct {
	read func() desktopSettings

	mu     sync.Mutex
	at     time.Time
	cached func(*http.Request) (*url.URL, error)
}

func (d *desktopProxy) finder() func(*http.Request) (*url.URL, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cached == nil || time.Since(d.at) > desktopProxyTTL {
		d.cached, d.at = d.read().finder(), time.Now()
	}
	return d.cached
}

func (d *desktopProxy) lookup(r *http.Request) (*url.URL, error) { return d.finder()(r) }

// desktopSettings are a desktop's proxy settings, whichever desktop's.
type desktopSettings struct {
	http, https, socks string   // host:port, or "" for none
	pac                string   // a PAC file's address in auto mode
	ignore             []string // hosts, domains and networks to reach directly
	user, password     string   // for the http proxy
}

// finder turns the settings into the engine's proxy finder.
func (s desktopSettings) finder() func(*http.Request) (*url.URL, error) {
	if s.pac != "" {
		find, err := pacFinder(s.pac)
		if err != nil {
			return func(*http.Request) (*url.URL, error) { return nil, err }
		}
		return find
	}
	withUser := func(addr string) string {
		if addr == "" || s.user == "" {
			return addr
		}
		return (&url.URL{Scheme: "http", User: url.UserPassword(s.user, s.password), Host: addr}).String()
	}
	c := httpproxy.Config{HTTPProxy: withUser(s.http), HTTPSProxy: withUser(cmp.Or(s.https, s.http))}
	if c.HTTPProxy == "" && c.HTTPSProxy == "" && s.socks != "" {
		c.HTTPProxy = "socks5://" + s.socks
		c.HTTPSProxy = c.HTTPProxy
	}
	for _, h := range s.ignore {
		// GNOME and KDE write "*.corp" where NO_PROXY writes ".corp".
		c.NoProxy += strings.TrimPrefix(strings.TrimSpace(h), "*") + ","
	}
	f := c.ProxyFunc()
	return func(r *http.Request) (*url.URL, error) { return f(r.URL) }
}

func readDesktopProxy() desktopSettings {
	if strings.Contains(strings.ToUpper(os.Getenv("XDG_CURRENT_DESKTOP")), "KDE") {
		return readKDEProxy(kioslavercPath())
	}
	ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	out, err := exec.CommandContext(ctx, "gsettings", "list-recursively", "org.gnome.system.proxy").Output()
	if err != nil { // no gsettings, or no GNOME schema: no desktop proxy
		return desktopSettings{}
	}
	return parseGNOMEProxy(out)
}

// parseGNOMEProxy reads `gsettings list-recursively org.gnome.system.proxy`.
func parseGNOMEProxy(out []byte) desktopSettings {
	v := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		schema, rest, _ := strings.Cut(sc.Text(), " ")
		key, value, _ := strings.Cut(rest, " ")
		v[strings.TrimPrefix(schema, "org.gnome.system.proxy")+" "+key] = value
	}
	str := func(k string) string { return first(gvariantStrings(v[k])) }
	addr := func(kind string) string {
		host, port := str("."+kind+" host"), v["."+kind+" port"]
		if host == "" || port == "" || port == "0" {
			return ""
		}
		return net.JoinHostPort(host, port)
	}
	var s desktopSettings
	switch str(" mode") {
	case "manual":
		s.http, s.https, s.socks = addr("http"), addr("https"), addr("socks")
		s.ignore = gvariantStrings(v[" ignore-hosts"])
		if v[".http use-authentication"] == "true" {
			s.user, s.password = str(".http authentication-user"), str(".http authentication-password")
		}
	case "auto":
		s.pac = str(" autoconfig-url")
	}
	return s
}

// gvariantStrings returns the strings in a GVariant's text form: one for
// 'a string', each element of ['an', "array"].
func gvariantStrings(text string) []string {
	var out []string
	for i := 0; i < len(text); i++ {
		q := text[i]
		if q != '\'' && q != '"' {
			continue
		}
		var b strings.Builder
		for i++; i < len(text) && text[i] != q; i++ {
			if text[i] == '\\' && i+1 < len(text) {
				i++
			}
			b.WriteByte(text[i])
		}
		out = append(out, b.String())
	}
	return out
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

func kioslavercPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "kioslaverc")
}

// readKDEProxy reads the [Proxy Settings] group of KDE's kioslaverc.
// ProxyType: 1 manual, 2 a PAC file; 3 (WPAD) and 4 (the environment,
// already read) mean nothing more here.
func readKDEProxy(path string) desktopSettings {
	data, err := os.ReadFile(path)
	if err != nil {
		return desktopSettings{}
	}
	v := map[string]string{}
	group := ""
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			group = strings.Trim(line, "[]")
			continue
		}
		if k, val, ok := strings.Cut(line, "="); ok && group == "Proxy Settings" {
			v[strings.TrimSpace(strings.SplitN(k, "[", 2)[0])] = strings.TrimSpace(val)
		}
	}
	var s desktopSettings
	switch v["ProxyType"] {
	case "1":
		if v["ReversedException"] == "true" { // proxy only the listed hosts: not followed
			return s
		}
		s.http, s.https, s.socks = kdeAddr(v["httpProxy"]), kdeAddr(v["httpsProxy"]), kdeAddr(v["socksProxy"])
		for h := range strings.SplitSeq(v["NoProxyFor"], ",") {
			if h = strings.TrimSpace(h); h != "" {
				s.ignore = append(s.ignore, h)
			}
		}
	case "2":
		s.pac = v["Proxy Config Script"]
	}
	return s
}

// kdeAddr reads a kioslaverc proxy: "http://host:port", or the older
// "http://host port".
func kdeAddr(v string) string {
	if v == "" {
		return ""
	}
	if i := strings.Index(v, "://"); i >= 0 {
		v = v[i+3:]
	}
	v = strings.TrimSuffix(v, "/")
	if host, port, ok := strings.Cut(v, " "); ok {
		v = net.JoinHostPort(host, strings.TrimSpace(port))
	}
	if _, port, err := net.SplitHostPort(v); err != nil || port == "" || port == "0" {
		return ""
	} else if _, err := strconv.Atoi(port); err != nil {
		return ""
	}
	return v
}
