package downloader

import "time"

// JobSpec is what a caller asks for: an order of files.
type JobSpec struct {
	// Name is shown to the user; it is not a path.
	Name string `json:"name"`
	// Folder is a relative path below the download root; "" means the root.
	Folder string     `json:"folder"`
	Files  []FileSpec `json:"files"`
	// Connections per file; 0 means the Manager's default.
	Connections int `json:"connections,omitempty"`
	// Sequential fetches each file in order over one connection.
	Sequential bool `json:"sequential,omitempty"`
	// Origin is the web origin of the page that asked for the job, "" for
	// local tools; the bridge shows a page only its own origin's jobs.
	Origin string `json:"origin,omitempty"`
	// PageURL is the portal page the order came from, shown as a link on
	// the status page; the bridge accepts only a page of Origin's own.
	PageURL string `json:"pageUrl,omitempty"`
}

// FileSpec is one file of a job.
type FileSpec struct {
	URL string `json:"url"`
	// Name is a relative path below the job folder; it may hold sub-folders.
	Name string `json:"name"`
	// Size, SHA256 and MD5 are optional; when given they are verified.
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	MD5    string `json:"md5,omitempty"`
}

// JobState is the state of a whole job, derived from its files.
type JobState string

// Job states.
const (
	JobQueued    JobState = "queued"
	JobRunning   JobState = "running"
	JobPaused    JobState = "paused"
	JobWaiting   JobState = "waiting" // some file needs a fresh URL
	JobCompleted JobState = "completed"
	JobFailed    JobState = "failed" // every file ended, some failed
	JobCanceled  JobState = "canceled"
)

// FileState is the state of one file.
type FileState string

// File states.
const (
	FileQueued      FileState = "queued"
	FileDownloading FileState = "downloading"
	FileVerifying   FileState = "verifying"
	FilePaused      FileState = "paused"
	FileURLExpired  FileState = "url_expired"
	FileCompleted   FileState = "completed"
	FileFailed      FileState = "failed"
	FileCanceled    FileState = "canceled"
)

// final reports a state the file leaves only when a user asks: it needs
// no more work.
func (s FileState) final() bool {
	return s == FileCompleted || s == FileFailed || s == FileCanceled
}

// active reports whether a transfer runs for the file.
func (s FileState) active() bool {
	return s == FileDownloading || s == FileVerifying
}

// JobInfo is a snapshot of a job, safe to keep and to encode.
type JobInfo struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	State      JobState  `json:"state"`
	Dir        string    `json:"dir"`
	Sequential bool      `json:"sequential"`
	Origin     string    `json:"origin,omitempty"`  // JobSpec.Origin
	PageURL    string    `json:"pageUrl,omitempty"` // JobSpec.PageURL
	Created    time.Time `json:"created"`
	Progress
	Files []FileInfo `json:"files"`
}

// Progress holds byte counts and rates. Size fields are -1 while unknown.
type Progress struct {
	Total int64 `json:"total"`
	Done  int64 `json:"done"`
	// Speed in bytes per second, smoothed.
	Speed int64 `json:"speed"`
	// ETA in whole seconds; -1 when unknown.
	ETA int64 `json:"eta"`
}

// FileInfo is a snapshot of one file.
type FileInfo struct {
	Index int        `json:"index"`
	Name  string     `json:"name"`
	Path  string     `json:"path"`
	State FileState  `json:"state"`
	Size  int64      `json:"size"`
	Done  int64      `json:"done"`
	Speed int64      `json:"speed"`
	Error *FileError `json:"error,omitempty"`
	// VerifiedBy says, once the file is completed, what it was checked
	// against: one of the Verified* values.
	VerifiedBy string `json:"verifiedBy,omitempty"`
}

// What a completed file was checked against, strongest first. Every file's
// size is checked against the server's on every answer (and the portal's,
// when it gave one); VerifiedSize means nothing more was known: no
// checksum from the portal, and an ETag that is no MD5 of the content.
const (
	VerifiedSHA256 = "sha256"   // the portal's SHA-256
	VerifiedMD5    = "md5"      // the portal's MD5
	VerifiedETag   = "etag-md5" // the server's ETag, which was the content's MD5
	VerifiedSize   = "size"     // the size alone
)

// FileProgress is the part of a file a progress event carries.
type FileProgress struct {
	Index int   `json:"index"`
	Done  int64 `json:"done"`
	Size  int64 `json:"size"`
	Speed int64 `json:"speed"`
}

// Settings are the knobs a user may change while the Manager runs.
type Settings struct {
	// Connections per file for new jobs that do not say; 0 (the default)
	// is automatic: 8 to start, more while that raises the file's rate.
	Connections int `json:"connections"`
	// MaxActiveFiles is the most files that download at once; 0 (the
	// default) lets the hosts' connection budgets decide. As many more may
	// be verified, synced and renamed meanwhile.
	MaxActiveFiles int `json:"maxActiveFiles"`
	// RateLimit in bytes per second over all transfers; 0 means none.
	RateLimit int64 `json:"rateLimit"`
}
