package dist

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSetupInstallsAndUninstallsUnderWine runs the Windows installer's own
// logic for real, silently, in a fresh Wine prefix: Debian's wine64 runs
// an NSIS installer, though not a Go 1.26 program (dlhelper.exe lacks
// bcryptprimitives.dll there), so the program itself is only checked to
// be the one installed.
func TestSetupInstallsAndUninstallsUnderWine(t *testing.T) {
	a := packages(t)
	home := t.TempDir()
	prefix := filepath.Join(home, "wine")
	env := append(os.Environ(), "HOME="+home, "WINEPREFIX="+prefix, "WINEDEBUG=-all",
		// No desktop menu entries in the test's home, no Mono or Gecko prompts.
		"WINEDLLOVERRIDES=winemenubuilder.exe=d;mscoree=d;mshtml=d")
	wine := func(args ...string) {
		t.Helper()
		output(t, env, "wine", args...)
		output(t, env, "wineserver", "-w") // the registry reaches user.reg when the server ends
	}
	wine(a.Setup, "/S")

	users, _ := filepath.Glob(filepath.Join(prefix, "drive_c", "users", "*", "AppData", "Local", "Programs", "Acme Downloads"))
	if len(users) != 1 {
		t.Fatalf("no %%LOCALAPPDATA%%\\Programs\\Acme Downloads after a silent install (found %v)", users)
	}
	dir := users[0]
	got, _ := os.ReadFile(filepath.Join(dir, "dlhelper.exe"))
	want, _ := os.ReadFile(a.WindowsExe)
	if len(want) == 0 || !bytes.Equal(got, want) {
		t.Errorf("the installed dlhelper.exe (%d bytes) is not the built one (%d bytes)", len(got), len(want))
	}
	appData := filepath.Dir(filepath.Dir(filepath.Dir(dir)))
	menu := filepath.Join(appData, "Roaming", "Microsoft", "Windows", "Start Menu", "Programs", "Acme Downloads.lnk")
	for _, p := range []string{filepath.Join(dir, "uninstall.exe"), menu} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("after install: %v", err)
		}
	}
	reg := userReg(t, prefix)
	for _, w := range []string{
		`[Software\\Classes\\dlhelper]`, `"URL Protocol"=""`,
		`[Software\\Classes\\dlhelper\\shell\\open\\command]`, `Programs\\Acme Downloads\\dlhelper.exe\" \"%1\""`,
		`"dlhelper"="\"C:\\users\\`, // the Run value: start at login
		`[Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\dlhelper]`, `"DisplayName"="Acme Downloads"`,
		`"DisplayVersion"="` + testVersion + `"`, `uninstall.exe\" /S"`,
	} {
		if !strings.Contains(reg, w) {
			t.Errorf("after install the registry lacks %s", w)
		}
	}

	winDir := `C:\users\` + filepath.Base(filepath.Dir(appData)) + `\AppData\Local\Programs\Acme Downloads`
	wine(winDir+`\uninstall.exe`, "/S")
	for _, p := range []string{dir, menu} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("after uninstall %s is left (%v)", p, err)
		}
	}
	reg = userReg(t, prefix)
	for _, gone := range []string{`Software\\Classes\\dlhelper`, `Uninstall\\dlhelper]`, `"dlhelper"="`} {
		if strings.Contains(reg, gone) {
			t.Errorf("after uninstall the registry still holds %s", gone)
		}
	}
}

func userReg(t *testing.T, prefix string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(prefix, "user.reg"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// The installer must write the keys "dlhelper uninstall" removes, and the
// link command in the one-argument form.
func TestSetupScriptWritesWhatDlhelperUninstallRemoves(t *testing.T) {
	script, err := embedded.ReadFile("windows/installer.nsi")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		`!define CLASSKEY "Software\Classes\dlhelper"`, `!define RUNKEY "Software\Microsoft\Windows\CurrentVersion\Run"`,
		`'"$INSTDIR\dlhelper.exe" "%1"'`, `RequestExecutionLevel user`, `InstallDir "$LOCALAPPDATA\Programs\${PRODUCT}"`,
	} {
		if !bytes.Contains(script, []byte(w)) {
			t.Errorf("installer.nsi lacks %s", w)
		}
	}
}
