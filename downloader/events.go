package downloader

import (
	"context"
	"errors"
	"sync"
)

// EventType names an event; the names are also the bridge's wire names.
type EventType string

// Event types.
const (
	EventJobAdded     EventType = "job.added"        // Job set
	EventJobProgress  EventType = "job.progress"     // Progress and Files set
	EventJobState     EventType = "job.state"        // Job set
	EventFileState    EventType = "file.state"       // File set
	EventURLExpired   EventType = "file.url_expired" // File set; answer with SetURL
	EventJobCompleted EventType = "job.completed"    // Job set
	EventJobFailed    EventType = "job.failed"       // Job set
	EventJobRemoved   EventType = "job.removed"      // JobID only
)

// Event is something that happened to a job. Its pointers are shared
// between subscribers: read them, never change them.
type Event struct {
	Type     EventType      `json:"type"`
	JobID    string         `json:"job"`
	Job      *JobInfo       `json:"info,omitempty"`
	File     *FileInfo      `json:"file,omitempty"`
	Progress *Progress      `json:"progress,omitempty"`
	Files    []FileProgress `json:"files,omitempty"`
}

// ErrSlowSubscriber ends a subscription whose reader fell too far behind;
// it should subscribe again and read the jobs afresh.
var ErrSlowSubscriber = errors.New("subscriber fell behind and was dropped")

// maxQueued bounds what a subscriber may owe before it is dropped.
const maxQueued = 4096

// hub fans events out to subscriptions without ever waiting for one.
type hub struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	closed bool
}

func newHub() *hub { return &hub{subs: map[*Subscription]struct{}{}} }

// Subscription receives a Manager's events from the moment it was made.
type Subscription struct {
	h     *hub
	ready chan struct{} // holds a token while queue is not empty
	mu    sync.Mutex
	queue []Event
	err   error // why the subscription ended
}

// Subscribe starts a subscription; Close it when done.
func (m *Manager) Subscribe() *Subscription {
	s := &Subscription{h: m.hub, ready: make(chan struct{}, 1)}
	m.hub.mu.Lock()
	defer m.hub.mu.Unlock()
	if m.hub.closed {
		s.err = ErrClosed
	} else {
		m.hub.subs[s] = struct{}{}
	}
	return s
}

// Next waits for the next event. It returns ErrClosed after the Manager or
// the subscription closed, ErrSlowSubscriber after falling behind, or the
// context's error.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			ev := s.queue[0]
			s.queue[0] = Event{}
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return ev, nil
		}
		err := s.err
		s.mu.Unlock()
		if err != nil {
			return Event{}, err
		}
		select {
		case <-s.ready:
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.h.mu.Lock()
	delete(s.h.subs, s)
	s.h.mu.Unlock()
	s.end(ErrClosed)
}

func (s *Subscription) end(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
		s.queue = nil
	}
	s.mu.Unlock()
	s.wake()
}

func (s *Subscription) wake() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// offer queues ev. A progress event replaces one of the same job that is
// still queued, so a slow reader gets fewer, fresher events; a reader that
// owes too much is dropped rather than let memory grow.
func (s *Subscription) offer(ev Event) bool {
	s.mu.Lock()
	defer s.wake()
	defer s.mu.Unlock()
	if s.err != nil {
		return false
	}
	if ev.Type == EventJobProgress {
		for i := range s.queue {
			if s.queue[i].Type == EventJobProgress && s.queue[i].JobID == ev.JobID {
				s.queue[i] = mergeProgress(s.queue[i], ev)
				return true
			}
		}
	}
	if len(s.queue) >= maxQueued {
		s.err = ErrSlowSubscriber
		s.queue = nil
		return false
	}
	s.queue = append(s.queue, ev)
	return true
}

// mergeProgress folds a newer progress event into an older queued one,
// keeping files the newer one does not mention.
func mergeProgress(old, ev Event) Event {
	seen := make(map[int]bool, len(ev.Files))
	for _, f := range ev.Files {
		seen[f.Index] = true
	}
	files := append([]FileProgress(nil), ev.Files...)
	for _, f := range old.Files {
		if !seen[f.Index] {
			files = append(files, f)
		}
	}
	ev.Files = files
	return ev
}

func (h *hub) publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if !s.offer(ev) {
			delete(h.subs, s)
		}
	}
}

func (h *hub) close() {
	h.mu.Lock()
	subs := h.subs
	h.subs, h.closed = map[*Subscription]struct{}{}, true
	h.mu.Unlock()
	for s := range subs {
		s.end(ErrClosed)
	}
}
