package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"dlhelper/bridge"
	"dlhelper/downloader"
)

const pairingPortal = "https://portal.example.com"

// sdkConnect runs the SDK's connect() in Node as a page of pairingPortal
// would (its localStorage given as store), against ports, and returns what
// came of it and the storage afterwards.
type sdkResult struct {
	OK    bool              `json:"ok"`
	Base  string            `json:"base"`
	Code  string            `json:"code"`
	Store map[string]string `json:"store"`
}

const sdkScript = `
const origin = process.env.ORIGIN;
globalThis.location = { origin };
const store = new Map(Object.entries(JSON.parse(process.env.STORE)));
globalThis.localStorage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, String(v)), removeItem: (k) => store.delete(k) };
// Node sends no Origin of its own; a browser would, for this page.
const realFetch = globalThis.fetch;
globalThis.fetch = (url, init = {}) => realFetch(url, { ...init, headers: { ...(init.headers ?? {}), Origin: origin } });
globalThis.WebSocket = class { close() {} };
const { connect } = await import(process.env.SDK);
let out;
try {
  const h = await connect({ ports: JSON.parse(process.env.PORTS), launch: false, timeout: 10000 });
  out = { ok: true, base: h.base };
} catch (e) {
  out = { ok: false, code: e.code ?? String(e) };
}
console.log(JSON.stringify({ ...out, store: Object.fromEntries(store) }));
process.exit(0);
`

func sdkConnect(t *testing.T, store map[string]string, ports ...int) sdkResult {
	t.Helper()
	sdk, err := filepath.Abs("../sdk/dlhelper.js")
	if err != nil {
		t.Fatal(err)
	}
	st, _ := json.Marshal(store)
	ps, _ := json.Marshal(ports)
	cmd := exec.Command("node", "--input-type=module", "-e", sdkScript)
	cmd.Env = append(cmd.Environ(), "ORIGIN="+pairingPortal, "STORE="+string(st), "PORTS="+string(ps), "SDK=file://"+sdk)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node (install it: apt-get install nodejs): %v: %s", err, out)
	}
	var r sdkResult
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("node printed %s", out)
	}
	return r
}

// Issue 16 (port squatting): another user's program on the helper's port
// answered hello like the helper and got the order's links. A paired page
// skips a program that cannot prove the pairing, and refuses one that is
// alone.
func TestSDKRefusesAHelperThatCannotProveThePairing(t *testing.T) {
	t.Parallel()
	realPort := startBridge(t)
	squatter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v1/pair" {
			fmt.Fprint(w, `{"secret":"`+strings.Repeat("ab", 32)+`"}`)
			return
		}
		fmt.Fprint(w, `{"app":"dlhelper","version":"9","api":1,"paired":true,"proof":"`+strings.Repeat("0", 64)+`"}`)
	}))
	t.Cleanup(squatter.Close)
	squatPort := squatter.Listener.Addr().(*net.TCPAddr).Port

	first := sdkConnect(t, map[string]string{}, realPort)
	secret := first.Store["dlhelper-pairing"]
	if !first.OK || len(secret) != 64 {
		t.Fatalf("the first connect = %+v, want the helper and a pairing kept", first)
	}
	if r := sdkConnect(t, first.Store, squatPort, realPort); !r.OK || !strings.HasSuffix(r.Base, fmt.Sprint(realPort)) {
		t.Errorf("with a squatter on the first port: %+v, want the real helper on %d", r, realPort)
	}
	if r := sdkConnect(t, first.Store, squatPort); r.OK || r.Code != "impostor" {
		t.Errorf("with only the squatter: %+v, want the impostor error", r)
	}
	if r := sdkConnect(t, first.Store, realPort); !r.OK || r.Store["dlhelper-pairing"] != secret {
		t.Errorf("the paired helper again: %+v, want it accepted with the same pairing", r)
	}
}

// startBridge serves a real bridge over a real Manager for pairingPortal.
func startBridge(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m, err := downloader.New(downloader.Config{StateDir: t.TempDir(), Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	b := bridge.New(bridge.Options{Manager: m, Token: strings.Repeat("ab", 32), AllowedOrigins: []string{pairingPortal}, Port: port, StateDir: t.TempDir()})
	srv := &http.Server{Handler: b.Handler()}
	go srv.Serve(l)
	t.Cleanup(func() {
		srv.Close()
		b.Close()
		m.Close()
	})
	return port
}
