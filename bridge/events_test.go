package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"dlhelper/downloader"
	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

func TestEventStreamFollowsAJob(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(4, 512<<10)
	srv := faultserver.New(t, data, faultserver.RateLimit(2<<20))
	e := newEnv(t)
	ws, snap := e.dial(originHeader(portal))
	if len(snap.Jobs) != 0 {
		t.Fatalf("snapshot of an empty helper has %d jobs", len(snap.Jobs))
	}
	j := e.addJob(jobJSON(srv.URL(), "a.bin"))
	msgs := readUntil(t, ws, func(m message) bool { return m.Type == string(downloader.EventJobCompleted) })

	seen := map[string]int{}
	for _, m := range msgs {
		seen[m.Type]++
		if m.JobID != j.ID {
			t.Errorf("%s event for job %q, want %q", m.Type, m.JobID, j.ID)
		}
		switch downloader.EventType(m.Type) {
		case downloader.EventJobAdded, downloader.EventJobState, downloader.EventJobCompleted:
			if m.Job == nil || m.Job.ID != j.ID {
				t.Errorf("%s event without the job: %+v", m.Type, m)
			}
		case downloader.EventFileState:
			if m.File == nil || m.File.Name != "a.bin" {
				t.Errorf("file.state event without the file: %+v", m)
			}
		case downloader.EventJobProgress:
			if m.Progress == nil || len(m.Files) == 0 || m.Progress.Done > int64(len(data)) {
				t.Errorf("job.progress event without totals and files: %+v", m)
			}
		}
	}
	if msgs[0].Type != string(downloader.EventJobAdded) {
		t.Errorf("first event is %s, want job.added", msgs[0].Type)
	}
	for _, typ := range []string{"job.state", "file.state", "job.progress", "job.completed"} {
		if seen[typ] == 0 {
			t.Errorf("no %s event among %v", typ, seen)
		}
	}
	if last := msgs[len(msgs)-1]; last.Job.State != downloader.JobCompleted || last.Job.Done != int64(len(data)) {
		t.Errorf("job.completed carries %+v", last.Job)
	}
}

func TestSnapshotShowsExistingJobs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	j := slowJob(t, e)
	_, snap := e.dial(originHeader(portal))
	if len(snap.Jobs) != 1 || snap.Jobs[0].ID != j.ID || len(snap.Jobs[0].Files) != 1 {
		t.Fatalf("snapshot = %+v, want job %s", snap.Jobs, j.ID)
	}
}

// TestEventStreamWireForm pins the wire form of one event.
func TestEventStreamWireForm(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ws, _ := e.dial(originHeader(portal))
	j := slowJob(t, e)
	e.do(req{method: http.MethodDelete, path: "/v1/jobs/" + j.ID, origin: portal}).want(t, http.StatusNoContent, "")
	for {
		ws.SetReadDeadline(time.Now().Add(60 * time.Second))
		_, raw, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), `"job.removed"`) {
			if want := fmt.Sprintf(`{"type":"job.removed","job":%q}`, j.ID); string(raw) != want {
				t.Fatalf("job.removed = %s, want %s", raw, want)
			}
			return
		}
	}
}

func TestEventStreamUpgradeRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		name   string
		header http.Header
		status int
		code   string
	}{
		{"a foreign origin", originHeader("https://evil.example"), 403, CodeOriginNotAllowed},
		{"a null origin", originHeader("null"), 403, CodeOriginNotAllowed},
		{"no origin and no token", http.Header{}, 401, CodeUnauthorized},
		{"no origin and a wrong token", http.Header{"Authorization": {"Bearer nope"}}, 401, CodeUnauthorized},
		{"the helper's own origin without a session", originHeader(fmt.Sprintf("http://127.0.0.1:%d", e.port)), 401, CodeUnauthorized},
		{"a rebound host", http.Header{"Host": {"evil.example:" + fmt.Sprint(e.port)}, "Origin": {portal}}, 421, CodeMisdirected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws, resp, err := websocket.DefaultDialer.Dial(e.wsURL(), tc.header)
			if err == nil {
				ws.Close()
				t.Fatal("the upgrade succeeded")
			}
			if resp == nil {
				t.Fatalf("no answer: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			result{resp.StatusCode, resp.Header, body}.want(t, tc.status, tc.code)
		})
	}
	t.Run("the token without origin", func(t *testing.T) {
		e.dial(http.Header{"Authorization": {"Bearer " + testToken}})
	})
	t.Run("the helper's own page, with its session", func(t *testing.T) {
		h := originHeader(fmt.Sprintf("http://localhost:%d", e.port))
		h.Set("Cookie", e.login().String())
		e.dial(h)
	})
	t.Run("a plain GET", func(t *testing.T) {
		e.do(req{path: "/v1/events"}).want(t, http.StatusBadRequest, CodeInvalid)
	})
}

func TestSubscribeNarrowsTheStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := slowJob(t, e), slowJob(t, e)
	ws, _ := e.dial(originHeader(portal))
	send(t, ws, fmt.Sprintf(`{"type":"subscribe","job":%q}`, a.ID))
	snap := readUntil(t, ws, func(m message) bool { return m.Type == MsgSnapshot })
	if got := snap[len(snap)-1].Jobs; len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("subscribe answered %+v, want a snapshot of job %s alone", got, a.ID)
	}
	// B's events are published before A's; had the filter let them
	// through, they would arrive first.
	e.do(req{method: http.MethodPost, path: "/v1/jobs/" + b.ID + "/pause", origin: portal}).want(t, http.StatusOK, "")
	e.do(req{method: http.MethodPost, path: "/v1/jobs/" + a.ID + "/pause", origin: portal}).want(t, http.StatusOK, "")
	msgs := readUntil(t, ws, func(m message) bool {
		return m.Type == string(downloader.EventJobState) && m.JobID == a.ID && m.Job.State == downloader.JobPaused
	})
	for _, m := range msgs {
		if m.JobID != a.ID {
			t.Errorf("a %s event of job %s came through a subscription to %s", m.Type, m.JobID, a.ID)
		}
	}
	send(t, ws, `{"type":"subscribe"}`)
	snap = readUntil(t, ws, func(m message) bool { return m.Type == MsgSnapshot })
	if got := snap[len(snap)-1].Jobs; len(got) != 2 {
		t.Fatalf("widening answered %d jobs, want 2", len(got))
	}
	e.do(req{method: http.MethodPost, path: "/v1/jobs/" + b.ID + "/resume", origin: portal}).want(t, http.StatusOK, "")
	readUntil(t, ws, func(m message) bool { return m.JobID == b.ID })
}

func TestBadClientMessagesGetErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ws, _ := e.dial(originHeader(portal))
	for _, tc := range []struct{ msg, code, mention string }{
		{`{"type":"unsubscribe"}`, CodeInvalid, "unsubscribe"},
		{`hello`, CodeInvalid, "JSON"},
		{`{"type":"subscribe","job":"x","all":true}`, CodeInvalid, `"all"`},
		{`{"type":"subscribe","job":"nope"}`, CodeNotFound, "nope"},
		{`{"type":"subscribe","job":1}`, CodeInvalid, "job"},
	} {
		send(t, ws, tc.msg)
		m := readMsg(t, ws)
		if m.Type != MsgError || m.Error == nil || m.Error.Code != tc.code || !strings.Contains(m.Error.Message, tc.mention) {
			t.Errorf("%s: answer %+v, want an error %s mentioning %s", tc.msg, m, tc.code, tc.mention)
		}
	}
	if err := ws.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"subscribe"}`)); err != nil {
		t.Fatal(err)
	}
	if m := readMsg(t, ws); m.Type != MsgError {
		t.Errorf("a binary message got %+v, want an error", m)
	}
	send(t, ws, `{"type":"subscribe"}`)
	if m := readMsg(t, ws); m.Type != MsgSnapshot {
		t.Errorf("after errors, subscribe got %+v, want a snapshot", m)
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte(strings.Repeat(" ", maxClientMessage+1))); err != nil {
		t.Fatal(err)
	}
	if err := readErr(ws); !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Errorf("an oversized message ended the stream with %v, want close 1009", err)
	}
}

// TestSlowReaderIsDropped: a page that stops reading fills the socket
// buffers; the writer's deadline then drops it, while another page and the
// API carry on.
func TestSlowReaderIsDropped(t *testing.T) {
	t.Parallel()
	srv := faultserver.New(t, testenv.RandomData(5, 1<<10))
	e := newEnv(t,
		withServer(func(s *Server) { s.writeWait = 300 * time.Millisecond }),
		envOption{listener: smallSendBuffers})
	slow := dialSmall(t, e)
	fast, _ := e.dial(originHeader(portal))

	names := make([]string, 200)
	for i := range names {
		names[i] = fmt.Sprintf("f%03d.bin", i)
	}
	j := e.addJob(jobJSON(srv.URL(), names...))
	readUntil(t, fast, func(m message) bool { return m.Type == string(downloader.EventJobCompleted) && m.JobID == j.ID })

	err := readErr(slow)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the slow reader was not dropped: %v", err)
	}
}

// smallSendBuffers shrinks the server's socket send buffers, so a reader
// that stops reading blocks the writer after a few kilobytes, not megabytes.
func smallSendBuffers(l net.Listener) net.Listener { return smallBufListener{l} }

type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4 << 10)
	}
	return c, err
}

// dialSmall opens the event stream with a small receive buffer, reads the
// snapshot and then nothing more until the test does.
func dialSmall(t *testing.T, e *env) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{Control: nil}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(4 << 10)
		}
		return c, err
	}}
	ws, _, err := d.Dial(e.wsURL(), originHeader(portal))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	readMsg(t, ws)
	return ws
}

// readErr reads until the stream ends and returns why.
func readErr(ws *websocket.Conn) error {
	ws.SetReadDeadline(time.Now().Add(60 * time.Second))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			return err
		}
	}
}

func send(t *testing.T, ws *websocket.Conn, msg string) {
	t.Helper()
	if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatalf("send %s: %v", msg, err)
	}
}

// TestPingsKeepTheStreamAlive: a page that answers pings stays connected
// past pongWait; one that does not is dropped.
func TestPingsKeepTheStreamAlive(t *testing.T) {
	t.Parallel()
	// pongWait leaves room for a loaded CI machine to answer late (at
	// 100 ms a page that answered was once dropped under go test -race);
	// the page that answers must still outlive it twice over.
	const pingPeriod, pongWait = 20 * time.Millisecond, time.Second
	e := newEnv(t, withServer(func(s *Server) { s.pingPeriod, s.pongWait = pingPeriod, pongWait }))

	t.Run("a page that answers", func(t *testing.T) {
		ws, _ := e.dial(originHeader(portal))
		pings := make(chan struct{}, 100)
		ws.SetPingHandler(func(data string) error {
			pings <- struct{}{}
			return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		})
		msgs := make(chan error, 1)
		go func() { msgs <- readErr(ws) }()
		for range 2 * pongWait / pingPeriod { // pings that span twice pongWait
			select {
			case <-pings:
			case err := <-msgs:
				t.Fatalf("the stream ended: %v", err)
			}
		}
		send(t, ws, `{"type":"subscribe"}`) // still served
		select {
		case err := <-msgs:
			t.Fatalf("the stream ended: %v", err)
		case <-pings:
		}
	})
	t.Run("a page that does not", func(t *testing.T) {
		ws, _ := e.dial(originHeader(portal))
		ws.SetPingHandler(func(string) error { return nil })
		err := readErr(ws)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("the silent page was not dropped: %v", err)
		}
	})
}

func TestCloseEndsStreamsWithGoingAway(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ws, _ := e.dial(originHeader(portal))
	done := make(chan error, 1)
	go func() { done <- readErr(ws) }()
	e.s.Close()
	if err := <-done; !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("stream ended with %v, want close 1001", err)
	}
	_, resp, err := websocket.DefaultDialer.Dial(e.wsURL(), originHeader(portal))
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a stream after Close: %v (%v), want 503", err, resp)
	}
}

func TestCloseReason(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		err     error
		closing bool
		code    int
	}{
		{"a slow subscriber", downloader.ErrSlowSubscriber, false, websocket.CloseTryAgainLater},
		{"the Manager closed", downloader.ErrClosed, false, websocket.CloseGoingAway},
		{"the server closing", context.Canceled, true, websocket.CloseGoingAway},
		{"the page went away", context.Canceled, false, 0},
	} {
		if code, reason := closeReason(tc.err, tc.closing); code != tc.code || (code != 0 && reason == "") {
			t.Errorf("%s: close %d %q, want %d with a reason", tc.name, code, reason, tc.code)
		}
	}
}

func TestSnapshotMessageForm(t *testing.T) {
	t.Parallel()
	b, _ := json.Marshal(snapshotMessage{Type: MsgSnapshot, Jobs: []downloader.JobInfo{}})
	if string(b) != `{"type":"snapshot","jobs":[]}` {
		t.Errorf("snapshot = %s", b)
	}
}
