package dist

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	"github.com/goreleaser/nfpm/v2/files"
)

// debContents are the package's files besides the program: the menu
// entry (which declares the dlhelper:// handler), start at login for every
// user's session, and the icons. The package has no maintainer scripts:
// the dpkg triggers of desktop-file-utils and hicolor-icon-theme refresh
// the handler and icon caches on install and removal.
var debContents = []struct{ template, dest string }{
	{"linux/dlhelper.desktop", "/usr/share/applications/dlhelper.desktop"},
	{"linux/autostart.desktop", "/etc/xdg/autostart/dlhelper.desktop"},
}

var icons = map[string]string{ // winres PNG → hicolor size folder
	"icon32.png":  "32x32",
	"icon48.png":  "48x48",
	"icon256.png": "256x256",
}

// buildDeb packs the program with nfpm as a library.
func buildDeb(o Options, exe string) (string, error) {
	stage, err := os.MkdirTemp("", "dlhelper-deb-")
	if err != nil {
		return "", fmt.Errorf("dist: %w", err)
	}
	defer os.RemoveAll(stage)
	contents := files.Contents{{Source: exe, Destination: "/usr/bin/dlhelper", FileInfo: &files.ContentFileInfo{Mode: 0o755}}}
	for _, c := range debContents {
		data, err := render(c.template, o)
		if err != nil {
			return "", err
		}
		src := filepath.Join(stage, filepath.Base(c.dest)+"-"+filepath.Base(filepath.Dir(c.dest)))
		if err := os.WriteFile(src, data, 0o644); err != nil {
			return "", fmt.Errorf("dist: %w", err)
		}
		typ := files.TypeFile
		if filepath.Dir(c.dest) == "/etc/xdg/autostart" {
			typ = files.TypeConfig // an administrator may turn start at login off
		}
		contents = append(contents, &files.Content{Source: src, Destination: c.dest, Type: typ, FileInfo: &files.ContentFileInfo{Mode: 0o644}})
	}
	for png, size := range icons {
		contents = append(contents, &files.Content{Source: filepath.Join(o.Root, "cmd/dlhelper/winres", png),
			Destination: "/usr/share/icons/hicolor/" + size + "/apps/dlhelper.png", FileInfo: &files.ContentFileInfo{Mode: 0o644}})
	}
	info := nfpm.WithDefaults(&nfpm.Info{
		Name: "dlhelper", Arch: "amd64", Platform: "linux", Version: o.Version,
		Section: "net", Priority: "optional", Maintainer: o.Brand.ProductName + " <support@invalid>",
		Description: o.Brand.ProductName + " download helper: downloads portal orders with resumable, parallel transfers",
		License:     "Proprietary",
		Overridables: nfpm.Overridables{
			Contents:   contents,
			Recommends: []string{"xdg-utils"},
		},
	})
	pkg, err := nfpm.Get("deb")
	if err != nil {
		return "", fmt.Errorf("dist: deb: %w", err)
	}
	path := filepath.Join(o.Out, fmt.Sprintf("dlhelper_%s_amd64.deb", o.Version))
	return path, writeFile(path, func(f *os.File) error { return pkg.Package(info, f) })
}

// buildTarball packs the program and a README for "dlhelper install".
func buildTarball(o Options, exe string) (string, error) {
	readme, err := render("linux/README.txt", o)
	if err != nil {
		return "", err
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		return "", fmt.Errorf("dist: %w", err)
	}
	dir := "dlhelper-" + o.Version
	path := filepath.Join(o.Out, dir+"-linux-amd64.tar.gz")
	return path, writeFile(path, func(f *os.File) error {
		gz := gzip.NewWriter(f)
		tw := tar.NewWriter(gz)
		now := time.Now()
		for _, e := range []struct {
			name string
			mode int64
			data []byte
		}{{dir + "/dlhelper", 0o755, bin}, {dir + "/README.txt", 0o644, readme}} {
			if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: e.mode, Size: int64(len(e.data)), ModTime: now, Typeflag: tar.TypeReg}); err != nil {
				return err
			}
			if _, err := tw.Write(e.data); err != nil {
				return err
			}
		}
		if err := tw.Close(); err != nil {
			return err
		}
		return gz.Close()
	})
}

// writeFile writes path through fill, removing it when fill fails.
func writeFile(path string, fill func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("dist: %w", err)
	}
	err = fill(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("dist: %s: %w", filepath.Base(path), err)
	}
	return nil
}
