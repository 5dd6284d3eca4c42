// Package downloader turns an order of (presigned) HTTP URLs into complete,
// verified files on disk, and survives every interruption on the way.
//
// A Manager owns every job. A job is an order: a name, a folder below the
// download root, and files, each with a URL and a name. Callers add jobs,
// pause, resume, cancel, retry or remove them, replace a file's expired URL,
// and subscribe to events; nothing else touches a job.
//
// Each file is first probed with a ranged GET of its first piece (HEAD is
// refused on a presigned GET URL; a whole piece rather than one byte saves a
// request per small file). The answer pins the object: its size and ETag are checked
// on every later response, with If-Match and the Content-Range total, so bytes
// of two versions of an object are never mixed. A file is then split into
// ranges of at most MaxPiece, taken in file order by several connections at
// once and written at their offsets into one preallocated NAME.part; the
// digests follow the bytes as they land (the writer at the hash frontier
// feeds them, and what others wrote beyond it is read back as soon as a
// range ends), so verification need not read the file again at its end.
// When a connection frees up it
// steals half of the largest range still in flight, so the last percent of a
// file does not wait on one slow connection. In sequential mode one
// connection fetches the file in order, for users who open it while it grows.
//
// Progress is durable and honest: the .part file is fsynced before the record
// that claims its bytes is committed to the state database (bbolt). After a
// crash a file resumes and fetches again at most the bytes that were in flight.
// A file of one piece (MinPiece, 1 MiB, or less) is such a piece until its
// "completed" record is committed: it is not checkpointed, its record joins
// the next commit (within 100 ms) instead of waiting for its own, and after a
// crash before that the file is fetched again, finds its own copy under its
// final name and replaces it.
// A restarted Manager resumes every unfinished job by itself.
//
// When every range is in, the file is verified (size, and the SHA-256 or MD5
// the caller gave, or the ETag when it may be the content's MD5: etag.go),
// fsynced and renamed to its final name. A file with its final name is
// therefore always complete and verified, and FileInfo.VerifiedBy says
// against what. A mismatch with the caller's checksum or with an ETag
// fetches the file once more before anything is decided; an ETag alone
// never costs a file. If the final name is taken, " (1)", " (2)", … is
// appended.
// A file of 1-64 MiB checked by an MD5 alone is the exception to hashing as
// bytes land: MD5 is one chain through a file, so such files wait, once on
// disk, for others and are hashed sixteen at a time in SIMD lanes
// (minio/md5-simd, a third of crypto/md5's CPU), as soon as the set is full,
// nothing that could join it still downloads, or a second has passed.
//
// Failures are sorted, not guessed at: network errors, stalls and 5xx answers
// retry with capped exponential backoff and jitter; a 200 answer to a range
// request falls back to one stream; a changed object restarts its file from
// zero; an expired URL parks the file in state url_expired, keeps its bytes
// and waits for SetURL; a missing object, a full or read-only disk stop that
// file with a FileError that says what to do, and the rest of the job goes on.
// A download folder whose drive is pulled or whose network share is lost
// is the exception: the first file to meet it parks every unfinished file
// under that folder, paused with CodeFolderUnavailable and its bytes kept,
// and a watcher resumes them once the folder opens again (park.go).
//
// Events are delivered to subscribers without ever blocking a transfer: state
// changes at once, progress coalesced to about four messages a second per job.
//
// # How it is built
//
// Three owners, each with its own lock (the order is on Manager):
//   - the Manager (manager.go, schedule.go, control.go, state.go) owns the
//     jobs, their files' records and states, and the download slots;
//   - a transfer (transfer.go, fetch.go, piece.go, part.go) owns one file's
//     .part while it downloads; it reports to the Manager through the
//     owner interface and never takes the Manager's lock;
//   - the finisher (finisher.go, digest.go, lanes.go, syncs_linux.go) takes
//     a file whose bytes are all on disk through verify → sync → record →
//     rename, and owns the MD5 sets, the sync batches and how many files
//     finish without a slot.
//
// A file starts when a slot is free: one frees when a transfer ends, or
// when the finisher takes a file in with room to spare.
package downloader
