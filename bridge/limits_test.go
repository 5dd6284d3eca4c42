package bridge

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"dlhelper/internal/faultserver"
)

// Issue 16: 500 WebSocket clients that never read each got a stream and a
// full snapshot, and memory grew from 74 MiB to 2.4 GiB. Streams past the
// limit are refused before anything is built for them.
func TestEventStreamsPastTheLimitAreRefused(t *testing.T) {
	t.Parallel()
	const limit, clients = 8, 500
	e := newEnv(t, withOptions(func(o *Options) { o.Limits.Streams = limit }))
	e.addJob(jobJSON("http://127.0.0.1:1/x", "a.zip", "b.zip"))
	h := http.Header{"Authorization": {"Bearer " + testToken}}
	refused := 0
	for range clients {
		ws, resp, err := websocket.DefaultDialer.Dial(e.wsURL(), h)
		if err == nil {
			t.Cleanup(func() { ws.Close() }) // never read
			continue
		}
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		var body bytes.Buffer
		body.ReadFrom(resp.Body)
		result{resp.StatusCode, resp.Header, body.Bytes()}.want(t, http.StatusServiceUnavailable, CodeBusy)
		refused++
	}
	if refused != clients-limit {
		t.Errorf("%d of %d streams refused, want %d", refused, clients, clients-limit)
	}
	if n := e.s.openStreams(); n > limit {
		t.Errorf("%d streams open, want at most %d", n, limit)
	}
}

// A stream that ends gives its place back.
func TestAClosedStreamFreesItsPlace(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withOptions(func(o *Options) { o.Limits.Streams = 1 }))
	h := http.Header{"Authorization": {"Bearer " + testToken}}
	ws, _ := e.dial(h)
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for { // the server answers the close and ends the stream
		if _, _, err := ws.ReadMessage(); err != nil {
			break
		}
	}
	for { // dial until the server has counted the stream out; no sleeps
		ws2, resp, err := websocket.DefaultDialer.Dial(e.wsURL(), h)
		if err == nil {
			ws2.Close()
			return
		}
		if resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("dial: %v", err)
		}
	}
}

// Issue 16: 3,000 requests that announced 8 MB bodies and sent 1 byte all
// stayed open. The server's read timeout closes them.
func TestRequestsThatTrickleAreClosed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withGuard(), withOptions(func(o *Options) {
		o.Limits.ReadTimeout, o.Limits.ReadHeaderTimeout = 200*time.Millisecond, 200*time.Millisecond
	}))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			c, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			// The deadline only keeps a broken test from hanging.
			c.SetDeadline(time.Now().Add(60 * time.Second))
			if i%2 == 0 { // a body that never comes
				fmt.Fprintf(c, "POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"+
					"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n{", e.port, testToken, MaxBodyBytes)
			} else { // headers that never end
				fmt.Fprintf(c, "GET /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n", e.port)
			}
			rd := bufio.NewReader(c)
			for {
				if _, err := rd.ReadByte(); err != nil {
					if ne, ok := err.(net.Error); ok && ne.Timeout() {
						t.Errorf("request %d: still open after 60 s", i)
					}
					return // closed by the server: what is wanted
				}
			}
		})
	}
	wg.Wait()
}

// Guard's slots: a connection's slot comes back when it closes, once.
func TestGuardGivesSlotsBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withGuard(), withOptions(func(o *Options) { o.Limits.Conns = 2 }))
	for range 10 { // more connections in turn than slots: each frees its own
		e.do(req{path: "/v1/hello", header: map[string]string{"Connection": "close"}})
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := e.s.Guard(l)
	defer g.Close()
	go func() {
		c, err := net.Dial("tcp", l.Addr().String())
		if err == nil {
			defer c.Close()
			c.Read(make([]byte, 1))
		}
	}()
	c, err := g.Accept()
	if err != nil {
		t.Fatal(err)
	}
	before := len(e.s.conns)
	c.Close()
	c.Close()
	if after := len(e.s.conns); after != before-1 {
		t.Errorf("slots taken %d → %d after closing one connection twice, want %d", before, after, before-1)
	}
}

func TestJobsAndFilesAreCapped(t *testing.T) {
	t.Parallel()
	srv := faultserver.New(t, []byte("x"))
	t.Run("jobs", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, withOptions(func(o *Options) { o.Limits.Jobs = 2 }))
		e.addJob(jobJSON(srv.URL(), "a"))
		e.addJob(jobJSON(srv.URL(), "b"))
		r := e.do(req{method: "POST", path: "/v1/jobs", body: jobJSON(srv.URL(), "c"), origin: portal})
		r.want(t, http.StatusConflict, CodeTooManyJobs)
		if !strings.Contains(r.apiErr().Message, "remove finished jobs") {
			t.Errorf("message %q does not say what to do", r.apiErr().Message)
		}
	})
	t.Run("files over all jobs", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, withOptions(func(o *Options) { o.Limits.Files = 3 }))
		e.addJob(jobJSON(srv.URL(), "a", "b"))
		e.do(req{method: "POST", path: "/v1/jobs", body: jobJSON(srv.URL(), "c", "d"), origin: portal}).want(t, http.StatusConflict, CodeTooManyJobs)
		e.addJob(jobJSON(srv.URL(), "c"))
	})
	t.Run("files in one job", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		names := make([]string, 10001)
		for i := range names {
			names[i] = fmt.Sprintf("f%d", i)
		}
		e.do(req{method: "POST", path: "/v1/jobs", body: jobJSON("http://h/x", names...), origin: portal}).want(t, http.StatusRequestEntityTooLarge, CodeTooManyFiles)
	})
}

// Issue 16: PUT …/url took a 7 MiB URL, where a job's URLs are limited to
// 16 KiB.
func TestLongURLsAreRefusedOnPut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	j := e.addJob(jobJSON("http://127.0.0.1:1/x", "a.zip"))
	put := func(u string) result {
		b, _ := json.Marshal(urlRequest{URL: u})
		return e.do(req{method: "PUT", path: "/v1/jobs/" + j.ID + "/files/0/url", body: string(b), origin: portal})
	}
	put("http://127.0.0.1:1/x?"+strings.Repeat("a", 7<<20)).want(t, http.StatusRequestEntityTooLarge, CodeTooLarge)
	put("http://127.0.0.1:1/x?"+strings.Repeat("a", MaxURLBytes)).want(t, http.StatusBadRequest, CodeInvalid)
	put("http://127.0.0.1:1/y").want(t, http.StatusOK, "")
}

// Issue 16: Host and Origin were logged whole, however long.
func TestLoggedHeadersAreClipped(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	e := newEnv(t, withOptions(func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(&log, nil)) }))
	long := strings.Repeat("x", 1<<20)
	for _, h := range []map[string]string{{"Origin": "https://" + long}, {"Host": long}} {
		r := httptest.NewRequest("GET", "/v1/jobs", nil)
		r.Host = "127.0.0.1:" + fmt.Sprint(e.port)
		for k, v := range h {
			if k == "Host" {
				r.Host = v
			} else {
				r.Header.Set(k, v)
			}
		}
		w := httptest.NewRecorder()
		e.s.Handler().ServeHTTP(w, r)
		if w.Code != http.StatusForbidden && w.Code != http.StatusMisdirectedRequest {
			t.Fatalf("status %d for a long %v", w.Code, h)
		}
		if w.Body.Len() > 4<<10 {
			t.Errorf("the answer to a 1 MB header is %d bytes", w.Body.Len())
		}
	}
	if !strings.Contains(log.String(), "1048") {
		t.Errorf("the log does not say how long the values were: %.300s", log.String())
	}
	if log.Len() > 4<<10 {
		t.Errorf("two requests with 1 MB headers made %d bytes of log", log.Len())
	}
}
