package bridge

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"dlhelper/downloader"
	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

const orderToken = "order-token-0123456789"

// fakePortal serves one order's manifest, renews its links with src and
// takes progress reports, checking the order's token on every call, as
// cmd/portal-demo does.
type fakePortal struct {
	*httptest.Server
	src       *faultserver.Server
	files     int
	revoked   atomic.Bool
	refreshes atomic.Int32
	reports   chan progressReport
}

func newFakePortal(t *testing.T, src *faultserver.Server, files int) *fakePortal {
	p := &fakePortal{src: src, files: files, reports: make(chan progressReport, 1000)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ticket", func(w http.ResponseWriter, r *http.Request) {
		fs := make([]string, files)
		for i := range fs {
			fs[i] = fmt.Sprintf(`{"name":"f%d.bin","url":%q}`, i, src.URL())
		}
		fmt.Fprintf(w, `{"version":1,"name":"Order 7","folder":"order-7","files":[%s],"token":%q,"refresh":%q,"progress":%q}`,
			strings.Join(fs, ","), orderToken, p.URL+"/refresh", p.URL+"/progress")
	})
	mux.HandleFunc("POST /refresh", func(w http.ResponseWriter, r *http.Request) {
		p.refreshes.Add(1)
		if !p.authorized(w, r) {
			return
		}
		fmt.Fprintf(w, `{"url":%q}`, src.URLWithToken(src.FreshToken()))
	})
	mux.HandleFunc("POST /progress", func(w http.ResponseWriter, r *http.Request) {
		var rep progressReport // what dlhelper sent, even when refused below
		_ = json.NewDecoder(r.Body).Decode(&rep)
		select {
		case p.reports <- rep:
		default:
		}
		p.authorized(w, r)
	})
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Close)
	return p
}

func (p *fakePortal) authorized(w http.ResponseWriter, r *http.Request) bool {
	switch {
	case r.Header.Get("Authorization") != "Bearer "+orderToken:
		http.Error(w, `{"error":{"code":"unauthorized","message":"wrong token"}}`, http.StatusUnauthorized)
	case p.revoked.Load():
		http.Error(w, `{"error":{"code":"revoked","message":"this order was revoked by the portal"}}`, http.StatusForbidden)
	default:
		return true
	}
	return false
}

// waitReport waits for a report that passes ok.
func (p *fakePortal) waitReport(t *testing.T, ok func(progressReport) bool) progressReport {
	t.Helper()
	deadline := time.After(30 * time.Second) // a bound, not a speed check
	var last progressReport
	for {
		select {
		case last = <-p.reports:
			if ok(last) {
				return last
			}
		case <-deadline:
			t.Fatalf("no report as expected reached the portal; the last: %+v", last)
		}
	}
}

func trusting(origins ...string) envOption {
	return withOptions(func(o *Options) { o.AllowedOrigins = append(o.AllowedOrigins, origins...) })
}

func TestHostileManifestsAreRefused(t *testing.T) {
	t.Parallel()
	const origin = "https://portal.example.com"
	manifest := func(edit func(m map[string]any)) string {
		m := map[string]any{
			"version": 1, "name": "Order 7", "folder": "order-7", "token": orderToken,
			"refresh": origin + "/api/refresh", "progress": origin + "/api/progress",
			"files": []map[string]any{{"name": "a.bin", "url": "https://s3.example.com/b/a.bin?sig=1", "size": 10}},
		}
		edit(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	file := func(k string, v any) func(map[string]any) {
		return func(m map[string]any) { m["files"].([]map[string]any)[0][k] = v }
	}
	set := func(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
	if _, spec, err := decodeManifest([]byte(manifest(func(map[string]any) {})), origin, nil); err != nil || spec.Origin != origin {
		t.Fatalf("a good manifest was refused: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(map[string]any)
		want string // in the message
	}{
		{"a plain http file URL", file("url", "http://s3.example.com/b/a.bin"), "https"},
		{"an ftp file URL", file("url", "ftp://s3.example.com/a.bin"), "https"},
		{"a name that climbs out", file("name", "../../.bashrc"), "name"},
		{"an absolute name", file("name", "/etc/passwd"), "name"},
		{"an empty name", file("name", ""), "name"},
		{"a huge size", file("size", int64(1)<<50), "size"},
		{"a negative size", file("size", -1), "size"},
		{"a bad checksum", file("sha256", "xyz"), "sha256"},
		{"an unknown field", file("exec", "rm -rf"), "exec"},
		{"a refresh endpoint elsewhere", set("refresh", "https://evil.example.net/steal"), "refresh"},
		{"a progress endpoint elsewhere", set("progress", "https://evil.example.net/steal"), "progress"},
		{"no refresh endpoint", set("refresh", ""), "refresh"},
		{"a short token", set("token", "abc"), "token"},
		{"a token with a newline", set("token", "abcdefghijklmnop\nX-Evil: 1"), "token"},
		{"another version", set("version", 2), "version"},
		{"no files", set("files", []any{}), "files"},
		{"a folder that climbs out", set("folder", "../x"), "folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := decodeManifest([]byte(manifest(tc.edit)), origin, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a refusal naming %q", err, tc.want)
			}
		})
	}
	t.Run("files from a host that is not allowed", func(t *testing.T) {
		_, _, err := decodeManifest([]byte(manifest(func(map[string]any) {})), origin, newHostList([]string{"minio.example.com"}))
		if err == nil {
			t.Fatal("a file from a host outside --allow-host was accepted")
		}
	})
}

func TestATicketOfAnotherPortalIsRefused(t *testing.T) {
	t.Parallel()
	src := faultserver.New(t, testenv.RandomData(1, 1<<10))
	p := newFakePortal(t, src, 1)
	e := newEnv(t, trusting(p.URL))
	e.do(req{method: http.MethodPost, path: "/v1/orders", origin: portal, body: fmt.Sprintf(`{"ticket":%q}`, p.URL+"/ticket")}).
		want(t, http.StatusForbidden, CodeForbidden)
	e.do(req{method: http.MethodPost, path: "/v1/orders", origin: p.URL, body: `{"ticket":"http://portal.example.com/ticket"}`}).
		want(t, http.StatusBadRequest, CodeInvalid)
}

// The order is fetched by ticket, its links expire mid-way and dlhelper
// renews them with the portal alone (no page is open), reporting progress.
func TestAnOrderByTicketRenewsItsLinksAlone(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(4, 1<<20)
	src := faultserver.New(t, data, faultserver.ExpireAfter(2))
	p := newFakePortal(t, src, 2)
	e := newEnv(t, trusting(p.URL))
	r := e.do(req{method: http.MethodPost, path: "/v1/orders", origin: p.URL, body: fmt.Sprintf(`{"ticket":%q}`, p.URL+"/ticket")})
	r.want(t, http.StatusCreated, "")
	var res OrderResult
	if err := json.Unmarshal(r.body, &res); err != nil || res.Job == nil {
		t.Fatalf("POST /v1/orders: %s", r.body)
	}
	info := e.waitJob(res.Job.ID, downloader.JobCompleted)
	if info.Origin != p.URL {
		t.Errorf("the job's origin is %q, want the portal's %q", info.Origin, p.URL)
	}
	if n := p.refreshes.Load(); n < 1 {
		t.Errorf("the portal was asked for %d fresh links, want at least 1", n)
	}
	p.waitReport(t, func(r progressReport) bool {
		return r.State == downloader.JobCompleted && r.FilesDone == 2 && r.Done == r.Total
	})
}

// A revoked order: the portal refuses the token, dlhelper stops asking at
// once and says why.
func TestARevokedOrderStopsRefreshes(t *testing.T) {
	t.Parallel()
	src := faultserver.New(t, testenv.RandomData(5, 1<<20), faultserver.ExpireAfter(1))
	p := newFakePortal(t, src, 1)
	p.revoked.Store(true)
	e := newEnv(t, trusting(p.URL))
	ws, _ := e.dial(originHeader(p.URL))
	e.do(req{method: http.MethodPost, path: "/v1/orders", origin: p.URL, body: fmt.Sprintf(`{"ticket":%q}`, p.URL+"/ticket")}).
		want(t, http.StatusCreated, "")
	readUntil(t, ws, func(m message) bool { return m.Type == string(downloader.EventURLExpired) })
	rep := p.waitReport(t, func(r progressReport) bool { return r.Error != "" }) // dlhelper tells the portal it stopped
	var got struct{ Orders []orderView }
	_ = json.Unmarshal(e.do(req{path: "/v1/orders", origin: p.URL}).body, &got)
	if len(got.Orders) != 1 || got.Orders[0].Error != rep.Error {
		t.Fatalf("GET /v1/orders: %+v, want the error the portal got: %q", got, rep.Error)
	}
	if msg := got.Orders[0].Error; !strings.Contains(msg, "HTTP 403") || !strings.Contains(msg, "revoked by the portal") || !strings.Contains(msg, "start the download again") {
		t.Errorf("the error does not say what happened and what to do: %q", msg)
	}
	if n := p.refreshes.Load(); n != 1 {
		t.Errorf("dlhelper asked the portal %d times after the refusal, want once", n)
	}
	if strings.Contains(string(e.do(req{path: "/v1/orders"}).body), orderToken) {
		t.Error("GET /v1/orders shows the order's token")
	}
}

// An order by link from a portal not trusted yet waits for the user's
// answer, which names its size and file count; Allow starts it.
func TestAnOrderByLinkWaitsForTheUsersAnswer(t *testing.T) {
	t.Parallel()
	src := faultserver.New(t, testenv.RandomData(6, 1<<10))
	p := newFakePortal(t, src, 3)
	a := &asked{}
	e := newTrustEnv(t, "", a)
	body := fmt.Sprintf(`{"ticket":%q}`, p.URL+"/ticket")
	e.do(req{method: http.MethodPost, path: "/v1/orders", body: body}).want(t, http.StatusAccepted, "")
	if a.count() != 1 || a.reqs[0].Files != 3 || a.reqs[0].Origin != p.URL {
		t.Fatalf("the user was asked %+v, want one question naming 3 files of %s", a.reqs, p.URL)
	}
	if len(e.m.Jobs()) != 0 {
		t.Fatal("the order started before the user answered")
	}
	session := e.login()
	q := e.pending(session).Requests[0]
	e.answer(session, q.ID, "allow", q.Nonce).want(t, http.StatusOK, "")
	if jobs := e.m.Jobs(); len(jobs) != 1 || jobs[0].Origin != p.URL || len(jobs[0].Files) != 3 {
		t.Fatalf("after Allow the jobs are %+v, want the order", jobs)
	}
}
