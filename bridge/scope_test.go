package bridge

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"dlhelper/downloader"
)

const otherPortal = "https://other-portal.example.com"

// Issue 16: one allowed portal could read, cancel and re-point another's
// jobs. A page sees and acts on its own origin's jobs only.
func TestPortalsSeeOnlyTheirOwnJobs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withOptions(func(o *Options) { o.AllowedOrigins = []string{portal, otherPortal} }))
	a := e.addJob(jobJSON("http://127.0.0.1:1/x", "a.zip"))
	if a.Origin != portal {
		t.Errorf("the job's origin is %q, want %q", a.Origin, portal)
	}
	rb := e.do(req{method: "POST", path: "/v1/jobs", body: jobJSON("http://127.0.0.1:1/y", "b.zip"), origin: otherPortal})
	rb.want(t, http.StatusCreated, "")
	b := rb.job(t)

	ids := func(r result) []string {
		var l jobList
		if err := json.Unmarshal(r.body, &l); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, j := range l.Jobs {
			out = append(out, j.ID)
		}
		slices.Sort(out)
		return out
	}
	if got := ids(e.do(req{path: "/v1/jobs", origin: otherPortal})); !slices.Equal(got, []string{b.ID}) {
		t.Errorf("the other portal lists %v, want only its job %s", got, b.ID)
	}
	want := []string{a.ID, b.ID}
	slices.Sort(want)
	if got := ids(e.do(req{path: "/v1/jobs"})); !slices.Equal(got, want) {
		t.Errorf("the token lists %v, want every job %v", got, want)
	}

	for _, r := range []req{
		{method: "GET", path: "/v1/jobs/" + a.ID},
		{method: "POST", path: "/v1/jobs/" + a.ID + "/pause"},
		{method: "POST", path: "/v1/jobs/" + a.ID + "/cancel"},
		{method: "POST", path: "/v1/jobs/" + a.ID + "/retry"},
		{method: "POST", path: "/v1/jobs/" + a.ID + "/open"},
		{method: "PUT", path: "/v1/jobs/" + a.ID + "/files/0/url", body: `{"url":"https://evil.example/steal"}`},
		{method: "DELETE", path: "/v1/jobs/" + a.ID},
	} {
		r.origin = otherPortal
		t.Run("the other portal: "+r.method+" "+r.path, func(t *testing.T) {
			e.do(r).want(t, http.StatusNotFound, CodeNotFound)
		})
	}
	e.do(req{method: "POST", path: "/v1/pause", origin: otherPortal}).want(t, http.StatusNoContent, "")
	got, err := e.m.Job(a.ID)
	if err != nil {
		t.Fatalf("the other portal removed the job: %v", err)
	}
	if got.State == downloader.JobCanceled || got.State == downloader.JobPaused {
		t.Errorf("the other portal changed the job to %s", got.State)
	}
	e.do(req{path: "/v1/jobs/" + a.ID, origin: portal}).want(t, http.StatusOK, "")
}

func TestEventStreamsShowAPortalItsOwnJobs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withOptions(func(o *Options) { o.AllowedOrigins = []string{portal, otherPortal} }))
	a := e.addJob(jobJSON("http://127.0.0.1:1/x", "a.zip"))
	ws, snap := e.dial(originHeader(otherPortal))
	if len(snap.Jobs) != 0 {
		t.Fatalf("the other portal's snapshot holds %d jobs, want none", len(snap.Jobs))
	}
	if err := ws.WriteJSON(clientMessage{Type: MsgSubscribe, Job: a.ID}); err != nil {
		t.Fatal(err)
	}
	if m := readMsg(t, ws); m.Type != MsgError || m.Error == nil || m.Error.Code != CodeNotFound {
		t.Fatalf("subscribing to another portal's job: %+v, want a not_found error", m)
	}
	// Events of the first portal's job come before the event of the
	// second's own job, in the engine's order: none may reach it.
	e.do(req{method: "POST", path: "/v1/jobs/" + a.ID + "/pause", origin: portal}).want(t, http.StatusOK, "")
	e.do(req{method: "POST", path: "/v1/jobs/" + a.ID + "/resume", origin: portal}).want(t, http.StatusOK, "")
	rb := e.do(req{method: "POST", path: "/v1/jobs", body: jobJSON("http://127.0.0.1:1/y", "b.zip"), origin: otherPortal})
	rb.want(t, http.StatusCreated, "")
	b := rb.job(t)
	for _, m := range readUntil(t, ws, func(m message) bool { return m.Type == string(downloader.EventJobAdded) && m.JobID == b.ID }) {
		if m.JobID == a.ID || slices.ContainsFunc(m.Jobs, func(j downloader.JobInfo) bool { return j.ID == a.ID }) {
			t.Fatalf("the other portal got %s about the first portal's job", m.Type)
		}
	}
	_, all := e.dial(http.Header{"Authorization": {"Bearer " + testToken}})
	if len(all.Jobs) != 2 {
		t.Errorf("the token's snapshot holds %d jobs, want 2", len(all.Jobs))
	}
}
