package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"dlhelper/downloader"
)

// serveOptions are the settings of the local server, from flags over the
// config file over defaults. The JSON names are the config file's.
type serveOptions struct {
	Addr         string   `json:"addr"`
	Dir          string   `json:"dir"`
	State        string   `json:"state"`
	AllowOrigins []string `json:"allowOrigins"`
	AllowHosts   []string `json:"allowHosts"`
	Connections  int      `json:"connections"`
	FilesAtOnce  int      `json:"filesAtOnce"`
	RateLimit    int64    `json:"rateLimit"`
	// Proxy overrides the environment's and the system's proxy: a proxy
	// address, a PAC file, and the user and password a proxy asks for.
	Proxy downloader.ProxySettings `json:"proxy"`
	// AllowSleep lets the computer sleep while files download.
	AllowSleep bool `json:"allowSleep"`
	// PauseOnMetered pauses downloads on a metered connection (Linux,
	// NetworkManager) and resumes them when it is not.
	PauseOnMetered bool `json:"pauseOnMetered"`
}

// defaultConfigPath is config.json in the user's config folder
// (~/.config/dlhelper on Linux, %AppData%\dlhelper on Windows,
// ~/Library/Application Support/dlhelper on macOS).
func defaultConfigPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "dlhelper", "config.json")
}

// loadConfig reads the JSON config file. A missing file is an empty config
// unless the user named it (required); a malformed one is an error that
// names the file, and so is an unknown field, which is most likely a typo.
func loadConfig(path string, required bool) (serveOptions, error) {
	var o serveOptions
	if path == "" {
		return o, nil
	}
	if err := checkTrusted(path, false); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return o, fmt.Errorf("the config file %w", err)
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !required:
		return o, nil
	case errors.Is(err, fs.ErrNotExist):
		return o, fmt.Errorf("the config file %s does not exist; check the path given with --config", path)
	case err != nil:
		return o, fmt.Errorf("the config file %s cannot be read (%v); check its permissions", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return o, fmt.Errorf("the config file %s is not valid (%v); fix or delete it", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return o, fmt.Errorf("the config file %s holds more than one JSON object; fix or delete it", path)
	}
	if err := o.Proxy.Check(); err != nil {
		return o, fmt.Errorf("the config file %s has a proxy setting that cannot work (%v); fix it", path, err)
	}
	return o, nil
}
