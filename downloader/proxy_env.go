//go:build !windows && !darwin

package downloader

import (
	"net/http"
	"net/url"
)

// systemProxy is no proxy: on Linux a proxy is given by the environment
// (read before this), a PAC file or a proxy in the settings. GNOME's and
// KDE's own proxy settings are not read yet.
func systemProxy() func(*http.Request) (*url.URL, error) {
	return func(*http.Request) (*url.URL, error) { return nil, nil }
}
