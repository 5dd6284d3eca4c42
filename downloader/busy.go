package downloader

import "time"

const (
	// CodeFileBusy is the FileError code of a file another program kept open.
	CodeFileBusy = "file_busy"
)

// busyFor bounds how long dlhelper waits for another program to let go
// of a file: an antivirus scan or an indexer takes seconds, not minutes.
const busyFor = 15 * time.Second

// retryBusy runs op until it succeeds, fails for another reason, or the
// file stayed busy for busyFor. On Windows, opening or renaming a file
// that an antivirus scanner or the search indexer holds open fails with a
// sharing violation for as long as they hold it; elsewhere isBusy is
// always false and op runs once.
func retryBusy(op func() error) error { return retryWhile(isBusy, busyFor, time.Sleep, op) }

// retryWhile is retryBusy with its seams: what counts as busy, the bound
// on the waits, and how to wait.
func retryWhile(busy func(error) bool, limit time.Duration, sleep func(time.Duration), op func() error) error {
	wait, waited := 50*time.Millisecond, time.Duration(0)
	for {
		err := op()
		if err == nil || !busy(err) {
			return err
		}
		if waited+wait > limit {
			return &FileError{CodeFileBusy, "Another program (an antivirus scanner or a search indexer, say) keeps the file open (" +
				err.Error() + "). Close that program or wait a minute, then resume; the bytes already fetched are kept."}
		}
		sleep(wait)
		waited += wait
		wait = min(2*wait, time.Second)
	}
}
