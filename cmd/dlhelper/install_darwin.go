//go:build darwin

package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// On macOS, start at login is a per-user LaunchAgent:
//
//	~/Library/LaunchAgents/com.dlhelper.helper.plist
//
// dlhelper:// links cannot be registered by a command: Launch Services
// reads them from the app bundle's Info.plist when dlhelper.app is copied
// to /Applications or ~/Applications. The bundle declares:
//
//	<key>CFBundleURLTypes</key>
//	<array>
//	  <dict>
//	    <key>CFBundleURLName</key>    <string>com.dlhelper.helper</string>
//	    <key>CFBundleURLSchemes</key> <array><string>dlhelper</string></array>
//	  </dict>
//	</array>
//	<key>LSUIElement</key> <true/>   <!-- a tray app: no Dock icon -->
//
// and macOS then delivers the link as an Apple Event, not as an argument;
// receiving it needs a small Cocoa hook that this build does not have yet.

const launchAgentLabel = "com.dlhelper.helper"

func launchAgentPath() string {
	return filepath.Join(homeDir(), "Library", "LaunchAgents", launchAgentLabel+".plist")
}

func register(exe string, autostart bool, out io.Writer) error {
	if autostart {
		if err := addAutostart(exe); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote %s (start at login)\n", launchAgentPath())
	}
	fmt.Fprintln(out, "dlhelper:// links are registered by dlhelper.app's Info.plist: copy the app to Applications")
	return nil
}

func unregister(out io.Writer) error {
	removed, err := removeFile(launchAgentPath())
	if removed {
		fmt.Fprintf(out, "removed %s\n", launchAgentPath())
	}
	return err
}

func addAutostart(exe string) error {
	var esc strings.Builder
	if err := xml.EscapeText(&esc, []byte(exe)); err != nil {
		return err
	}
	plist := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key><string>` + launchAgentLabel + `</string>
	<key>ProgramArguments</key><array><string>` + esc.String() + `</string></array>
	<key>RunAtLoad</key><true/>
	<key>ProcessType</key><string>Interactive</string>
</dict>
</plist>
`
	if err := writeFileAtomic(launchAgentPath(), []byte(plist), 0o644); err != nil {
		return fmt.Errorf("write the start-at-login agent: %w", err)
	}
	return nil
}

func removeAutostart() error {
	_, err := removeFile(launchAgentPath())
	return err
}

func autostartEnabled() bool {
	_, err := os.Stat(launchAgentPath())
	return err == nil
}
