package downloader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// bufSize is the copy buffer: large enough that a write syscall moves a
// useful amount, small enough that 100 connections stay cheap.
const bufSize = 256 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// fetchPiece fetches p, retrying what may pass by itself with capped
// exponential backoff and jitter. Attempts that moved bytes reset the count.
func (t *transfer) fetchPiece(ctx context.Context, p *piece) error {
	failures := 0
	for {
		before := p.next()
		back := t.network.back() // taken before asking: an answer while it is out counts
		err := t.fetchOnce(ctx, p)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx) // a cancellation is never retried
		}
		if errors.Is(err, errWoke) {
			continue // a connection from before a sleep: reconnect at once
		}
		if !retryable(err) {
			return err
		}
		if p.next() > before {
			failures = 0
		}
		failures++
		if failures >= t.cfg.MaxAttempts {
			return err
		}
		wait := retryWait(err, failures, t.cfg.RetryBase, t.cfg.RetryMax)
		t.log.Info("retrying range", "path", t.path, "from", p.next(), "err", err, "wait", wait)
		if err := sleepUnless(ctx, wait, back, answered(err)); err != nil {
			return err
		}
	}
}

// retryable reports an error that another attempt may not meet.
func retryable(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.retryable()
	}
	var fe *FileError
	return !errors.As(err, &fe) && !isDiskError(err) && !isCertificateError(err) &&
		!errors.Is(err, errObjectChanged) && !errors.Is(err, errNoRanges)
}

// retryWait is the pause before another attempt: the backoff, or the
// server's Retry-After when that is longer, capped at most. MinIO answers
// "Retry-After: 60" to every request while it starts, which takes
// seconds: honoured whole, a restart would cost each file a minute.
func retryWait(err error, failures int, base, most time.Duration) time.Duration {
	wait := backoff(failures, base, most)
	var he *HTTPError
	if errors.As(err, &he) && he.RetryAfter > wait {
		wait = min(he.RetryAfter, most)
	}
	return wait
}

func backoff(failures int, base, most time.Duration) time.Duration {
	d := base << min(failures-1, 30)
	if d <= 0 || d > most {
		d = most
	}
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error { return sleepUnless(ctx, d, nil, true) }

// sleepUnless waits d, or until ctx ends, or, unless answered, until back
// closes: an attempt that got no answer at all waits for the network, and
// the network is back as soon as any request gets one (networkWatch).
func sleepUnless(ctx context.Context, d time.Duration, back <-chan struct{}, answered bool) error {
	if answered {
		back = nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
	case <-back:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	return nil
}

// answered reports an error that came with the server's answer (an HTTP
// status): the network works, and only the backoff says when to retry.
func answered(err error) bool {
	var he *HTTPError
	return errors.As(err, &he)
}

// networkWatch tells ranges that wait out a backoff after getting no
// answer that the network is back: a request got an answer after none had
// for quiet. Without it, after Wi-Fi returns every range sleeps out its
// own backoff, seconds after the first one gets through. One range that
// keeps failing while others get answers is not woken by them: there was
// no quiet, so the network was never gone.
type networkWatch struct {
	quiet time.Duration
	mu    sync.Mutex // guards what follows
	last  time.Time  // the last answer
	ch    chan struct{}
}

func newNetworkWatch() *networkWatch { return &networkWatch{quiet: 2 * time.Second} }

// back returns a channel that closes when the network comes back.
func (w *networkWatch) back() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	return w.ch
}

// answer records an answer; after quiet without one, it wakes the waiting.
func (w *networkWatch) answer() {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if now.Sub(w.last) > w.quiet && w.ch != nil {
		close(w.ch)
		w.ch = nil
	}
	w.last = now
}

// fetchOnce makes one request for what p still lacks and copies its body.
// A connection that delivers no byte for StallTimeout is cut.
func (t *transfer) fetchOnce(ctx context.Context, p *piece) error {
	url := t.url()
	release, err := t.hosts.acquire(ctx, url)
	if err != nil {
		return err
	}
	defer release()
	rctx, cut := context.WithCancelCause(ctx)
	defer cut(nil)
	defer t.wakes.track(cut)()
	stall := time.AfterFunc(t.cfg.StallTimeout, func() { cut(errStalled) })
	defer stall.Stop()

	// The range is fixed now: a thief may shorten p while the request is
	// out, and the answer must match what was asked, not what is left.
	want := span{p.next(), p.endNow()}
	req, err := t.request(rctx, url, want)
	if err != nil {
		return err
	}
	resp, err := t.cfg.HTTPClient.Do(req)
	if err != nil {
		return stalledOr(rctx, redactErr(err)) // it is logged and shown: no signature
	}
	t.network.answer()
	defer resp.Body.Close()
	if err := t.accept(resp, p, want); err != nil {
		return err
	}
	return stalledOr(rctx, t.copyBody(rctx, p, resp.Body, stall))
}

// stalledOr names a stall as the cause of an error the cut produced.
func stalledOr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cause := context.Cause(ctx); errors.Is(cause, errStalled) || errors.Is(cause, errWoke) {
		return cause
	}
	return err
}

func (t *transfer) url() string { return t.f.url() }

// request builds the GET for p. It asks for a range unless the server is
// known to ignore them, and pins the ETag once one is known.
func (t *transfer) request(ctx context.Context, url string, want span) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadResponse, redactErr(err))
	}
	if !t.oneStream {
		if want.End < 0 {
			req.Header.Set("Range", fmt.Sprintf("bytes=%d-", want.Start))
		} else {
			req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", want.Start, want.End-1))
		}
	}
	if t.etag != "" {
		req.Header.Set("If-Match", t.etag)
	}
	req.Header.Set("Accept-Encoding", "identity")
	return req, nil
}

// accept checks that resp is exactly the answer asked for, learning size
// and ETag on the probe. A body it refuses is never written.
func (t *transfer) accept(resp *http.Response, p *piece, want span) error {
	switch resp.StatusCode {
	case http.StatusPartialContent:
		if t.oneStream {
			return fmt.Errorf("%w: 206 to a request without Range", errBadResponse)
		}
		return t.acceptRange(resp, p, want)
	case http.StatusOK:
		return t.acceptWhole(resp, p)
	case http.StatusPreconditionFailed:
		return errObjectChanged
	case http.StatusRequestedRangeNotSatisfiable:
		if t.size < 0 {
			return errNoRanges // an empty object has no byte 0: fetch it whole
		}
		return errObjectChanged
	}
	return readHTTPError(resp)
}

// acceptRange checks a 206: its Content-Range must be the range asked for,
// of an object of the pinned size and ETag.
func (t *transfer) acceptRange(resp *http.Response, p *piece, want span) error {
	first, last, total, err := parseContentRange(resp.Header.Get("Content-Range"))
	if err != nil {
		return err
	}
	etag := resp.Header.Get("ETag")
	if t.size < 0 {
		t.learn(total, resp.Header, true)
		want.End = min(want.End, total)
		p.setEnd(want.End)
	} else if total != t.size || (t.etag != "" && etag != "" && etag != t.etag) {
		return errObjectChanged
	}
	if first != want.Start || last != want.End-1 {
		return fmt.Errorf("%w: asked for bytes %d-%d, got Content-Range %s", errBadResponse, want.Start, want.End-1, resp.Header.Get("Content-Range"))
	}
	if resp.ContentLength >= 0 && resp.ContentLength != last-first+1 {
		return fmt.Errorf("%w: Content-Length %d for %d bytes", errBadResponse, resp.ContentLength, last-first+1)
	}
	return nil
}

// acceptWhole checks a 200: the whole object. On the probe it switches the
// file to one stream; for a later range request it means the server (or a
// proxy) stopped honouring ranges, so the file starts over in one stream
// rather than append a whole body at an offset.
func (t *transfer) acceptWhole(resp *http.Response, p *piece) error {
	etag := resp.Header.Get("ETag")
	switch {
	case t.oneStream && t.size < 0:
		t.learn(resp.ContentLength, resp.Header, false)
		p.setEnd(resp.ContentLength)
		return nil
	case t.size < 0: // the probe: the server ignores Range
		t.oneStream = true
		t.learn(resp.ContentLength, resp.Header, false)
		p.setEnd(resp.ContentLength)
		return nil
	case t.etag != "" && etag != "" && etag != t.etag:
		return errObjectChanged
	}
	return errNoRanges
}

// learn pins what the first answer says of the object and lets the other
// workers start.
func (t *transfer) learn(size int64, h http.Header, ranged bool) {
	t.mu.Lock()
	t.size, t.etag, t.ranged = size, h.Get("ETag"), ranged
	t.etagNotMD5 = etagRuledOut(h)
	t.mu.Unlock()
	t.startDigests()
	t.markProbed()
}

// parseContentRange reads "bytes FIRST-LAST/TOTAL".
func parseContentRange(h string) (first, last, total int64, err error) {
	bad := fmt.Errorf("%w: Content-Range %q", errBadResponse, h)
	rest, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return 0, 0, 0, bad
	}
	rng, tot, ok := strings.Cut(rest, "/")
	a, b, ok2 := strings.Cut(rng, "-")
	if !ok || !ok2 {
		return 0, 0, 0, bad
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	total, err3 := strconv.ParseInt(tot, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || first < 0 || last < first || total <= last {
		return 0, 0, 0, bad
	}
	return first, last, total, nil
}

// copyBody writes body at p's offsets until p is complete or the body
// ends. Every read pushes the stall deadline back. No allocation per buffer.
func (t *transfer) copyBody(ctx context.Context, p *piece, body io.Reader, stall *time.Timer) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			stall.Reset(t.cfg.StallTimeout)
			t.fetched.Add(int64(n))
			if err := t.limiter.wait(ctx, n); err != nil {
				return err
			}
			off, k := p.reserve(n)
			if _, err := t.part.WriteAt(buf[:k], off); err != nil {
				return &diskError{fmt.Errorf("write: %w", err)}
			}
			t.f.written.Add(int64(k))
			t.hashAt(off, buf[:k])
			if p.commit() {
				return nil // complete, or its tail was stolen
			}
		}
		switch {
		case rerr == io.EOF:
			return t.endOfBody(p)
		case rerr != nil:
			return rerr
		}
	}
}

// endOfBody handles a body that ended: fine for a stream of unknown size,
// which now has one; a short body otherwise.
func (t *transfer) endOfBody(p *piece) error {
	if end := p.endNow(); end >= 0 {
		if p.next() < end {
			return io.ErrUnexpectedEOF
		}
		return nil
	}
	pos := p.next()
	p.setEnd(pos)
	t.mu.Lock()
	t.size = pos
	t.mu.Unlock()
	return nil
}
