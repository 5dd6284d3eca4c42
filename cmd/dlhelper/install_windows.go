//go:build windows

package main

import (
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/windows/registry"
)

// On Windows, install writes in HKEY_CURRENT_USER only (no administrator
// rights needed, no other user touched):
//
//	Software\Classes\dlhelper                    "URL:dlhelper Protocol", URL Protocol = ""
//	Software\Classes\dlhelper\DefaultIcon        "C:\…\dlhelper.exe",0
//	Software\Classes\dlhelper\shell\open\command "C:\…\dlhelper.exe" open --single-argument %1
//	Software\Microsoft\Windows\CurrentVersion\Run, value dlhelper = "C:\…\dlhelper.exe"

const (
	classKey = `Software\Classes\dlhelper`
	runKey   = `Software\Microsoft\Windows\CurrentVersion\Run`
	runValue = "dlhelper"
)

// classKeys are the keys under classKey, children before parents, the order
// they must be deleted in (DeleteKey does not recurse).
var classKeys = []string{
	classKey + `\shell\open\command`, classKey + `\shell\open`, classKey + `\shell`,
	classKey + `\DefaultIcon`, classKey,
}

func register(exe string, autostart bool, out io.Writer) error {
	quoted := `"` + exe + `"`
	if err := setString(classKey, "", "URL:dlhelper Protocol"); err != nil {
		return err
	}
	if err := setString(classKey, "URL Protocol", ""); err != nil {
		return err
	}
	if err := setString(classKey+`\DefaultIcon`, "", quoted+",0"); err != nil {
		return err
	}
	if err := setString(classKey+`\shell\open\command`, "", windowsLinkCommand(exe)); err != nil {
		return err
	}
	fmt.Fprintf(out, `registered dlhelper:// links in HKEY_CURRENT_USER\%s`+"\n", classKey)
	if autostart {
		if err := addAutostart(exe); err != nil {
			return err
		}
		fmt.Fprintf(out, `registered start at login in HKEY_CURRENT_USER\%s`+"\n", runKey)
	}
	return nil
}

func setString(path, name, value string) error {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, path, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf(`create HKEY_CURRENT_USER\%s: %w`, path, err)
	}
	defer k.Close()
	if err := k.SetStringValue(name, value); err != nil {
		return fmt.Errorf(`set HKEY_CURRENT_USER\%s: %w`, path, err)
	}
	return nil
}

func unregister(out io.Writer) error {
	var errs []error
	removed := false
	for _, p := range classKeys {
		err := registry.DeleteKey(registry.CURRENT_USER, p)
		if errors.Is(err, registry.ErrNotExist) {
			continue
		}
		removed = removed || err == nil
		errs = append(errs, err)
	}
	if removed {
		fmt.Fprintf(out, `removed HKEY_CURRENT_USER\%s`+"\n", classKey)
	}
	errs = append(errs, removeAutostart())
	return errors.Join(errs...)
}

func addAutostart(exe string) error {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("open the Run key: %w", err)
	}
	defer k.Close()
	if err := k.SetStringValue(runValue, `"`+exe+`"`); err != nil {
		return fmt.Errorf("set start at login: %w", err)
	}
	return nil
}

func removeAutostart() error {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open the Run key: %w", err)
	}
	defer k.Close()
	if err := k.DeleteValue(runValue); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf("remove start at login: %w", err)
	}
	return nil
}

func autostartEnabled() bool {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if err != nil {
		return false
	}
	defer k.Close()
	_, _, err = k.GetStringValue(runValue)
	return err == nil
}
