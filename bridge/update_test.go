package bridge

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
)

// fakeUpdater counts the checks a page asks for.
type fakeUpdater struct{ asked atomic.Int32 }

func (f *fakeUpdater) UpdateStatus() UpdateStatus {
	return UpdateStatus{Version: "1.0.0", State: "idle"}
}

func (f *fakeUpdater) UpdateNow() UpdateStatus {
	f.asked.Add(1)
	return UpdateStatus{Version: "1.0.0", Latest: "1.1.0", State: "checking"}
}

func TestAPageCanAskTheHelperToUpdate(t *testing.T) {
	upd := &fakeUpdater{}
	e := newEnv(t, withOptions(func(o *Options) { o.Updater = upd }))

	r := e.do(req{method: http.MethodPost, path: "/v1/update"})
	r.want(t, http.StatusAccepted, "")
	var st UpdateStatus
	json.Unmarshal(r.body, &st)
	if st.State != "checking" || st.Latest != "1.1.0" || upd.asked.Load() != 1 {
		t.Errorf("POST /v1/update = %s (asked %d times), want a check started", r.body, upd.asked.Load())
	}
	e.do(req{path: "/v1/update"}).want(t, http.StatusOK, "")
	e.do(req{method: http.MethodPost, path: "/v1/update", noToken: true}).want(t, http.StatusUnauthorized, CodeUnauthorized)
	if upd.asked.Load() != 1 {
		t.Errorf("a request without the token started a check")
	}
}

func TestABuildWithoutAFeedSaysUpdatesAreOff(t *testing.T) {
	e := newEnv(t)
	e.do(req{method: http.MethodPost, path: "/v1/update"}).want(t, http.StatusNotImplemented, CodeUpdatesOff)
	e.do(req{path: "/v1/update"}).want(t, http.StatusNotImplemented, CodeUpdatesOff)
}
