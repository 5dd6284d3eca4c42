//go:build windows || darwin

package downloader

import (
	"net/http"
	"net/url"

	"github.com/mattn/go-ieproxy"
)

// systemProxy reads the system's proxy settings with go-ieproxy: on
// Windows the WinINet settings (fixed proxy, bypass list, PAC file and
// WPAD, evaluated by WinHTTP), on macOS CFNetwork's (with cgo).
func systemProxy() func(*http.Request) (*url.URL, error) {
	return ieproxy.GetProxyFunc()
}
