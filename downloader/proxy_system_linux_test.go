package downloader

import (
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"dlhelper/internal/faultserver"
)

// desktopEnv makes the desktop's settings the only source of a proxy: no
// proxy variables, and GNOME's settings in a keyfile of the test's own
// (GSETTINGS_BACKEND=keyfile keeps them across gsettings processes,
// unlike memory), beside KDE's kioslaverc.
func desktopEnv(t *testing.T, desktop string) (configHome string) {
	t.Helper()
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"} {
		t.Setenv(k, "")
	}
	configHome = t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", configHome)
	t.Setenv("GSETTINGS_BACKEND", "keyfile")
	t.Setenv("XDG_CURRENT_DESKTOP", desktop)
	return configHome
}

func gsettingsSet(t *testing.T, schema, key, value string) {
	t.Helper()
	if out, err := exec.Command("gsettings", "set", schema, key, value).CombinedOutput(); err != nil {
		t.Fatalf("gsettings set %s %s %s (.ci/setup installs libglib2.0-bin and gsettings-desktop-schemas): %v: %s", schema, key, value, err, out)
	}
}

func TestTheDesktopsProxySettingsAreFollowed(t *testing.T) {
	data := proxyTestData(t)
	srv := faultserver.New(t, data)
	proxy := startTinyproxy(t, "", "")
	host, port, _ := net.SplitHostPort(proxy)

	t.Run("GNOME's manual proxy", func(t *testing.T) {
		desktopEnv(t, "ubuntu:GNOME")
		gsettingsSet(t, "org.gnome.system.proxy", "mode", "manual")
		gsettingsSet(t, "org.gnome.system.proxy.http", "host", host)
		gsettingsSet(t, "org.gnome.system.proxy.http", "port", port)
		gsettingsSet(t, "org.gnome.system.proxy", "ignore-hosts", `['localhost', '*.corp.example', "it's"]`)
		want := desktopSettings{http: proxy, ignore: []string{"localhost", "*.corp.example", "it's"}}
		if got := readDesktopProxy(); !reflect.DeepEqual(got, want) {
			t.Errorf("read %+v; want %+v", got, want)
		}
		assertDirect(t, "http://files.corp.example/a.zip")
		downloadThroughTheDesktopsProxy(t, srv.URL(), data)
	})
	t.Run("GNOME's PAC file", func(t *testing.T) {
		desktopEnv(t, "GNOME")
		pac := filepath.Join(t.TempDir(), "proxy.pac")
		writeFile(t, pac, `function FindProxyForURL(url, host) { return "PROXY `+proxy+`"; }`)
		gsettingsSet(t, "org.gnome.system.proxy", "mode", "auto")
		gsettingsSet(t, "org.gnome.system.proxy", "autoconfig-url", "file://"+pac)
		downloadThroughTheDesktopsProxy(t, srv.URL(), data)
	})
	t.Run("KDE's manual proxy in kioslaverc", func(t *testing.T) {
		home := desktopEnv(t, "KDE")
		writeFile(t, filepath.Join(home, "kioslaverc"), "[Proxy Settings]\nProxyType=1\nhttpProxy=http://"+host+" "+port+
			"\nhttpsProxy=http://"+proxy+"\nNoProxyFor=.corp.example,localhost\nReversedException=false\n\n[Other]\nProxyType=0\n")
		assertDirect(t, "http://files.corp.example/a.zip")
		downloadThroughTheDesktopsProxy(t, srv.URL(), data)
	})
	t.Run("no proxy when GNOME says none", func(t *testing.T) {
		desktopEnv(t, "GNOME")
		gsettingsSet(t, "org.gnome.system.proxy.http", "host", host)
		gsettingsSet(t, "org.gnome.system.proxy.http", "port", port)
		assertDirect(t, "http://"+proxiedHost+"/a.zip")
	})
}

func downloadThroughTheDesktopsProxy(t *testing.T, rawURL string, data []byte) {
	t.Helper()
	f := downloadVia(t, ProxySettings{}, viaProxiedHost(t, rawURL), nil)
	if f.State != FileCompleted {
		t.Fatalf("file %s (%v); want completed through the desktop's proxy", f.State, f.Error)
	}
	assertFile(t, f.Path, data)
}

func assertDirect(t *testing.T, rawURL string) {
	t.Helper()
	u, _ := url.Parse(rawURL)
	find, err := ProxySettings{}.finder()
	if err != nil {
		t.Fatal(err)
	}
	if p, err := find(&http.Request{URL: u}); p != nil || err != nil {
		t.Errorf("%s goes through %v (%v); want direct", rawURL, p, err)
	}
}

func TestKDEProxyAddressesOldAndNew(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"http://proxy.corp:3128": "proxy.corp:3128",
		"http://proxy.corp 3128": "proxy.corp:3128",
		"proxy.corp:8080/":       "proxy.corp:8080",
		"socks://[::1]:1080":     "[::1]:1080",
		"http://proxy.corp":      "",
		"http://proxy.corp 0":    "",
		"":                       "",
	} {
		if got := kdeAddr(in); got != want {
			t.Errorf("kdeAddr(%q) = %q; want %q", in, got, want)
		}
	}
}
