package faultserver_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dlhelper/internal/faultserver"
)

// object is 40 KiB whose bytes differ from their neighbours, so an offset
// error shows.
var object = func() []byte {
	b := make([]byte, 40<<10)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}()

var other = []byte("the object after it was uploaded again")

func etagOf(b []byte) string {
	sum := md5.Sum(b)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

var size = strconv.Itoa(len(object))

// step is one request and what its answer must be.
type step struct {
	method  string // GET when empty
	header  map[string]string
	fresh   bool // use URLWithToken(FreshToken())
	status  int
	code    string            // S3 error code in the XML body
	message string            // S3 error message in the XML body
	want    []byte            // the body, when not nil
	headers map[string]string // "" means the header must be absent
	cutAt   int               // > 0: the body ends with an error after this many bytes
}

// TestAnswers sends each case's requests in order and checks every answer.
func TestAnswers(t *testing.T) {
	t.Parallel()
	tag := etagOf(object)
	tests := []struct {
		name  string
		data  []byte // object when nil
		opts  []faultserver.Option
		steps []step
	}{
		{
			name: "a GET without Range gets the whole object",
			steps: []step{{status: 200, want: object, headers: map[string]string{
				"Content-Length": size, "ETag": tag, "Accept-Ranges": "bytes",
				"Last-Modified": "Fri, 02 Jan 2026 03:04:05 GMT", "Content-Range": "",
			}}},
		},
		{
			name: "a closed range gets 206 with its Content-Range",
			steps: []step{{header: rangeOf("bytes=10-19"), status: 206, want: object[10:20], headers: map[string]string{
				"Content-Range": "bytes 10-19/" + size, "Content-Length": "10", "ETag": tag, "Accept-Ranges": "bytes",
			}}},
		},
		{
			name: "an open range runs to the end",
			steps: []step{{header: rangeOf("bytes=40000-"), status: 206, want: object[40000:], headers: map[string]string{
				"Content-Range": "bytes 40000-40959/" + size,
			}}},
		},
		{
			name:  "a suffix range gets the last bytes",
			steps: []step{{header: rangeOf("bytes=-5"), status: 206, want: object[len(object)-5:]}},
		},
		{
			name: "a range past the end is cut at the end",
			steps: []step{{header: rangeOf("bytes=40950-99999"), status: 206, want: object[40950:], headers: map[string]string{
				"Content-Range": "bytes 40950-40959/" + size,
			}}},
		},
		{
			name: "a range that starts past the end is 416 with the size",
			steps: []step{{header: rangeOf("bytes=40960-"), status: 416, code: "InvalidRange", headers: map[string]string{
				"Content-Range": "bytes */" + size,
			}}},
		},
		{
			name:  "a range that ends before it starts is 416",
			steps: []step{{header: rangeOf("bytes=9-3"), status: 416, code: "InvalidRange"}},
		},
		{
			name:  "a Range S3 cannot read is ignored",
			steps: []step{{header: rangeOf("bytes=0-1,5-6"), status: 200, want: object}},
		},
		{
			name: "HEAD is refused as on a URL presigned for GET",
			steps: []step{{method: http.MethodHead, status: 403, want: []byte{}, headers: map[string]string{
				"Content-Type": "application/xml",
			}}},
		},
		{
			name:  "another method is refused with SignatureDoesNotMatch",
			steps: []step{{method: http.MethodPut, status: 403, code: "SignatureDoesNotMatch"}},
		},
		{
			name:  "If-Match with the ETag is served",
			steps: []step{{header: map[string]string{"If-Match": tag, "Range": "bytes=0-3"}, status: 206, want: object[:4]}},
		},
		{
			name:  "If-Match with another ETag is 412 PreconditionFailed",
			steps: []step{{header: map[string]string{"If-Match": `"0123"`}, status: 412, code: "PreconditionFailed"}},
		},
		{
			name: "without range support a Range gets the whole object",
			opts: opts(faultserver.NoRanges()),
			steps: []step{{header: rangeOf("bytes=10-19"), status: 200, want: object, headers: map[string]string{
				"Accept-Ranges": "", "Content-Range": "", "Content-Length": size,
			}}},
		},
		{
			name: "ranges are honoured for the first n requests only",
			opts: opts(faultserver.RangeIgnoredAfter(1)),
			steps: []step{
				{header: rangeOf("bytes=10-19"), status: 206, want: object[10:20]},
				{header: rangeOf("bytes=10-19"), status: 200, want: object},
			},
		},
		{
			name: "a wrong Content-Range starts one byte late over the bytes asked for",
			opts: opts(faultserver.WrongContentRange()),
			steps: []step{{header: rangeOf("bytes=10-19"), status: 206, want: object[10:20], headers: map[string]string{
				"Content-Range": "bytes 11-19/" + size, "Content-Length": "10",
			}}},
		},
		{
			name: "a multipart ETag is served as given",
			opts: opts(faultserver.ETag(`"abc-3"`)),
			steps: []step{
				{status: 200, want: object, headers: map[string]string{"ETag": `"abc-3"`}},
				{header: map[string]string{"If-Match": `"abc-3"`}, status: 200},
				{header: map[string]string{"If-Match": tag}, status: 412, code: "PreconditionFailed"},
			},
		},
		{
			name:  "an ETag without quotes is quoted",
			opts:  opts(faultserver.ETag("abc-3")),
			steps: []step{{status: 200, headers: map[string]string{"ETag": `"abc-3"`}}},
		},
		{
			name: "a changed object has new data and a new ETag",
			opts: opts(faultserver.ChangeObjectAfter(1, other)),
			steps: []step{
				{status: 200, want: object, headers: map[string]string{"ETag": tag}},
				{header: map[string]string{"If-Match": tag}, status: 412, code: "PreconditionFailed"},
				{status: 200, want: other, headers: map[string]string{
					"ETag": etagOf(other), "Last-Modified": "Fri, 02 Jan 2026 04:04:05 GMT",
				}},
			},
		},
		{
			name: "a connection reset cuts the answers after n bytes",
			opts: opts(faultserver.ResetAfterBytes(1000)),
			steps: []step{
				{status: 200, want: object[:1000], cutAt: 1000},
				{header: rangeOf("bytes=5000-"), status: 206, want: object[5000:6000], cutAt: 1000},
				{header: rangeOf("bytes=0-999"), status: 206, want: object[:1000]},
			},
		},
		{
			name: "connection resets stop after ResetTimes answers",
			opts: opts(faultserver.ResetAfterBytes(0), faultserver.ResetTimes(1)),
			steps: []step{
				{status: 200, want: []byte{}, cutAt: -1},
				{status: 200, want: object},
			},
		},
		{
			name: "a burst of 503 ends after k requests",
			opts: opts(faultserver.StatusBurst(503, 2)),
			steps: []step{
				{status: 503, code: "SlowDown", message: "Please reduce your request rate."},
				{status: 503, code: "SlowDown"},
				{status: 200, want: object},
			},
		},
		{
			name:  "a static 500 is an InternalError",
			opts:  opts(faultserver.StatusStatic(500)),
			steps: []step{{status: 500, code: "InternalError"}, {status: 500, code: "InternalError"}},
		},
		{
			name:  "a static 404 is NoSuchKey",
			opts:  opts(faultserver.StatusStatic(404)),
			steps: []step{{status: 404, code: "NoSuchKey"}},
		},
		{
			name:  "a static 403 is AccessDenied",
			opts:  opts(faultserver.StatusStatic(403)),
			steps: []step{{status: 403, code: "AccessDenied", message: "Access Denied"}},
		},
		{
			name:  "a status S3 has no code for gets its text as code",
			opts:  opts(faultserver.StatusStatic(502)),
			steps: []step{{status: 502, code: "BadGateway"}},
		},
		{
			name: "an expired URL is refused until the portal signs a new one",
			opts: opts(faultserver.ExpireAfter(1)),
			steps: []step{
				{status: 200, want: object},
				{status: 403, code: "AccessDenied", message: "Request has expired"},
				{fresh: true, header: rangeOf("bytes=0-9"), status: 206, want: object[:10]},
				{status: 403, code: "AccessDenied", message: "Request has expired"},
			},
		},
		{
			name: "an error page comes as 200 with a length of its own",
			opts: opts(faultserver.ErrorBodyWith200()),
			steps: []step{
				{status: 200, headers: map[string]string{"Content-Type": "text/html; charset=utf-8", "ETag": tag}},
				{header: rangeOf("bytes=0-9"), status: 200, headers: map[string]string{"Content-Range": ""}},
			},
		},
		{
			name: "a chunked answer has no Content-Length",
			opts: opts(faultserver.Chunked()),
			steps: []step{
				{status: 200, want: object, headers: map[string]string{"Content-Length": "", "Transfer-Encoding": "chunked"}},
				{header: rangeOf("bytes=0-9"), status: 206, want: object[:10], headers: map[string]string{"Content-Length": "10"}},
			},
		},
		{
			name: "a small chunked answer stays chunked",
			data: other,
			opts: opts(faultserver.Chunked()),
			steps: []step{
				{status: 200, want: other, headers: map[string]string{"Content-Length": "", "Transfer-Encoding": "chunked"}},
			},
		},
		{
			name: "a wrapping handler sees every request",
			opts: opts(faultserver.Handler(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
				if r.Header.Get("X-Teapot") != "" {
					w.WriteHeader(http.StatusTeapot)
					return
				}
				w.Header().Set("X-Wrapped", "yes")
				next.ServeHTTP(w, r)
			})),
			steps: []step{
				{header: map[string]string{"X-Teapot": "1"}, status: 418, headers: map[string]string{"X-Wrapped": ""}},
				{status: 200, want: object, headers: map[string]string{"X-Wrapped": "yes"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := tt.data
			if data == nil {
				data = object
			}
			srv := faultserver.New(t, data, tt.opts...)
			client := newClient(t)
			for i, st := range tt.steps {
				check(t, fmt.Sprintf("request %d", i+1), client, srv, st)
			}
			if got := srv.Requests(); got != len(tt.steps) {
				t.Errorf("Requests() = %d, want %d", got, len(tt.steps))
			}
		})
	}
}

func check(t *testing.T, what string, client *http.Client, srv *faultserver.Server, st step) {
	t.Helper()
	url := srv.URL()
	if st.fresh {
		url = srv.URLWithToken(srv.FreshToken())
	}
	method := st.method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	for k, v := range st.header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Errorf("%s: %v", what, err) // not Fatal: check runs in goroutines too
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	switch {
	case st.cutAt != 0 && err == nil:
		t.Errorf("%s: the body ended cleanly after %d bytes, want it cut", what, len(body))
	case st.cutAt != 0 && !errors.Is(err, io.ErrUnexpectedEOF):
		t.Errorf("%s: the body ended with %v, want an unexpected EOF", what, err)
	case st.cutAt == 0 && err != nil:
		t.Errorf("%s: reading the body: %v", what, err)
	}
	if resp.StatusCode != st.status {
		t.Errorf("%s: status %d, want %d; body %.200q", what, resp.StatusCode, st.status, body)
	}
	if st.want != nil && !bytes.Equal(body, st.want) {
		t.Errorf("%s: body of %d bytes differs from the %d wanted", what, len(body), len(st.want))
	}
	for k, want := range st.headers {
		got := resp.Header.Get(k)
		if k == "Transfer-Encoding" {
			got = ""
			if len(resp.TransferEncoding) > 0 {
				got = resp.TransferEncoding[0]
			}
		}
		if got != want {
			t.Errorf("%s: %s = %q, want %q", what, k, got, want)
		}
	}
	if k := resp.Header.Get("Content-Length"); k != "" && st.cutAt == 0 && method != http.MethodHead && k != strconv.Itoa(len(body)) {
		t.Errorf("%s: Content-Length %s for a body of %d bytes", what, k, len(body))
	}
	if st.code != "" || st.message != "" {
		var e struct{ Code, Message string }
		if err := xml.Unmarshal(body, &e); err != nil {
			t.Errorf("%s: error body %q: %v", what, body, err)
		}
		if e.Code != st.code || st.message != "" && e.Message != st.message {
			t.Errorf("%s: error %s %q, want %s %q", what, e.Code, e.Message, st.code, st.message)
		}
	}
}

// TestCounters checks what the server counts.
func TestCounters(t *testing.T) {
	t.Parallel()
	t.Run("requests, bytes and ranges are counted in order", func(t *testing.T) {
		t.Parallel()
		srv := faultserver.New(t, object)
		client := newClient(t)
		check(t, "first", client, srv, step{header: rangeOf("bytes=0-99"), status: 206})
		check(t, "second", client, srv, step{status: 200})
		check(t, "third", client, srv, step{header: rangeOf("bytes=99999-"), status: 416})
		if got := srv.Requests(); got != 3 {
			t.Errorf("Requests() = %d, want 3", got)
		}
		if got, want := srv.BytesSent(), int64(100+len(object)); got != want {
			t.Errorf("BytesSent() = %d, want %d", got, want)
		}
		got := srv.RangeRequests()
		if want := []string{"bytes=0-99", "", "bytes=99999-"}; !slices.Equal(got, want) {
			t.Errorf("RangeRequests() = %q, want %q", got, want)
		}
		got[0] = "changed"
		if srv.RangeRequests()[0] != "bytes=0-99" {
			t.Error("RangeRequests() handed out its own slice")
		}
		if got := srv.MaxConcurrent(); got != 1 {
			t.Errorf("MaxConcurrent() = %d, want 1", got)
		}
	})
	t.Run("the peak of requests in flight is kept", func(t *testing.T) {
		t.Parallel()
		const n = 4
		var arrived atomic.Int32
		all := make(chan struct{})
		srv := faultserver.New(t, object, faultserver.Handler(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			if arrived.Add(1) == n {
				close(all)
			}
			select { // hold every request until all are in flight
			case <-all:
			case <-r.Context().Done():
			}
			next.ServeHTTP(w, r)
		}))
		client := newClient(t)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() { check(t, "parallel", client, srv, step{status: 200, want: object}) })
		}
		wg.Wait()
		if got := srv.MaxConcurrent(); got != n {
			t.Errorf("MaxConcurrent() = %d, want %d", got, n)
		}
		if got := srv.Requests(); got != n {
			t.Errorf("Requests() = %d, want %d", got, n)
		}
	})
}

// TestTiming checks the options that slow answers down.
func TestTiming(t *testing.T) {
	t.Parallel()
	const d = 300 * time.Millisecond
	tests := []struct {
		name     string
		opts     []faultserver.Option
		requests int           // answers to read, one after the other
		atLeast  time.Duration // the time they all take
		atMost   time.Duration // ... and its limit
	}{
		{name: "a normal answer is quick", requests: 1, atMost: d},
		{name: "the first byte comes after the wait", opts: opts(faultserver.TimeToFirstByte(d)), requests: 1, atLeast: d},
		{name: "a stalled answer pauses then completes", opts: opts(faultserver.StallAfterBytes(1000, d)), requests: 1, atLeast: d},
		{name: "only one answer stalls by default", opts: opts(faultserver.StallAfterBytes(1000, d)), requests: 3, atLeast: d, atMost: 2 * d},
		{name: "StallTimes makes more answers stall", opts: opts(faultserver.StallAfterBytes(0, d), faultserver.StallTimes(2)), requests: 3, atLeast: 2 * d},
		// 40 KiB at 80 KiB/s is half a second.
		{name: "a rate limit paces the body", opts: opts(faultserver.RateLimit(80 << 10)), requests: 1, atLeast: 450 * time.Millisecond, atMost: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := faultserver.New(t, object, tt.opts...)
			client := newClient(t)
			start := time.Now()
			for i := range tt.requests {
				check(t, fmt.Sprintf("request %d", i+1), client, srv, step{status: 200, want: object})
			}
			took := time.Since(start)
			if took < tt.atLeast {
				t.Errorf("took %v, want at least %v", took, tt.atLeast)
			}
			if tt.atMost > 0 && took > tt.atMost {
				t.Errorf("took %v, want at most %v", took, tt.atMost)
			}
		})
	}
}

// TestNothingHangs checks that waits end when the client leaves or the
// server closes.
func TestNothingHangs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  faultserver.Option
	}{
		{"a stall ends when the client goes away", faultserver.StallAfterBytes(1000, time.Hour)},
		{"a wait for the first byte ends when the client goes away", faultserver.TimeToFirstByte(time.Hour)},
		{"a rate limit ends when the client goes away", faultserver.RateLimit(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			returned := make(chan struct{})
			srv := faultserver.New(t, object, tt.opt, faultserver.Handler(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
				defer close(returned)
				next.ServeHTTP(w, r)
			}))
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL(), nil)
			if resp, err := newClient(t).Do(req); err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil {
					t.Error("the body was read in full, want the wait to outlast the client")
				}
			}
			select {
			case <-returned:
			case <-time.After(5 * time.Second):
				t.Fatal("the handler still runs 5s after the client went away")
			}
		})
	}
	t.Run("Close does not wait for a stalled answer", func(t *testing.T) {
		t.Parallel()
		srv := faultserver.New(t, object, faultserver.StallAfterBytes(1000, time.Hour))
		resp, err := newClient(t).Get(srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if _, err := io.ReadFull(resp.Body, make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
		closed := make(chan struct{})
		go func() { srv.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatal("Close still blocks after 5s")
		}
		if _, err := io.ReadAll(resp.Body); err == nil {
			t.Error("the stalled body ended cleanly after Close, want an error")
		}
		srv.Close() // a second Close is harmless
	})
}

func opts(o ...faultserver.Option) []faultserver.Option { return o }

func rangeOf(r string) map[string]string { return map[string]string{"Range": r} }

// newClient is a client of its own, so connections never cross tests.
func newClient(t *testing.T) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}
