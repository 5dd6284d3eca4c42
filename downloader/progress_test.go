package downloader

import (
	"math"
	"testing"
	"time"
)

// Issue 19: on an order of small files, files finish between two progress
// ticks; a job speed summed from its files' speeds lost their bytes and
// showed 0.9-2.5 MB/s against a real 4.0 MB/s. The job's speed comes from
// its own byte count.
func TestJobSpeedCountsFilesThatFinishBetweenTicks(t *testing.T) {
	const (
		tick     = 250 * time.Millisecond
		fileSize = 256 << 10 // four files finish in every tick
		rate     = 4 << 20   // bytes a second
	)
	j := &job{state: JobRunning}
	for range 400 {
		f := &file{job: j, rec: fileRecord{Size: fileSize, State: FileQueued}}
		j.files = append(j.files, f)
	}
	alpha := 1 - math.Exp(-tick.Seconds()/speedWindow.Seconds())
	next := 0
	for range 40 { // 10 s
		for range int(rate * tick.Seconds() / fileSize) {
			f := j.files[next]
			f.written.Store(fileSize)
			f.rec.State = FileCompleted
			next++
		}
		for _, f := range j.files {
			f.updateSpeed(tick, alpha)
		}
		j.updateSpeed(tick, alpha)
	}
	p := j.progress()
	if got := float64(p.Speed); math.Abs(got-rate)/rate > 0.05 {
		t.Errorf("job speed %.2f MiB/s, want 4 MiB/s (the bytes that arrived)", got/(1<<20))
	}
	if left := int64(400-next) * fileSize / rate; p.ETA < left-1 || p.ETA > left+1 {
		t.Errorf("ETA %d s, want about %d s", p.ETA, left)
	}
}
