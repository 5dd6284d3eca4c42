package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"dlhelper/downloader"
	"dlhelper/internal/atomicfile"
)

// OrdersFile keeps the orders fetched by ticket (their refresh endpoints
// and tokens) in the state folder, so links expiring after a restart are
// renewed too. It holds tokens: mode 0600.
const OrdersFile = "orders.json"

// How the helper talks to a portal about an order.
const (
	progressEvery  = 2 * time.Second // progress reports, at most
	refreshTries   = 3               // a portal that does not answer a refresh
	maxParked      = 4               // orders of one untrusted portal waiting for the user
	refreshBackoff = time.Second
)

// orderRec is an order's link to its portal.
type orderRec struct {
	Job      string `json:"job"`
	Origin   string `json:"origin"`
	Token    string `json:"token"`
	Refresh  string `json:"refresh"`
	Progress string `json:"progress,omitempty"`
	// Error says why dlhelper stopped asking the portal for fresh links
	// (the portal revoked the order); empty while it asks.
	Error string `json:"error,omitempty"`
}

type parkedOrder struct {
	m    Manifest
	spec downloader.JobSpec
}

// orders owns the order records and the orders parked for an answer.
type orders struct {
	mu       sync.Mutex
	path     string
	byJob    map[string]*orderRec
	parked   map[string][]parkedOrder // origin → orders waiting for the user
	busy     map[string]bool          // "job/index" refreshing, "job" reporting
	again    map[string]bool          // a state changed while its job's report was on its way
	reported map[string]time.Time
}

func newOrders(stateDir string, log interface{ Warn(string, ...any) }) *orders {
	o := &orders{byJob: map[string]*orderRec{}, parked: map[string][]parkedOrder{}, busy: map[string]bool{}, again: map[string]bool{}, reported: map[string]time.Time{}}
	if stateDir == "" {
		return o
	}
	o.path = filepath.Join(stateDir, OrdersFile)
	data, err := os.ReadFile(o.path)
	if err == nil {
		err = json.Unmarshal(data, &o.byJob)
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		log.Warn("the orders' refresh endpoints could not be read; their links will not be renewed", "err", err)
		o.byJob = map[string]*orderRec{}
	}
	return o
}

// saveLocked writes the records; the caller holds mu. A failure costs the
// renewal of links after a restart, which the log says.
func (o *orders) saveLocked() error {
	if o.path == "" {
		return nil
	}
	data, _ := json.MarshalIndent(o.byJob, "", "  ")
	return atomicfile.WriteFile(o.path, data, 0o600)
}

func (o *orders) get(job string) (orderRec, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, ok := o.byJob[job]
	if !ok {
		return orderRec{}, false
	}
	return *r, true
}

// claim marks key busy, reporting false when it already was.
func (o *orders) claim(key string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.busy[key] {
		return false
	}
	o.busy[key] = true
	return true
}

func (o *orders) release(key string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.busy, key)
}

// OrderResult is the answer of POST /v1/orders.
type OrderResult struct {
	// State is "started" (Job is set) or "pending": the order waits for
	// dlhelper's user to trust its portal (ID names the question).
	State string              `json:"state"`
	Job   *downloader.JobInfo `json:"job,omitempty"`
	ID    string              `json:"id,omitempty"`
}

// SubmitTicket fetches the order a ticket names and starts it, or parks
// it until the user answers whether to trust its portal. caller is the
// origin of the page that handed it over, "" for the local user (a
// dlhelper://order link); a page may hand over its own portal's tickets
// only, and only a trusted page reaches here.
func (s *Server) SubmitTicket(ctx context.Context, ticket, caller string) (OrderResult, error) {
	origin, err := checkTicket(ticket)
	if err != nil {
		return OrderResult{}, err
	}
	if caller != "" && caller != origin {
		return OrderResult{}, newError(http.StatusForbidden, CodeForbidden, "a page may hand over tickets of its own portal (%s) only", caller)
	}
	if !eligible(origin) {
		return OrderResult{}, newError(http.StatusForbidden, CodeNotEligible, "only https:// portals (and http://localhost for development) may send orders to dlhelper")
	}
	m, spec, err := s.fetchManifest(ctx, ticket, origin)
	if err != nil {
		return OrderResult{}, err
	}
	if s.originAllowed(origin) {
		info, err := s.startOrder(m, spec)
		if err != nil {
			return OrderResult{}, err
		}
		return OrderResult{State: "started", Job: &info}, nil
	}
	return s.parkOrder(m, spec)
}

// parkOrder keeps an order of a portal not trusted yet and asks the user,
// naming the order's size and file count.
func (s *Server) parkOrder(m Manifest, spec downloader.JobSpec) (OrderResult, error) {
	var total int64
	for _, f := range spec.Files {
		total += f.Size
	}
	req, created, err := s.trust.ask(spec.Origin, len(spec.Files), total)
	switch {
	case errors.Is(err, errTrustDenied):
		return OrderResult{}, trustDenied()
	case errors.Is(err, errTrustRateLimit):
		return OrderResult{}, newError(http.StatusTooManyRequests, CodeTooManyRequests, "this portal sent dlhelper too many orders to approve; wait an hour")
	}
	s.orders.mu.Lock()
	full := len(s.orders.parked[spec.Origin]) >= maxParked
	if !full {
		s.orders.parked[spec.Origin] = append(s.orders.parked[spec.Origin], parkedOrder{m: m, spec: spec})
	}
	s.orders.mu.Unlock()
	if full {
		return OrderResult{}, newError(http.StatusTooManyRequests, CodeTooManyRequests,
			"%d orders of this portal already wait for your answer in dlhelper; answer there first", maxParked)
	}
	if created {
		s.askUser(req)
	}
	return OrderResult{State: "pending", ID: req.ID}, nil
}

// releaseParked starts (allowed) or drops the orders of origin that waited
// for the user's answer.
func (s *Server) releaseParked(origin string, allowed bool) {
	s.orders.mu.Lock()
	waiting := s.orders.parked[origin]
	delete(s.orders.parked, origin)
	s.orders.mu.Unlock()
	for _, p := range waiting {
		if !allowed {
			s.log.Info("dropped an order of a portal the user did not trust", "origin", clip(origin), "files", len(p.spec.Files))
			continue
		}
		if _, err := s.startOrder(p.m, p.spec); err != nil {
			s.log.Error("could not start an approved order", "origin", clip(origin), "err", err)
		}
	}
}

// startOrder adds the order's job and records how to renew its links.
func (s *Server) startOrder(m Manifest, spec downloader.JobSpec) (downloader.JobInfo, error) {
	if err := s.checkRoom(len(spec.Files)); err != nil {
		return downloader.JobInfo{}, err
	}
	info, err := s.m.Add(spec)
	if err != nil {
		return info, managerError(err)
	}
	s.orders.mu.Lock()
	s.orders.byJob[info.ID] = &orderRec{Job: info.ID, Origin: spec.Origin, Token: m.Token, Refresh: m.Refresh, Progress: m.Progress}
	err = s.orders.saveLocked()
	s.orders.mu.Unlock()
	if err != nil {
		s.log.Warn("could not save the order's refresh endpoint; its links will not be renewed after a restart", "job", info.ID, "err", err)
	}
	s.log.Info("started an order by ticket", "job", info.ID, "origin", clip(spec.Origin), "files", len(spec.Files))
	// A link may have expired before the record above existed, its event
	// then passed over by runOrders.
	if now, err := s.m.Job(info.ID); err == nil {
		for _, f := range now.Files {
			if f.State == downloader.FileURLExpired {
				s.renew(info.ID, f)
			}
		}
	}
	return info, nil
}

// runOrders renews the expired links of orders and reports their progress,
// until the Server closes. Calls to portals run beside the loop, one per
// file and one report per job at a time, so a slow portal never holds up
// the events.
func (s *Server) runOrders() {
	sub := s.m.Subscribe()
	defer sub.Close()
	for _, j := range s.m.Jobs() { // links that expired while dlhelper was stopped
		for _, f := range j.Files {
			if f.State == downloader.FileURLExpired {
				s.renew(j.ID, f)
			}
		}
	}
	for {
		ev, err := sub.Next(s.ctx)
		if errors.Is(err, downloader.ErrSlowSubscriber) {
			sub = s.m.Subscribe()
			continue
		}
		if err != nil {
			return
		}
		switch ev.Type {
		case downloader.EventURLExpired:
			if ev.File != nil {
				s.renew(ev.JobID, *ev.File)
			}
		case downloader.EventJobProgress, downloader.EventJobState, downloader.EventJobCompleted, downloader.EventJobFailed:
			s.report(ev.JobID, ev.Type != downloader.EventJobProgress)
		case downloader.EventJobRemoved:
			s.orders.mu.Lock()
			if _, ok := s.orders.byJob[ev.JobID]; ok {
				delete(s.orders.byJob, ev.JobID)
				_ = s.orders.saveLocked()
			}
			s.orders.mu.Unlock()
		}
	}
}

// renew asks the order's portal for a fresh link to f, in the background.
func (s *Server) renew(job string, f downloader.FileInfo) {
	rec, ok := s.orders.get(job)
	key := fmt.Sprintf("%s/%d", job, f.Index)
	if !ok || rec.Error != "" || !s.orders.claim(key) {
		return
	}
	s.work.Go(func() {
		defer s.orders.release(key)
		for try := range refreshTries {
			err := s.refreshOnce(rec, f)
			if err == nil {
				return
			}
			var stop *portalRefused
			if errors.As(err, &stop) {
				s.stopRefreshing(job, stop)
				return
			}
			s.log.Warn("could not renew a link with the portal", "job", job, "index", f.Index, "try", try+1, "err", err)
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(refreshBackoff << (2 * try)):
			}
		}
	})
}

// portalRefused is a portal saying no to an order's token: it revoked the
// order, or the order is over. Asking again would not help.
type portalRefused struct {
	status  int
	message string
}

func (e *portalRefused) Error() string {
	return fmt.Sprintf("the portal refused (HTTP %d): %s", e.status, e.message)
}

type refreshAnswer struct {
	URL   string `json:"url"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// refreshOnce is one call of the refresh endpoint (API.md, "Orders by
// ticket"), and SetURL with its answer.
func (s *Server) refreshOnce(rec orderRec, f downloader.FileInfo) error {
	var ans refreshAnswer
	status, err := s.callPortal(rec, rec.Refresh, map[string]string{"name": f.Name}, &ans)
	if err != nil {
		return err
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusNotFound || status == http.StatusGone:
		msg := "no reason given"
		if ans.Error != nil && ans.Error.Message != "" {
			msg = clip(ans.Error.Message)
		}
		return &portalRefused{status: status, message: msg}
	case status != http.StatusOK:
		return fmt.Errorf("HTTP %d", status)
	case !secureURL(ans.URL):
		return fmt.Errorf("the fresh link is not https:// (http:// only on localhost)")
	}
	if err := s.urls.checkURL(ans.URL); err != nil {
		return fmt.Errorf("the fresh link: %w", err)
	}
	if err := s.m.SetURL(rec.Job, f.Index, ans.URL); err != nil {
		return fmt.Errorf("use the fresh link: %w", err)
	}
	s.log.Info("renewed a link with the portal", "job", rec.Job, "index", f.Index)
	return nil
}

// stopRefreshing records why the portal's links are no longer renewed.
func (s *Server) stopRefreshing(job string, why *portalRefused) {
	msg := fmt.Sprintf("the portal no longer renews this order's links (%v); start the download again from the portal", why)
	// Logged first: whoever sees the order's error may read the log.
	s.log.Error("stopped renewing an order's links", "job", job, "err", why)
	s.orders.mu.Lock()
	if r := s.orders.byJob[job]; r != nil {
		r.Error = msg
		_ = s.orders.saveLocked()
	}
	s.orders.mu.Unlock()
	s.report(job, true) // the portal's page can tell the customer
}

// progressReport is what a manifest's progress endpoint receives.
type progressReport struct {
	State     downloader.JobState `json:"state"`
	Done      int64               `json:"done"`
	Total     int64               `json:"total"`
	Files     int                 `json:"files"`
	FilesDone int                 `json:"filesDone"`
	Error     string              `json:"error,omitempty"` // orderRec.Error
}

// report sends the job's progress to its portal, if the manifest asked,
// at most every progressEvery unless the state changed (now). One report
// per job is on its way at a time; a change meanwhile sends one more.
func (s *Server) report(job string, now bool) {
	rec, ok := s.orders.get(job)
	if !ok || rec.Progress == "" {
		return
	}
	s.orders.mu.Lock()
	due := now || time.Since(s.orders.reported[job]) >= progressEvery
	if due {
		s.orders.reported[job] = time.Now()
	}
	if due && now && s.orders.busy[job] {
		s.orders.again[job] = true
	}
	s.orders.mu.Unlock()
	if !due || !s.orders.claim(job) {
		return
	}
	s.work.Go(func() {
		defer s.orders.release(job)
		for s.sendReport(job) {
		}
	})
}

// sendReport sends one report and says whether another is owed.
func (s *Server) sendReport(job string) bool {
	rec, _ := s.orders.get(job) // afresh: it may carry an error now
	info, err := s.m.Job(job)
	if err != nil || s.ctx.Err() != nil {
		return false
	}
	r := progressReport{State: info.State, Done: info.Done, Total: info.Total, Files: len(info.Files), Error: rec.Error}
	for _, f := range info.Files {
		if f.State == downloader.FileCompleted {
			r.FilesDone++
		}
	}
	if _, err := s.callPortal(rec, rec.Progress, r, nil); err != nil {
		s.log.Debug("could not report progress to the portal", "job", job, "err", err)
	}
	s.orders.mu.Lock()
	defer s.orders.mu.Unlock()
	again := s.orders.again[job]
	delete(s.orders.again, job)
	return again
}

// callPortal POSTs body to one of the order's endpoints with its token and
// decodes the answer into out (when not nil).
func (s *Server) callPortal(rec orderRec, endpoint string, body, out any) (int, error) {
	data, _ := json.Marshal(body)
	ctx, cancel := context.WithTimeout(s.ctx, portalCallTimout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(data))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+rec.Token)
	resp, err := portalClient.Do(req)
	if err != nil {
		return 0, cleanURLError(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(out)
	}
	return resp.StatusCode, nil
}
