package downloader

import (
	"crypto/rand"
	"path/filepath"
	"strings"
	"testing"

	"dlhelper/internal/faultserver"
)

// Windows once limited paths to 260 characters (MAX_PATH); Go adds the
// \\?\ prefix to long absolute paths and os.Root opens names relative to
// a folder handle, so a deep order folder must just work. On Linux this
// checks the engine adds no limit of its own.
func TestPathsLongerThan260CharactersWork(t *testing.T) {
	t.Parallel()
	data := make([]byte, 300<<10)
	_, _ = rand.Read(data)
	srv := faultserver.New(t, data)
	m := newTestManager(t, testConfig(t))
	folder := strings.Join([]string{strings.Repeat("a", 90), strings.Repeat("b", 90), strings.Repeat("c", 90)}, "/")
	name := "chip-" + strings.Repeat("x", 80) + ".zip"
	j := runJob(t, m, JobSpec{Name: "deep", Folder: folder, Files: []FileSpec{{URL: srv.URL(), Name: name}}})
	f := j.Files[0]
	if j.State != JobCompleted {
		t.Fatalf("job %s (%v); want completed", j.State, f.Error)
	}
	if len(f.Path) <= 260 || filepath.Base(f.Path) != name {
		t.Fatalf("path %q (%d characters); want one over 260 ending in %s", f.Path, len(f.Path), name)
	}
	assertFile(t, f.Path, data)
}
