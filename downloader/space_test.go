package downloader

import (
	"errors"
	"strings"
	"testing"
)

func TestAnOrderLargerThanTheFreeSpaceIsRefusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	ct := withCounting(&cfg)
	m := newTestManager(t, cfg)
	free, err := m.FreeSpace()
	if err != nil || free.Free <= 0 || free.Total < free.Free {
		t.Fatalf("FreeSpace = %+v, %v; want a positive free size no larger than the total", free, err)
	}
	huge := int64(1) << 61 // more than any disk holds
	_, err = m.Add(JobSpec{Name: "order", Files: []FileSpec{
		{URL: "http://127.0.0.1:9/a.zip", Name: "a.zip", Size: huge},
		{URL: "http://127.0.0.1:9/b.zip", Name: "b.zip", Size: huge},
		{URL: "http://127.0.0.1:9/c.zip", Name: "c.zip"}, // unknown size counts nothing
	}})
	var se *SpaceError
	if !errors.As(err, &se) || !errors.Is(err, ErrNoSpace) {
		t.Fatalf("Add = %v; want a *SpaceError", err)
	}
	if se.Need != 2*huge || se.Free <= 0 || se.Dir != cfg.Root {
		t.Errorf("SpaceError = %+v; want Need %d, a positive Free and Dir %s", se, 2*huge, cfg.Root)
	}
	if msg := se.Error(); !strings.Contains(msg, "4.0 EiB") || !strings.Contains(msg, "Free up") {
		t.Errorf("message %q does not say the need and what to do", msg)
	}
	if jobs := m.Jobs(); len(jobs) != 0 {
		t.Errorf("Jobs = %d after a refused order; want none", len(jobs))
	}
	if n := ct.peak.Load(); n != 0 {
		t.Errorf("%d requests made for a refused order; want none", n)
	}
}
