package downloader

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Manager owns every job: their records, their transfers and their events.
// All methods are safe for concurrent use. Close it to stop transfers and
// release the state database; a new Manager on the same StateDir resumes.
//
// Who owns what: the Manager's lock, mu, guards the jobs, their files'
// records and states, and the download slots (schedule.go). A transfer
// (transfer.go) owns its .part and what it learns of the object, under its
// own locks, and reports to the Manager through owner; it never takes mu.
// The finisher (finisher.go) owns finishing: the slots of files being
// verified, the MD5 sets and the sync batches, under fin.mu.
//
// Locks are taken in this order, never the other way round:
//
//	file.saveMu → Manager.mu → finisher.mu   (a record is copied, then committed; the scheduler tells the finisher of a start)
//	transfer.hashMu → transfer.mu → piece.mu (the hasher reads what is written)
//
// The store's, the hub's, budgets', etagTrust's, networkWatch's and
// wakes' locks are leaves: nothing is locked under them.
type Manager struct {
	env
	store *store
	hub   *hub
	// place is the download folder new jobs go to; places are every
	// folder a job was added under, by path (place.go). Guarded by mu.
	place  *place
	places map[string]*place
	// syncFolder is syncDir; a seam for tests.
	syncFolder func(dir string) error

	ctx  context.Context // ends at Close
	stop context.CancelFunc
	wg   sync.WaitGroup // transfers, sets being hashed and the progress loop

	mu       sync.Mutex
	settings Settings
	jobs     []*job
	byID     map[string]*job
	// running counts files holding one of the filesAtOnce download
	// slots (file.slot).
	running int
	// resolve looks up redirect targets (redirect.go); a seam for tests.
	resolve resolver
	closed  bool
}

// env is what the Manager shares with its transfers: the configuration,
// fixed at New, and parts that are each safe for concurrent use on their
// own. None of it is guarded by the Manager's lock.
type env struct {
	cfg     Config
	log     *slog.Logger
	limiter *limiter
	hosts   *budgets
	fin     *finisher
	etags   *etagTrust
	// wakes cuts the requests in flight when the computer wakes (wake.go).
	wakes *wakes
	// network wakes ranges waiting for the network once it is back (fetch.go).
	network *networkWatch
	fetched atomic.Int64 // body bytes received, for tests and benchmarks
}

// job is a Manager's live job; guarded by Manager.mu unless said otherwise.
type job struct {
	rec   jobRecord
	place *place // the download folder it was added under, for good
	files []*file
	// count says how many files are in each state, so that a file's
	// change of state derives the job's without a pass over all files;
	// next is where schedule starts looking for a queued file (no file
	// before it is queued).
	count map[FileState]int
	next  int
	state JobState
	gone  bool // removed; its transfers must not write records again
	// progress bookkeeping, touched by the progress loop only
	lastSent time.Time
	// lastWritten and speed: the job's smoothed speed, from its own byte
	// count (progress.go), guarded by Manager.mu.
	lastWritten int64
	speed       float64
	measured    bool // lastWritten holds a count: the first tick only takes one
}

// file is a Manager's live file; guarded by Manager.mu unless said otherwise.
type file struct {
	job  *job
	rec  fileRecord
	xfer *transfer
	// slot says the file holds a download slot (schedule.go).
	slot bool
	// written counts bytes written to the .part, updated by the transfer.
	written atomic.Int64
	// link is rec.Spec.URL, for transfers to read without the lock.
	link atomic.Pointer[string]
	// saveMu orders writes of the record so a later snapshot lands later;
	// savedDone says the last record written says completed (under saveMu).
	saveMu    sync.Mutex
	savedDone bool
	// progress bookkeeping, touched by the progress loop only
	lastWritten, sentWritten int64
	speed                    float64
}

// url is the file's URL now: SetURL may replace it while it downloads.
func (f *file) url() string { return *f.link.Load() }

// setURL replaces the file's URL; m.mu must be held, unless the file is
// not yet the Manager's.
func (f *file) setURL(u string) {
	f.rec.Spec.URL = u
	f.link.Store(&u)
}

// New opens the state in cfg.StateDir and resumes every unfinished job.
func New(cfg Config) (*Manager, error) {
	if cfg.StateDir == "" || cfg.Root == "" {
		return nil, errors.New("downloader: Config needs StateDir and Root")
	}
	cfg = cfg.withDefaults()
	st, err := openStore(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	st.log = cfg.Logger
	// A completed record trails its file by less than a checkpoint
	// interval, the most a crash may cost (see finisher.rename).
	st.lazyDelay = min(st.lazyDelay, cfg.CheckpointInterval)
	ctx, stop := context.WithCancel(context.Background())
	m := &Manager{
		store: st, hub: newHub(), syncFolder: syncDir,
		ctx: ctx, stop: stop, settings: cfg.Settings, byID: map[string]*job{},
	}
	m.cfg, m.log, m.limiter = cfg, cfg.Logger, newLimiter(cfg.Settings.RateLimit)
	m.hosts, m.etags, m.wakes = newBudgets(cfg.MaxConnsPerHost), &etagTrust{}, newWakes()
	m.network = newNetworkWatch()
	m.fin = newFinisher(cfg.MinPiece, m.filesAtOnce(), &m.wg)
	if err := m.openPlaces(); err != nil {
		m.closePlaces()
		st.close()
		return nil, err
	}
	m.resolve = lookupHost
	m.cfg.HTTPClient = m.redirectChecked(cfg.HTTPClient)
	if err := m.restore(); err != nil {
		st.close()
		m.closePlaces()
		return nil, err
	}
	m.wg.Add(2)
	go m.progressLoop()
	go func() { defer m.wg.Done(); watchWakes(m.ctx, m.onWake) }()
	m.mu.Lock()
	m.schedule()
	m.mu.Unlock()
	return m, nil
}

// restore loads the jobs of an earlier run. A file that was transferring
// when the process stopped is queued again.
func (m *Manager) restore() error {
	recs, files, err := m.store.load()
	if err != nil {
		return err
	}
	for _, r := range recs {
		p := m.restorePlace(&r)
		p.restoreDir(&r)
		j := &job{rec: r, place: p}
		for _, fr := range files[r.ID] {
			m.restoreFile(p, r.Folder, &fr)
			if fr.Rel != "" {
				p.names.keep([]string{fr.Rel})
			}
			f := &file{job: j, rec: fr}
			f.setURL(fr.Spec.URL)
			f.written.Store(fr.Done.size())
			f.lastWritten, f.sentWritten = f.written.Load(), f.written.Load()
			j.addFile(f)
		}
		j.state = j.derive()
		m.jobs = append(m.jobs, j)
		m.byID[r.ID] = j
	}
	sortJobs(m.jobs)
	if len(m.jobs) > 0 {
		m.log.Info("resumed state", "jobs", len(m.jobs))
	}
	return nil
}

// Close stops every transfer, makes their progress durable, and closes the
// state database. Subscriptions end.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	for _, j := range m.jobs {
		for _, f := range j.files {
			if f.xfer != nil {
				f.xfer.cancel(errShutdown)
			}
		}
	}
	m.mu.Unlock()
	m.stop()
	m.wg.Wait()
	m.hub.close()
	err := m.store.close()
	m.closePlaces()
	return err
}

// Add validates spec, records the job and queues its files.
func (m *Manager) Add(spec JobSpec) (JobInfo, error) {
	if err := CheckSpec(spec); err != nil {
		return JobInfo{}, err
	}
	p := m.currentPlace()
	if err := m.checkSpace(spec); err != nil {
		return JobInfo{}, err
	}
	// Names are chosen before the Manager's lock is taken: the disk checks
	// for 10,000 files must not hold up every other call.
	rels := p.reserveNames(spec)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		p.names.release(rels)
		return JobInfo{}, ErrClosed
	}
	j := m.newJob(p, spec, rels)
	recs := make([]fileRecord, len(j.files))
	for i, f := range j.files {
		recs[i] = f.rec
	}
	// The job is on disk before anyone hears of it, so a crash cannot
	// lose a job the page was told about.
	if err := m.store.putJob(&j.rec, recs); err != nil {
		p.names.release(rels)
		return JobInfo{}, fmt.Errorf("save job: %w", err)
	}
	m.jobs = append(m.jobs, j)
	m.byID[j.rec.ID] = j
	info := m.info(j)
	m.hub.publish(Event{Type: EventJobAdded, JobID: j.rec.ID, Job: &info})
	m.log.Info("job added", "job", j.rec.ID, "name", j.rec.Name, "files", len(j.files))
	m.schedule()
	return info, nil
}

// newJob builds a job from a checked spec and gives each file a free path.
func (m *Manager) newJob(p *place, spec JobSpec, rels []string) *job {
	dir := within(p.dir, spec.Folder)
	j := &job{place: p, rec: jobRecord{
		ID: newID(), Name: spec.Name, Folder: spec.Folder, Dir: dir, Root: p.dir,
		Connections: spec.Connections, Sequential: spec.Sequential, Origin: spec.Origin,
		PageURL: spec.PageURL, Created: time.Now().UTC(),
	}}
	for i, fs := range spec.Files {
		f := &file{job: j, rec: fileRecord{
			Index: i, Spec: fs, Path: within(p.dir, rels[i]), Rel: rels[i], State: FileQueued, Size: -1,
		}}
		f.setURL(fs.URL)
		j.addFile(f)
	}
	j.state = j.derive()
	return j
}

// Jobs returns a snapshot of every job, oldest first.
func (m *Manager) Jobs() []JobInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]JobInfo, 0, len(m.jobs))
	for _, j := range m.jobs {
		out = append(out, m.info(j))
	}
	return out
}

// Job returns a snapshot of one job.
func (m *Manager) Job(id string) (JobInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.byID[id]
	if !ok {
		return JobInfo{}, fmt.Errorf("job %q: %w", id, ErrNoJob)
	}
	return m.info(j), nil
}

// Done is closed when Close begins: what watches the Manager on its behalf
// (the desktop's signals, say) stops with it.
func (m *Manager) Done() <-chan struct{} { return m.ctx.Done() }

// Fetched returns the body bytes received over the network since New.
func (m *Manager) Fetched() int64 { return m.fetched.Load() }

// Settings returns the current settings.
func (m *Manager) Settings() Settings {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.settings
}

// SetSettings changes the settings. Connections and MaxActiveFiles of 0
// keep their value and -1 makes them automatic again (0 in Settings); a
// RateLimit of 0 means no limit. New connection counts apply to files that
// start from now on.
func (m *Manager) SetSettings(s Settings) (Settings, error) {
	if s.Connections < -1 || s.Connections > 64 || s.MaxActiveFiles < -1 || s.MaxActiveFiles > maxFilesAtOnce || s.RateLimit < 0 {
		return Settings{}, invalidf("connections must be 1-64, files at once 1-100 (-1 for automatic) and the speed limit not negative")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.Connections != 0 {
		m.settings.Connections = max(s.Connections, 0)
	}
	if s.MaxActiveFiles != 0 {
		m.settings.MaxActiveFiles = max(s.MaxActiveFiles, 0)
		m.fin.limit.Store(int64(m.filesAtOnce()))
	}
	if s.RateLimit >= 0 {
		m.settings.RateLimit = s.RateLimit
		m.limiter.set(s.RateLimit)
	}
	m.schedule()
	return m.settings, nil
}

// info snapshots a job; m.mu must be held.
func (m *Manager) info(j *job) JobInfo {
	ji := JobInfo{
		ID: j.rec.ID, Name: j.rec.Name, State: j.state, Dir: j.rec.Dir,
		Sequential: j.rec.Sequential, Origin: j.rec.Origin, PageURL: j.rec.PageURL, Created: j.rec.Created,
		Files: make([]FileInfo, len(j.files)),
	}
	ji.Progress = j.progress()
	for i, f := range j.files {
		ji.Files[i] = f.info()
	}
	return ji
}

func (f *file) info() FileInfo {
	fi := FileInfo{
		Index: f.rec.Index, Name: f.rec.Spec.Name, Path: f.rec.Path,
		State: f.rec.State, Size: f.size(), Done: f.written.Load(),
		Speed: int64(f.speed), Error: f.rec.Err,
	}
	if f.rec.State == FileCompleted {
		fi.VerifiedBy = f.rec.Verified
	}
	return fi
}

// size is the file's size as far as known: the probed size, else the size
// the caller gave, else -1.
func (f *file) size() int64 {
	if f.rec.Size >= 0 {
		return f.rec.Size
	}
	if f.rec.Spec.Size > 0 {
		return f.rec.Spec.Size
	}
	return -1
}

// saveFile commits the file's current record. Records of removed jobs are
// not written again.
func (m *Manager) saveFile(f *file) { m.save(f, nil, "", false) }

// save commits the file's record, with what its transfer knows (k, if
// any) put into it first and its state replaced by state unless that is
// "" (the live state stays). With later, it returns before the commit
// (store.putFileLater). It is the transfer's owner.save.
func (m *Manager) save(f *file, k *known, state FileState, later bool) {
	f.saveMu.Lock()
	defer f.saveMu.Unlock()
	m.mu.Lock()
	if k != nil {
		r := &f.rec
		r.Size, r.ETag, r.ETagNotMD5, r.Ranged, r.Done = k.size, k.etag, k.etagNotMD5, k.ranged, k.landed
		r.Path, r.Rel, r.PartID, r.Verified = k.path, k.rel, k.partID, k.verified
	}
	rec, id, gone := f.rec, f.job.rec.ID, f.job.gone
	rec.Done = append(spans(nil), rec.Done...)
	m.mu.Unlock()
	if gone {
		return
	}
	if state != "" {
		rec.State, rec.Err = state, nil
	}
	put := m.store.putFile
	if later {
		put = m.store.putFileLater
	}
	if err := put(id, rec); err != nil {
		m.log.Error("save file state", "job", id, "index", rec.Index, "err", err)
		return
	}
	f.savedDone = rec.State == FileCompleted && rec.Err == nil
}

// savedCompleted reports that the stored record already says completed.
func (f *file) savedCompleted() bool {
	f.saveMu.Lock()
	defer f.saveMu.Unlock()
	return f.savedDone
}

func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x%s", time.Now().UTC().Unix(), hex.EncodeToString(b[:]))
}

// removeParts deletes the .part files of unfinished files.
func (m *Manager) removeParts(files []*file) {
	for _, f := range files {
		if f.rec.State != FileCompleted {
			f.job.place.removePart(f.rec.Rel)
		}
	}
}
