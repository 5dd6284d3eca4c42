//go:build !windows && !darwin && !linux

package downloader

import (
	"net/http"
	"net/url"
)

// systemProxy is no proxy: on the BSDs a proxy is given by the
// environment (read before this), a PAC file or a proxy in the settings.
func systemProxy() func(*http.Request) (*url.URL, error) {
	return func(*http.Request) (*url.URL, error) { return nil, nil }
}
