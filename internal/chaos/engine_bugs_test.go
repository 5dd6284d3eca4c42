package chaos

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"dlhelper/downloader"
	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

// TestRestartKeepsFilesThatFinishedDuringClose is the minimal form of an
// engine bug the chaos suite found: a file whose transfer finishes (its
// .part renamed to the final name) while Manager.Close runs is not
// recorded as completed. Manager.finish skips saveFile whenever the
// transfer's cause is errShutdown, even when run returned nil. After the
// restart the record still says "downloading" with the .part gone, so
// the file starts over from zero and, its final name being taken, ends
// as "NAME (1).ext": a duplicate file and the whole file fetched twice.
// The same window exists for kill -9 between the rename and the record.
func TestRestartKeepsFilesThatFinishedDuringClose(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(7, 48<<10)
	srv := faultserver.New(t, data)
	root, state := t.TempDir(), t.TempDir()
	en := openEngine(t, chaosConfig(root, state))
	spec := downloader.JobSpec{Name: "restarts", Folder: "order"}
	var order []object
	for i := range 60 {
		o := object{Name: fmt.Sprintf("f-%02d.bin", i), SHA256: testenv.SHA256Hex(data), Size: int64(len(data))}
		order = append(order, o)
		spec.Files = append(spec.Files, downloader.FileSpec{URL: srv.URL(), Name: o.Name})
	}
	job, err := en.manager().Add(spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for round := 1; round <= 5; round++ {
		// Restart while files are finishing, a few more each round.
		_, err := en.waitJob(ctx, job.ID, func(j downloader.JobInfo) bool {
			return settled(j.State) || completed(j) >= round*8
		})
		if err != nil {
			t.Fatal(err)
		}
		en.restart(t)
	}
	info, err := en.waitJob(ctx, job.ID, func(j downloader.JobInfo) bool { return settled(j.State) })
	if err != nil {
		t.Fatal(err)
	}
	if info.State != downloader.JobCompleted {
		t.Errorf("job ended %s: %s", info.State, fileErrors(info))
	}
	_, problems := verifyFolder(filepath.Join(root, "order"), order)
	for _, p := range problems {
		t.Error(p)
	}
	// Each restart may cost what the active files had in flight, no more.
	want := int64(len(order)*len(data)) + 5*activeFiles*int64(len(data))
	if fetched := en.Fetched(); fetched > want {
		t.Errorf("fetched %d bytes, want at most %d: finished files were fetched again after a restart", fetched, want)
	}
}

func completed(j downloader.JobInfo) int {
	n := 0
	for _, f := range j.Files {
		if f.State == downloader.FileCompleted {
			n++
		}
	}
	return n
}
