package downloader

import (
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
)

// Limits on a job, so one request cannot exhaust the helper.
const (
	MaxFilesPerJob = 10000
	maxJobName     = 200
	maxURLBytes    = 16 << 10
)

// CheckSpec reports the first thing wrong with spec, naming the field and,
// for a file, its index and name.
func CheckSpec(spec JobSpec) error {
	if err := checkJobName(spec.Name); err != nil {
		return invalidf("name: %v", err)
	}
	if spec.Folder != "" {
		if err := CheckName(spec.Folder); err != nil {
			return invalidf("folder: %v", err)
		}
	}
	switch {
	case len(spec.Files) == 0:
		return invalidf("files: a job needs at least one file")
	case len(spec.Files) > MaxFilesPerJob:
		return invalidf("files: a job may hold at most %d files, not %d", MaxFilesPerJob, len(spec.Files))
	case spec.Connections < 0 || spec.Connections > 64:
		return invalidf("connections: must be between 1 and 64, not %d", spec.Connections)
	}
	for i, f := range spec.Files {
		if err := checkFile(f); err != nil {
			return invalidf("files[%d] (%q): %v", i, f.Name, err)
		}
	}
	return nil
}

func checkJobName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("the job needs a name")
	case len(name) > maxJobName:
		return fmt.Errorf("longer than %d bytes", maxJobName)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Errorf("contains a control character")
	}
	return nil
}

func checkFile(f FileSpec) error {
	if len(f.URL) > maxURLBytes {
		return fmt.Errorf("url: longer than %d bytes", maxURLBytes)
	}
	if err := checkURL(f.URL); err != nil {
		return fmt.Errorf("url: %v", err)
	}
	if err := CheckName(f.Name); err != nil {
		return fmt.Errorf("name: %v", err)
	}
	if f.Size < 0 {
		return fmt.Errorf("size: must not be negative")
	}
	if err := checkHex(f.SHA256, 32); err != nil {
		return fmt.Errorf("sha256: %v", err)
	}
	if err := checkHex(f.MD5, 16); err != nil {
		return fmt.Errorf("md5: %v", err)
	}
	return nil
}

// checkHex accepts "" or a hex digest of n bytes.
func checkHex(s string, n int) error {
	if s == "" {
		return nil
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != n {
		return fmt.Errorf("must be %d hex digits", 2*n)
	}
	return nil
}
