// Package dist builds dlhelper's installable packages, as "make dist"
// runs it through cmd/mkdist:
//
//	dlhelper_VERSION_amd64.deb                  Debian/Ubuntu, system-wide (nfpm)
//	dlhelper-VERSION-linux-amd64.tar.gz         any Linux, per user ("dlhelper install")
//	dlhelper-VERSION-windows-amd64-setup.exe    Windows, per user (NSIS)
//	dlhelper-linux-amd64, dlhelper-windows-amd64.exe
//	                                            the bare programs an update feed points to
//
// Every program is linked with the portal's brand (internal/brand), so one
// portal's packages carry its name, origins and update feed. Builds need
// Go and a C compiler with the GTK headers (the Linux tray), and makensis
// (Debian's nsis) for the Windows installer.
package dist

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"

	"dlhelper/internal/brand"
)

//go:embed linux windows
var embedded embed.FS

// Options say what to build.
type Options struct {
	// Version is the release version, "1.2.3" (a leading v is dropped).
	Version string
	// Brand is the portal's branding (brand.Default when zero).
	Brand brand.Brand
	// Root is the repository's folder; Out the folder packages go to.
	Root, Out string
	// Windows builds the Windows installer too.
	Windows bool
}

// Artifacts are the paths of what Build made.
type Artifacts struct {
	Deb, Tarball, LinuxExe string
	Setup, WindowsExe      string
}

var versionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)

// Build makes the packages. The version must be a plain x.y.z: packages
// and update feeds compare it.
func Build(ctx context.Context, o Options) (Artifacts, error) {
	var a Artifacts
	o.Version = strings.TrimPrefix(o.Version, "v")
	if !versionRE.MatchString(o.Version) {
		return a, fmt.Errorf("dist: version %q is not x.y.z (tag the release v1.2.3, or pass VERSION=1.2.3)", o.Version)
	}
	if o.Brand.ProductName == "" {
		o.Brand = brand.Default
	}
	if o.Brand.ProductNameZH == "" {
		o.Brand.ProductNameZH = o.Brand.ProductName
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return a, fmt.Errorf("dist: %w", err)
	}
	var err error
	if a.LinuxExe, err = goBuild(ctx, o, "linux", "dlhelper-linux-amd64"); err != nil {
		return a, err
	}
	if a.Deb, err = buildDeb(o, a.LinuxExe); err != nil {
		return a, err
	}
	if a.Tarball, err = buildTarball(o, a.LinuxExe); err != nil {
		return a, err
	}
	if o.Windows {
		if a.WindowsExe, err = goBuild(ctx, o, "windows", "dlhelper-windows-amd64.exe"); err != nil {
			return a, err
		}
		if a.Setup, err = buildSetup(ctx, o, a.WindowsExe); err != nil {
			return a, err
		}
	}
	return a, nil
}

// goBuild links dlhelper for goos/amd64 with the version and brand.
func goBuild(ctx context.Context, o Options, goos, name string) (string, error) {
	enc, err := brand.Encode(o.Brand)
	if err != nil {
		return "", fmt.Errorf("dist: %w", err)
	}
	out := filepath.Join(o.Out, name)
	ldflags := "-s -w -X main.version=" + o.Version + " -X dlhelper/internal/brand.encoded=" + enc
	cgo := "1" // the Linux tray is GTK through cgo; Windows' needs none
	if goos == "windows" {
		cgo = "0"
		if err := run(ctx, o.Root, nil, "go", "run", "github.com/tc-hib/go-winres@v0.3.3", "make",
			"--in", "cmd/dlhelper/winres/winres.json", "--out", "cmd/dlhelper/rsrc", "--arch", "amd64",
			"--product-version", o.Version, "--file-version", o.Version); err != nil {
			return "", err
		}
	}
	env := []string{"CGO_ENABLED=" + cgo, "GOOS=" + goos, "GOARCH=amd64"}
	if err := run(ctx, o.Root, env, "go", "build", "-trimpath", "-ldflags", ldflags, "-o", out, "./cmd/dlhelper"); err != nil {
		return "", err
	}
	return out, nil
}

// run runs a build tool in dir, its output kept for the error.
func run(ctx context.Context, dir string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("dist: %s %s: %w\n%s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// render fills one of the embedded templates with the brand and version.
func render(name string, o Options) ([]byte, error) {
	t, err := template.ParseFS(embedded, name)
	if err != nil {
		return nil, fmt.Errorf("dist: %w", err)
	}
	var b bytes.Buffer
	err = t.Execute(&b, map[string]string{"Name": o.Brand.ProductName, "NameZH": o.Brand.ProductNameZH, "Version": o.Version})
	return b.Bytes(), err
}
