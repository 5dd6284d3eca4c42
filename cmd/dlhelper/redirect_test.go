package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"dlhelper/downloader"
	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

// --allow-host holds for redirects too: serve hands it to the engine, and
// an allowed host that redirects elsewhere does not get its file fetched.
func TestServeAllowedHostsHoldForRedirects(t *testing.T) {
	t.Parallel()
	elsewhere := faultserver.New(t, testenv.RandomData(46, 10<<10))
	redirector := httptest.NewServer(http.RedirectHandler(elsewhere.URL(), http.StatusFound))
	t.Cleanup(redirector.Close)
	h := startServe(t, "--allow-host", strings.TrimPrefix(redirector.URL, "http://"))

	ws, _, err := websocket.DefaultDialer.Dial(fmt.Sprintf("ws://127.0.0.1:%d/v1/events", h.port), http.Header{"Origin": {testOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var j downloader.JobInfo
	json.Unmarshal(h.mustCall(http.MethodPost, "/v1/jobs", map[string]any{
		"name": "order", "files": []map[string]any{{"url": redirector.URL + "/a.zip?X-Amz-Signature=abc", "name": "a.zip"}},
	}, http.StatusCreated), &j)
	for {
		ws.SetReadDeadline(time.Now().Add(2 * time.Minute)) // keeps a broken run from hanging
		var ev event
		if err := ws.ReadJSON(&ev); err != nil {
			t.Fatalf("event stream: %v", err)
		}
		if ev.Job != j.ID || (ev.Type != "job.failed" && ev.Type != "job.completed") {
			continue
		}
		if f := ev.Info.Files[0]; ev.Type != "job.failed" || f.Error == nil || f.Error.Code != downloader.CodeRedirect {
			t.Fatalf("%s, file %+v; want job.failed with %s", ev.Type, f, downloader.CodeRedirect)
		}
		break
	}
	if n := elsewhere.Requests(); n != 0 {
		t.Errorf("the host not allowed got %d requests", n)
	}
	if strings.Contains(h.output(), "X-Amz-Signature=abc") {
		t.Errorf("the log shows the signature:\n%s", h.output())
	}
}
