package pkgdoc

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestEveryPackageHasItsDocComment(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	missing, err := lacking(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range missing {
		t.Errorf("%s has no doc comment; add a doc.go that starts %q", m.dir, m.want)
	}
}

// The check itself can fail: a module with a package lacking its comment,
// one whose comment names another package, and a program without "Command".
func TestLackingFindsPackagesWithoutDocComment(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, "go.mod", "module m\n")
	write(t, root, "good/a.go", "// Package good is documented.\npackage good\n")
	write(t, root, "good/b_test.go", "package good_test\n")
	write(t, root, "bare/a.go", "package bare\n")
	write(t, root, "bare/a_test.go", "// Package bare is documented in a test file only.\npackage bare\n")
	write(t, root, "wrong/a.go", "// Package other is the wrong name.\npackage wrong\n")
	write(t, root, "cmd/tool/main.go", "// Package main is not how a program says what it is.\npackage main\n")
	write(t, root, "cmd/ok/main.go", "// Command ok is a program.\npackage main\n")
	write(t, root, "tagged/a_windows.go", "// Package tagged is documented for one OS.\npackage tagged\n")
	write(t, root, "tagged/b.go", "package tagged\n")
	write(t, root, "testsonly/x_test.go", "package testsonly\n")
	write(t, root, "bare/testdata/x.go", "package broken\n")
	write(t, root, "node_modules/x/x.go", "package x\n")
	write(t, root, "dist/x.go", "package x\n")
	write(t, root, "internal/dist/d.go", "package dist\n")
	missing, err := lacking(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range missing {
		got = append(got, m.dir+": "+m.want)
	}
	want := []string{
		"bare: // Package bare ...",
		"cmd/tool: // Command tool ...",
		"internal/dist: // Package dist ...",
		"wrong: // Package wrong ...",
	}
	if !slices.Equal(got, want) {
		t.Errorf("lacking found\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// undocumented is a package with no doc comment of the form want.
type undocumented struct {
	dir  string // relative to the module root, with slashes
	want string // how its doc comment should start
}

// lacking walks the module at root and returns its packages, in path order,
// whose non-test files carry no doc comment "Package NAME ..." ("Command
// DIR ..." for a main package). Folders Go ignores (testdata, _x, .x), vendor
// and node_modules, and the build outputs at the root, are skipped.
func lacking(root string) ([]undocumented, error) {
	var missing []undocumented
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if path != root && skipDir(root, path, d.Name()) {
			return filepath.SkipDir
		}
		m, err := checkDir(root, path)
		if m != nil {
			missing = append(missing, *m)
		}
		return err
	})
	return missing, err
}

func skipDir(root, path, name string) bool {
	switch {
	case name == "testdata" || name == "vendor" || name == "node_modules":
		return true
	case strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_"):
		return true
	case filepath.Dir(path) == root && (name == "dist" || name == "bin"):
		return true
	}
	return false
}

// checkDir parses the package clause and doc comment of dir's non-test Go
// files; nil when dir holds no package or a documented one.
func checkDir(root, dir string) (*undocumented, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	name, documented := "", false
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			return nil, err
		}
		name = file.Name.Name
		documented = documented || strings.HasPrefix(file.Doc.Text(), docStart(name, dir))
	}
	if name == "" || documented {
		return nil, nil
	}
	rel, err := filepath.Rel(root, dir)
	return &undocumented{filepath.ToSlash(rel), "// " + docStart(name, dir) + "..."}, err
}

// docStart is how a package's doc comment starts: "Package x " or, for a
// program, "Command dir ".
func docStart(name, dir string) string {
	if name == "main" {
		return "Command " + filepath.Base(dir) + " "
	}
	return "Package " + name + " "
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

func write(t *testing.T, root, name, content string) {
	t.Helper()
	path := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
