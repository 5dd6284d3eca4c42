package bridge

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"dlhelper/downloader"
)

// jobRequest is the body of POST /v1/jobs. It is the bridge's own type, not
// downloader.JobSpec, so that the public contract changes only when this
// file does.
type jobRequest struct {
	Name        string        `json:"name"`
	Folder      string        `json:"folder"`
	Files       []fileRequest `json:"files"`
	Connections int           `json:"connections"`
	Sequential  bool          `json:"sequential"`
	PageURL     string        `json:"pageUrl"` // the order's page, on the caller's origin (pageurl.go)
}

type fileRequest struct {
	URL    string `json:"url"`
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	MD5    string `json:"md5"`
}

// jobKeys are the only object keys a job body may use, at any level.
var jobKeys = map[string]bool{
	"name": true, "folder": true, "files": true, "connections": true, "sequential": true, "pageUrl": true,
	"url": true, "size": true, "sha256": true, "md5": true,
}

// urlRequest is the body of PUT /v1/jobs/{id}/files/{index}/url.
type urlRequest struct {
	URL string `json:"url"`
}

var urlKeys = map[string]bool{"url": true}

// settingsKeys are the fields of PUT /v1/settings (downloader.Settings).
var settingsKeys = map[string]bool{"connections": true, "maxActiveFiles": true, "rateLimit": true, "dir": true}

// decodeJob decodes and checks a job body. What it accepts passes
// downloader.CheckSpec (names that stay inside the download folder, http
// and https URLs, at most downloader.MaxFilesPerJob files, …) and takes
// files only from allowed hosts.
func decodeJob(data []byte, hosts hostList) (downloader.JobSpec, error) {
	var req jobRequest
	if err := decodeStrict(data, &req, jobKeys); err != nil {
		return downloader.JobSpec{}, err
	}
	if len(req.Files) > downloader.MaxFilesPerJob {
		return downloader.JobSpec{}, newError(http.StatusRequestEntityTooLarge, CodeTooManyFiles,
			"files: a job may hold at most %d files, not %d; split the order into several jobs", downloader.MaxFilesPerJob, len(req.Files))
	}
	spec := req.spec()
	if err := downloader.CheckSpec(spec); err != nil {
		return downloader.JobSpec{}, managerError(err)
	}
	for i, f := range spec.Files {
		if err := hosts.checkURL(f.URL); err != nil {
			return downloader.JobSpec{}, invalid("files[%d] (%q): url: %v", i, f.Name, err)
		}
	}
	return spec, nil
}

// DecodeJob decodes and checks a job in the JSON of POST /v1/jobs, from
// any host, for callers outside the bridge ("dlhelper get --job"). Its
// error is the sentence a 400 answer would carry.
func DecodeJob(data []byte) (downloader.JobSpec, error) {
	spec, err := decodeJob(data, nil)
	var ae *apiError
	if errors.As(err, &ae) {
		// The messages speak of an HTTP body; here the job is a file.
		return spec, errors.New(strings.ReplaceAll(ae.Message, "the request body", "the job"))
	}
	return spec, err
}

func (r jobRequest) spec() downloader.JobSpec {
	spec := downloader.JobSpec{
		Name: r.Name, Folder: r.Folder, Connections: r.Connections, Sequential: r.Sequential,
		PageURL: r.PageURL, Files: make([]downloader.FileSpec, len(r.Files)),
	}
	for i, f := range r.Files {
		spec.Files[i] = downloader.FileSpec{URL: f.URL, Name: f.Name, Size: f.Size, SHA256: f.SHA256, MD5: f.MD5}
	}
	return spec
}

// hostList is the optional allowlist of hosts files may come from: an entry
// "minio.example.com" allows any port, "minio.example.com:9000" one port.
// Empty allows every host.
type hostList []string

func newHostList(hosts []string) hostList {
	var l hostList
	for _, h := range hosts {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			l = append(l, h)
		}
	}
	return l
}

// checkURL accepts absolute http and https URLs whose host is allowed.
// URLs are not echoed back in full: a presigned URL carries a signature.
func (l hostList) checkURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return fmt.Errorf("the URL is missing")
	case err != nil:
		return fmt.Errorf("not a valid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("only http and https URLs are accepted, not %q", u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("the URL has no host")
	case !l.allows(u):
		return fmt.Errorf("the host %q is not one dlhelper may download from (allowed: %s)", u.Host, strings.Join(l, ", "))
	}
	return nil
}

func (l hostList) allows(u *url.URL) bool {
	if len(l) == 0 {
		return true
	}
	return slices.Contains(l, strings.ToLower(u.Hostname())) || slices.Contains(l, strings.ToLower(u.Host))
}
