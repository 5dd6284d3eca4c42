package dist

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"dlhelper/internal/brand"
)

// The packages are built once per test run, branded, into a temp folder.
var (
	buildOnce sync.Once
	built     Artifacts
	buildErr  error
	outDir    string
)

var testBrand = brand.Brand{ProductName: "Acme Downloads", ProductNameZH: "Acme 下载", AllowOrigins: []string{"https://portal.acme.test"}}

const testVersion = "9.8.7"

func TestMain(m *testing.M) {
	code := m.Run()
	if outDir != "" {
		os.RemoveAll(outDir)
	}
	os.Exit(code)
}

func packages(t *testing.T) Artifacts {
	t.Helper()
	buildOnce.Do(func() {
		outDir, buildErr = os.MkdirTemp("", "dlhelper-dist-test-")
		if buildErr == nil {
			built, buildErr = Build(context.Background(), Options{Version: "v" + testVersion, Brand: testBrand, Root: "../..", Out: outDir, Windows: true})
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

func output(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	if env != nil {
		cmd.Env = env
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestBuildRefusesAVersionPackagesCannotCompare(t *testing.T) {
	for _, v := range []string{"", "dev", "1.2", "v1.2.3-4-gabcdef-dirty"} {
		if _, err := Build(t.Context(), Options{Version: v, Out: t.TempDir()}); err == nil {
			t.Errorf("Build(version %q) succeeded; want an error", v)
		}
	}
}

func TestDebHoldsTheBrandedHelperAndItsDesktopFiles(t *testing.T) {
	a := packages(t)
	fields := output(t, nil, "dpkg-deb", "-f", a.Deb, "Package", "Version", "Architecture")
	if want := "Package: dlhelper\nVersion: " + testVersion + "\nArchitecture: amd64\n"; fields != want {
		t.Errorf("dpkg-deb -f = %q, want %q", fields, want)
	}
	list := output(t, nil, "dpkg-deb", "-c", a.Deb)
	for _, p := range []string{"./usr/bin/dlhelper", "./usr/share/applications/dlhelper.desktop", "./etc/xdg/autostart/dlhelper.desktop",
		"./usr/share/icons/hicolor/32x32/apps/dlhelper.png", "./usr/share/icons/hicolor/256x256/apps/dlhelper.png"} {
		if !strings.Contains(list, " "+p+"\n") {
			t.Errorf("the .deb lacks %s; it holds:\n%s", p, list)
		}
	}
	root := t.TempDir()
	output(t, nil, "dpkg-deb", "-x", a.Deb, root)
	entry, _ := os.ReadFile(filepath.Join(root, "usr/share/applications/dlhelper.desktop"))
	for _, line := range []string{"Name=Acme Downloads", "Name[zh_CN]=Acme 下载", "Exec=/usr/bin/dlhelper %u", "MimeType=x-scheme-handler/dlhelper;"} {
		if !strings.Contains(string(entry), line+"\n") {
			t.Errorf("the menu entry lacks %q:\n%s", line, entry)
		}
	}
	if v := output(t, nil, filepath.Join(root, "usr/bin/dlhelper"), "version"); v != "dlhelper "+testVersion+"\n" {
		t.Errorf("the packaged dlhelper says %q", v)
	}
}

func TestTarballHoldsTheHelperAndHowToInstall(t *testing.T) {
	a := packages(t)
	list := output(t, nil, "tar", "-tzvf", a.Tarball)
	for _, want := range []string{"-rwxr-xr-x 0/0", "dlhelper-" + testVersion + "/dlhelper\n", "dlhelper-" + testVersion + "/README.txt\n"} {
		if !strings.Contains(list, want) {
			t.Errorf("the tarball lacks %q:\n%s", want, list)
		}
	}
	readme := output(t, nil, "tar", "-xzOf", a.Tarball, "dlhelper-"+testVersion+"/README.txt")
	for _, want := range []string{"./dlhelper install", "Acme Downloads " + testVersion, "Acme 下载"} {
		if !strings.Contains(readme, want) {
			t.Errorf("the README lacks %q:\n%s", want, readme)
		}
	}
}

// TestDebInstallsOpensLinksAndPurgesClean does what a customer's machine
// does: dpkg -i, start the installed helper, open a dlhelper:// link with
// xdg-open (a generic desktop, in a temp home), dpkg -P. It needs root,
// which CI has.
func TestDebInstallsOpensLinksAndPurgesClean(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("installing a .deb needs root; CI runs as root")
	}
	a := packages(t)
	if exec.Command("dpkg-query", "-W", "dlhelper").Run() == nil {
		t.Fatal("a dlhelper package is installed already; remove it (dpkg -P dlhelper) and run again")
	}
	output(t, nil, "dpkg", "-i", a.Deb)
	installed := strings.Fields(output(t, nil, "dpkg-query", "-L", "dlhelper"))
	purged := false
	t.Cleanup(func() {
		if !purged {
			exec.Command("dpkg", "-P", "dlhelper").Run()
		}
	})

	home := t.TempDir()
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, "state"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"), "XDG_DATA_HOME=" + filepath.Join(home, "data"),
		// xdg-open uses the handlers of desktop files only when it sees a
		// display; the handler hands over to the running helper before it
		// would need one.
		"DISPLAY=:97"}
	if v := output(t, env, "/usr/bin/dlhelper", "version"); v != "dlhelper "+testVersion+"\n" {
		t.Errorf("the installed dlhelper says %q", v)
	}
	if h := output(t, env, "xdg-mime", "query", "default", "x-scheme-handler/dlhelper"); h != "dlhelper.desktop\n" {
		t.Errorf("xdg-mime says dlhelper:// opens with %q, want dlhelper.desktop", h)
	}
	helper := startInstalled(t, env, filepath.Join(home, "state", "dlhelper", "port"))
	output(t, env, "xdg-open", "dlhelper://start") // returns when the handler does
	helper.stop(t)
	log, _ := os.ReadFile(filepath.Join(home, "state", "dlhelper", "dlhelper.log"))
	if !bytes.Contains(log, []byte(`"msg":"dlhelper is already running; handed over to it"`)) || !bytes.Contains(log, []byte(`dlhelper://start`)) {
		t.Errorf("the link did not reach the running helper; its log:\n%s", log)
	}

	output(t, nil, "dpkg", "-P", "dlhelper")
	purged = true
	for _, p := range installed {
		if fi, err := os.Lstat(p); err == nil && !fi.IsDir() {
			t.Errorf("%s is left after dpkg -P", p)
		}
	}
	if h := output(t, env, "xdg-mime", "query", "default", "x-scheme-handler/dlhelper"); h != "\n" && h != "" {
		t.Errorf("after dpkg -P, xdg-mime still names %q for dlhelper://", h)
	}
}

type installedHelper struct {
	cmd    *exec.Cmd
	exited chan error
}

// startInstalled runs /usr/bin/dlhelper headless and waits until it
// listens. It logs to its file only (stderr is no terminal), so the sign
// is the port file it writes once listening; the lock a second start
// hands over on is taken before that.
func startInstalled(t *testing.T, env []string, portFile string) *installedHelper {
	t.Helper()
	cmd := exec.Command("/usr/bin/dlhelper", "-headless", "--addr", "127.0.0.1:0", "--config=")
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stderr, cmd.Stdout = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &installedHelper{cmd: cmd, exited: make(chan error, 1)}
	go func() {
		err := cmd.Wait()
		if err != nil {
			err = fmt.Errorf("%w: %s", err, out.Bytes())
		}
		h.exited <- err
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Minute)
	for {
		if _, err := os.Stat(portFile); err == nil {
			return h
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("the installed dlhelper wrote no %s in a minute", portFile)
		case err := <-h.exited:
			t.Fatalf("the installed dlhelper exited before listening: %v", err)
		}
	}
}

// stop ends the helper as a logout does, and waits for it.
func (h *installedHelper) stop(t *testing.T) {
	t.Helper()
	h.cmd.Process.Signal(os.Interrupt)
	if err := <-h.exited; err != nil {
		t.Errorf("the installed dlhelper: %v", err)
	}
}
