package chaos

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"dlhelper/internal/testenv"
)

// finalNames checks, while a download runs or after a crash, that every
// file that carries its final name is complete and correct: the engine
// renames a .part only after verifying it. Each name is hashed once.
type finalNames struct {
	dir  string
	want map[string]object

	mu       sync.Mutex
	seen     map[string]bool
	problems []string
}

func newFinalNames(dir string, order []object) *finalNames {
	want := map[string]object{}
	for _, o := range order {
		want[o.Name] = o
	}
	return &finalNames{dir: dir, want: want, seen: map[string]bool{}}
}

// check hashes the final-named files not seen before.
func (f *finalNames) check() {
	entries, _ := os.ReadDir(f.dir) // a folder not made yet holds nothing
	for _, de := range entries {
		o, ok := f.want[de.Name()]
		if !ok || f.wasSeen(de.Name()) {
			continue
		}
		sum, err := testenv.FileSHA256(filepath.Join(f.dir, de.Name()))
		if err != nil && os.IsNotExist(err) {
			continue
		}
		f.mu.Lock()
		f.seen[de.Name()] = true
		if err != nil || sum != o.SHA256 {
			f.problems = append(f.problems, fmt.Sprintf("%s had its final name before it was complete and correct (sha256 %s, err %v)", o.Name, sum, err))
		}
		f.mu.Unlock()
	}
}

func (f *finalNames) wasSeen(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[name]
}

func (f *finalNames) Problems() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.problems)
}

// verifyFolder checks the folder of a finished order: every object
// present under its name with the right SHA-256, and nothing else — no
// .part, no temp file, no duplicate. It returns how many files verified.
func verifyFolder(dir string, order []object) (verified int, problems []string) {
	want := map[string]object{}
	for _, o := range order {
		want[o.Name] = o
	}
	found := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		o, ok := want[filepath.ToSlash(rel)]
		if !ok {
			kind := "an unexpected file"
			if strings.HasSuffix(rel, ".part") || strings.Contains(strings.ToLower(rel), "tmp") {
				kind = "an orphan .part or temp file"
			}
			problems = append(problems, fmt.Sprintf("%s is %s", rel, kind))
			return nil
		}
		found[o.Name] = true
		if sum, err := testenv.FileSHA256(path); err != nil || sum != o.SHA256 {
			problems = append(problems, fmt.Sprintf("%s: sha256 %s (err %v), want %s", o.Name, sum, err, o.SHA256))
			return nil
		}
		verified++
		return nil
	})
	if err != nil {
		problems = append(problems, fmt.Sprintf("walk %s: %v", dir, err))
	}
	for _, o := range order {
		if !found[o.Name] {
			problems = append(problems, o.Name+" is missing")
		}
	}
	return verified, problems
}
