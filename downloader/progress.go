package downloader

import (
	"math"
	"time"
)

// speedWindow is the time constant of the smoothed speed.
const speedWindow = 2 * time.Second

// progressLoop publishes coalesced progress: at most one event per job per
// ProgressInterval, carrying only the files whose bytes moved.
func (m *Manager) progressLoop() {
	defer m.wg.Done()
	tick := time.NewTicker(m.cfg.ProgressInterval)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-m.ctx.Done():
			return
		case now := <-tick.C:
			m.publishProgress(now.Sub(last))
			last = now
		}
	}
}

func (m *Manager) publishProgress(dt time.Duration) {
	alpha := 1 - math.Exp(-dt.Seconds()/speedWindow.Seconds())
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, j := range m.jobs {
		j.updateSpeed(dt, alpha)
		var changed []FileProgress
		for _, f := range j.files {
			f.updateSpeed(dt, alpha)
			if d := f.written.Load(); d != f.sentWritten {
				f.sentWritten = d
				changed = append(changed, FileProgress{Index: f.rec.Index, Done: d, Size: f.size(), Speed: int64(f.speed)})
			}
		}
		if len(changed) == 0 {
			continue
		}
		p := j.progress()
		m.hub.publish(Event{Type: EventJobProgress, JobID: j.rec.ID, Progress: &p, Files: changed})
	}
}

// updateSpeed folds the job's bytes since the last tick into its smoothed
// speed. It counts the job's bytes, not its files' speeds: on an order of
// small files, files finish between two ticks, and a sum of per-file
// speeds loses their bytes.
func (j *job) updateSpeed(dt time.Duration, alpha float64) {
	var done int64
	for _, f := range j.files {
		done += f.written.Load()
	}
	inst := max(0, float64(done-j.lastWritten)/dt.Seconds()) // a file restarted from zero moves nothing
	j.lastWritten = done
	switch {
	case !j.measured: // the bytes of an earlier run are no speed
		j.measured = true
	case j.state != JobRunning:
		j.speed = 0
	case j.speed == 0:
		j.speed = inst
	default:
		j.speed += alpha * (inst - j.speed)
	}
}

// updateSpeed folds the bytes since the last tick into the smoothed speed.
func (f *file) updateSpeed(dt time.Duration, alpha float64) {
	d := f.written.Load()
	inst := max(0, float64(d-f.lastWritten)/dt.Seconds())
	f.lastWritten = d
	switch {
	case !f.rec.State.active():
		f.speed = 0
	case f.speed == 0:
		f.speed = inst
	default:
		f.speed += alpha * (inst - f.speed)
	}
}
