package downloader

import (
	"context"
	"errors"
	"testing"
)

func TestASlowSubscriberIsDroppedAndOthersStillHear(t *testing.T) {
	t.Parallel()
	h := newHub()
	slow := &Subscription{h: h, ready: make(chan struct{}, 1)}
	fast := &Subscription{h: h, ready: make(chan struct{}, 1)}
	h.subs[slow], h.subs[fast] = struct{}{}, struct{}{}
	for i := range maxQueued + 1 {
		h.publish(Event{Type: EventFileState, JobID: "j", File: &FileInfo{Index: i}})
		if _, err := fast.Next(context.Background()); err != nil {
			t.Fatalf("fast subscriber: %v", err)
		}
	}
	if _, err := slow.Next(context.Background()); !errors.Is(err, ErrSlowSubscriber) {
		t.Errorf("slow subscriber got %v, want ErrSlowSubscriber", err)
	}
	if _, ok := h.subs[slow]; ok {
		t.Error("the hub still holds the dropped subscriber")
	}
}

func TestQueuedProgressIsCoalescedPerJob(t *testing.T) {
	t.Parallel()
	h := newHub()
	s := &Subscription{h: h, ready: make(chan struct{}, 1)}
	h.subs[s] = struct{}{}
	h.publish(Event{Type: EventJobProgress, JobID: "a", Progress: &Progress{Done: 1}, Files: []FileProgress{{Index: 0, Done: 1}}})
	h.publish(Event{Type: EventFileState, JobID: "a", File: &FileInfo{}})
	h.publish(Event{Type: EventJobProgress, JobID: "b", Progress: &Progress{Done: 5}})
	h.publish(Event{Type: EventJobProgress, JobID: "a", Progress: &Progress{Done: 9}, Files: []FileProgress{{Index: 1, Done: 8}}})
	var got []Event
	for len(s.queue) > 0 {
		ev, _ := s.Next(context.Background())
		got = append(got, ev)
	}
	if len(got) != 3 {
		t.Fatalf("got %d events, want 3 (two progress for job a merged)", len(got))
	}
	if got[0].Progress.Done != 9 || len(got[0].Files) != 2 {
		t.Errorf("merged progress %+v files %+v, want done 9 and both files", got[0].Progress, got[0].Files)
	}
}

func TestNextEndsWhenClosed(t *testing.T) {
	t.Parallel()
	h := newHub()
	s := &Subscription{h: h, ready: make(chan struct{}, 1)}
	h.subs[s] = struct{}{}
	h.close()
	if _, err := s.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after close = %v, want ErrClosed", err)
	}
}
