package downloader

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

// When the network comes back, a range that got no answer does not sleep
// out its backoff: the first answer any request gets wakes it. Here the
// backoff is an hour, so only that wake lets the first order finish.
func TestARangeWaitingForTheNetworkRetriesWhenAnAnswerComes(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(7, 200<<10)
	var hungUp atomic.Bool
	gone := faultserver.New(t, data, faultserver.Handler(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if hungUp.CompareAndSwap(false, true) { // the network drops the first request
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		next.ServeHTTP(w, r)
	}))
	back := faultserver.New(t, data)
	cfg := testConfig(t)
	cfg.RetryBase, cfg.RetryMax = time.Hour, time.Hour
	m := newTestManager(t, cfg)
	sub := m.Subscribe()
	defer sub.Close()
	first, err := m.Add(JobSpec{Name: "first", Files: []FileSpec{{URL: gone.URL(), Name: "a.zip"}}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, hungUp.Load)
	runJob(t, m, JobSpec{Name: "second", Folder: "second", Files: []FileSpec{{URL: back.URL(), Name: "b.zip"}}})
	if j := waitSettled(t, m, sub, first.ID); j.State != JobCompleted {
		t.Fatalf("the first order ended %s, want completed", j.State)
	}
}

// One range that keeps failing while others get answers was not cut off by
// a gone network: its backoff stands.
func TestAnswersWithoutAQuietDoNotWakeTheWaiting(t *testing.T) {
	t.Parallel()
	w := newNetworkWatch()
	w.answer() // the network works
	ch := w.back()
	w.answer()
	select {
	case <-ch:
		t.Fatal("an answer right after another woke the ranges waiting for the network")
	default:
	}
	w.quiet = 0
	time.Sleep(time.Millisecond)
	w.answer()
	select {
	case <-ch:
	default:
		t.Fatal("an answer after a quiet did not wake the ranges waiting for the network")
	}
}
