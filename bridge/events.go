package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"dlhelper/downloader"
)

// Message types the bridge adds to the engine's event types.
const (
	MsgSnapshot  = "snapshot"  // server → page: the jobs as they are now
	MsgError     = "error"     // server → page: a client message was wrong
	MsgSubscribe = "subscribe" // page → server: narrow (or widen) the stream
)

// maxClientMessage bounds what a page may send over the stream; the only
// message it sends is a small subscribe.
const maxClientMessage = 4 << 10

type snapshotMessage struct {
	Type string               `json:"type"`
	Jobs []downloader.JobInfo `json:"jobs"`
}

type errorMessage struct {
	Type  string    `json:"type"`
	Error *apiError `json:"error"`
}

type clientMessage struct {
	Type string `json:"type"`
	Job  string `json:"job"`
}

var clientKeys = map[string]bool{"type": true, "job": true}

// events upgrades GET /v1/events to a WebSocket and streams events on it
// until either side ends it. The layers before it already checked Host,
// Origin and token.
func (s *Server) events(c echo.Context) error {
	if !websocket.IsWebSocketUpgrade(c.Request()) {
		return invalid("/v1/events is a WebSocket; open it with new WebSocket(\"ws://127.0.0.1:%d/v1/events\")", s.port)
	}
	if err := s.track(); err != nil {
		return err
	}
	defer s.untrack()
	ws, err := s.wsUp.Upgrade(c.Response(), c.Request(), nil)
	if err != nil {
		return nil // wsError has answered
	}
	// The request's read and write deadlines (Limits) end here: the
	// stream keeps its own, renewed by pongs and by each write.
	_ = ws.NetConn().SetDeadline(time.Time{})
	st := &stream{s: s, ws: ws, who: callerOf(c)}
	st.run(s.ctx)
	return nil
}

// track counts a new stream for Close, unless the Server is closing or
// serves as many streams as Limits.Streams: each holds a snapshot of the
// jobs while writing it, however slowly its reader takes it.
func (s *Server) track() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return managerError(downloader.ErrClosed)
	case s.nstream >= s.limits.Streams:
		s.log.Warn("refused an event stream: too many are open", "streams", s.nstream)
		return newError(http.StatusServiceUnavailable, CodeBusy,
			"dlhelper already serves %d event streams; close other pages that show downloads, then reload this one", s.limits.Streams)
	}
	s.nstream++
	s.streams.Add(1)
	return nil
}

func (s *Server) untrack() {
	s.mu.Lock()
	s.nstream--
	s.mu.Unlock()
	s.streams.Done()
}

// openStreams is how many event streams are open now.
func (s *Server) openStreams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nstream
}

// wsOriginOK repeats originCheck's verdict inside the upgrader, so the
// upgrade stays safe even if the route were ever mounted without it.
func (s *Server) wsOriginOK(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	return origin == "" || s.originAllowed(origin)
}

// wsError answers a failed upgrade with the API's JSON error.
func (s *Server) wsError(w http.ResponseWriter, _ *http.Request, status int, reason error) {
	code, ok := echoCodes[status]
	if !ok {
		code = CodeInvalid
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{newError(status, code, "the WebSocket upgrade failed: %v", reason)})
}

// stream is one WebSocket connection. Three goroutines serve it: run reads
// the page's messages, writeEvents forwards the Manager's events, ping
// keeps the connection alive. Writes are serialised by wmu; close frames
// and pings go through WriteControl, which gorilla allows concurrently.
type stream struct {
	s   *Server
	ws  *websocket.Conn
	who caller // a portal's page follows its own jobs only
	wmu sync.Mutex
	job string // guarded by wmu: the job the page narrowed to, "" for all
	// mine holds, for a portal's page, the ids of its jobs: events carry
	// only an id. Guarded by wmu.
	mine map[string]bool
}

// run serves the connection and returns once every goroutine it started
// has ended.
func (st *stream) run(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	// Subscribe before taking the snapshot, so that nothing happening in
	// between is lost; an event may then repeat what the snapshot shows.
	sub := st.s.m.Subscribe()
	var wg sync.WaitGroup
	defer func() {
		cancel()
		st.ws.Close() // wakes a writer blocked on a peer that does not read
		wg.Wait()
		sub.Close()
	}()
	if err := st.sendSnapshot(); err != nil {
		return
	}
	wg.Go(func() { st.writeEvents(ctx, sub) })
	wg.Go(func() { st.ping(ctx) })
	st.read()
}

// writeEvents forwards events until the subscription or the connection
// ends. A page that reads too slowly is dropped two ways, neither of which
// waits on it: the engine ends the subscription once too many events are
// queued (ErrSlowSubscriber), and a write that does not finish within
// writeWait fails.
func (st *stream) writeEvents(ctx context.Context, sub *downloader.Subscription) {
	defer st.ws.Close() // ends read
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			st.closeFor(err)
			return
		}
		if st.who.portal() && !st.s.originAllowed(st.who.origin) { // removed in the settings (trust.go)
			msg := websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "dlhelper no longer trusts this portal")
			_ = st.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(st.s.writeWait))
			return
		}
		if err := st.emit(ev); err != nil {
			st.s.log.Info("dropped an event stream whose reader stopped reading", "err", err)
			return
		}
	}
}

// closeFor sends the close frame that tells the page why the stream ends.
func (st *stream) closeFor(err error) {
	code, reason := closeReason(err, st.s.ctx.Err() != nil)
	if code == 0 {
		return // the reader ended: the page is gone or silent
	}
	msg := websocket.FormatCloseMessage(code, reason)
	_ = st.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(st.s.writeWait))
}

// closeReason maps why a subscription ended to a close code and reason;
// code 0 means no close frame is due.
func closeReason(err error, serverClosing bool) (int, string) {
	switch {
	case errors.Is(err, downloader.ErrSlowSubscriber):
		return websocket.CloseTryAgainLater, "this page fell behind the events; reconnect to get a fresh snapshot"
	case errors.Is(err, downloader.ErrClosed) || serverClosing:
		return websocket.CloseGoingAway, "dlhelper is shutting down"
	}
	return 0, ""
}

// emit writes an event if the page wants it. The filter is read under the
// write lock so that no event of another job follows a subscribe answer.
func (st *stream) emit(ev downloader.Event) error {
	st.wmu.Lock()
	defer st.wmu.Unlock()
	if st.who.portal() && ev.Type == downloader.EventJobAdded && ev.Job != nil && st.who.sees(*ev.Job) {
		st.mine[ev.JobID] = true
	}
	if (st.job != "" && ev.JobID != st.job) || (st.who.portal() && !st.mine[ev.JobID]) {
		return nil
	}
	return st.writeLocked(ev)
}

// sendSnapshot sends the first snapshot: the jobs the page may see.
func (st *stream) sendSnapshot() error {
	st.wmu.Lock()
	defer st.wmu.Unlock()
	jobs := st.s.jobs(st.who)
	if st.who.portal() {
		st.mine = make(map[string]bool, len(jobs))
		for _, j := range jobs {
			st.mine[j.ID] = true
		}
	}
	return st.writeLocked(snapshotMessage{Type: MsgSnapshot, Jobs: jobs})
}

func (st *stream) send(v any) error {
	st.wmu.Lock()
	defer st.wmu.Unlock()
	return st.writeLocked(v)
}

func (st *stream) writeLocked(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_ = st.ws.SetWriteDeadline(time.Now().Add(st.s.writeWait))
	return st.ws.WriteMessage(websocket.TextMessage, data)
}

// ping sends a ping every pingPeriod; the page's pongs keep read alive.
func (st *stream) ping(ctx context.Context) {
	t := time.NewTicker(st.s.pingPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := st.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(st.s.writeWait)); err != nil {
				return
			}
		}
	}
}

// read handles the page's messages until the connection ends: the page
// closed it, sent nothing (not even a pong) for pongWait, or writeEvents
// closed it.
func (st *stream) read() {
	ws := st.ws
	ws.SetReadLimit(maxClientMessage)
	alive := func(string) error { return ws.SetReadDeadline(time.Now().Add(st.s.pongWait)) }
	_ = alive("")
	ws.SetPongHandler(alive)
	for {
		typ, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		_ = alive("")
		if typ != websocket.TextMessage {
			st.sendError(invalid("send text messages with JSON, not binary ones"))
			continue
		}
		st.handle(data)
	}
}

// handle answers one message of the page.
func (st *stream) handle(data []byte) {
	var msg clientMessage
	if err := decodeStrict(data, &msg, clientKeys); err != nil {
		st.sendError(err)
		return
	}
	if msg.Type != MsgSubscribe {
		st.sendError(invalid("type: unknown message type %q; a page sends only {\"type\":\"subscribe\",\"job\":ID}", msg.Type))
		return
	}
	if err := st.subscribe(msg.Job); err != nil {
		st.sendError(err)
	}
}

// subscribe narrows the stream to one job ("" widens it to all) and
// answers with a snapshot of what the page now follows. Holding the write
// lock throughout keeps events of the old filter from following it.
func (st *stream) subscribe(job string) error {
	st.wmu.Lock()
	defer st.wmu.Unlock()
	var jobs []downloader.JobInfo
	if job == "" {
		jobs = st.s.jobs(st.who)
		for _, j := range jobs {
			if st.who.portal() {
				st.mine[j.ID] = true
			}
		}
	} else {
		info, err := st.s.job(st.who, job)
		if err != nil {
			return managerError(err)
		}
		jobs = []downloader.JobInfo{info}
	}
	st.job = job
	return st.writeLocked(snapshotMessage{Type: MsgSnapshot, Jobs: jobs})
}

func (st *stream) sendError(err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = newError(http.StatusInternalServerError, CodeInternal, "%v", err)
	}
	_ = st.send(errorMessage{Type: MsgError, Error: ae})
}
