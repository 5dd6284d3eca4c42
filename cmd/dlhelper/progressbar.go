package main

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"dlhelper/downloader"
	"dlhelper/internal/units"
)

// progressBars draws one bar for the whole job on a terminal; elsewhere
// (pipes, CI, --quiet) it draws nothing.
type progressBars struct {
	p   *mpb.Progress
	bar *mpb.Bar
	// read by the decorators on mpb's goroutine, written by update
	speed, eta, filesDone, nFiles atomic.Int64
}

func newProgressBars(w io.Writer, quiet bool) *progressBars {
	if quiet || !isTerminal(w) {
		return &progressBars{}
	}
	b := &progressBars{p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(36), mpb.WithRefreshRate(200*time.Millisecond))}
	b.bar = b.p.AddBar(0,
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
			return fmt.Sprintf("%d/%d files", b.filesDone.Load(), b.nFiles.Load())
		}, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(
			decor.CountersKibiByte("% .1f / % .1f", decor.WCSyncSpace),
			decor.Any(func(decor.Statistics) string { return units.Rate(b.speed.Load()) }, decor.WCSyncSpace),
			decor.Any(func(decor.Statistics) string { return etaText(b.eta.Load()) }, decor.WCSyncSpace),
		),
	)
	return b
}

// update shows p; files, when given, refreshes the file count.
func (b *progressBars) update(p downloader.Progress, files []downloader.FileInfo) {
	if b.bar == nil {
		return
	}
	if files != nil {
		var done int64
		for _, f := range files {
			if f.State == downloader.FileCompleted {
				done++
			}
		}
		b.nFiles.Store(int64(len(files)))
		b.filesDone.Store(done)
	}
	b.speed.Store(p.Speed)
	b.eta.Store(p.ETA)
	total := p.Total
	if total < 0 {
		total = p.Done + 1 // unknown until every file was probed
	}
	b.bar.SetTotal(total, false)
	b.bar.SetCurrent(p.Done)
}

// fileCompleted counts one more file done.
func (b *progressBars) fileCompleted() {
	if b.bar != nil {
		b.filesDone.Add(1)
	}
}

// finish completes the bar, or leaves it where it stopped.
func (b *progressBars) finish(completed bool) {
	if b.bar == nil {
		return
	}
	if completed {
		b.filesDone.Store(b.nFiles.Load())
		b.bar.SetTotal(-1, true)
	} else {
		b.bar.Abort(false)
	}
	b.p.Wait()
}

func etaText(s int64) string {
	if s < 0 {
		return "--:--"
	}
	return (time.Duration(s) * time.Second).String()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
