package bridge

import (
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"dlhelper/downloader"
)

// Handlers are thin: decode, check, call the Manager, encode.

type helloResponse struct {
	App     string `json:"app"`
	Version string `json:"version"`
	API     int    `json:"api"`
	// Paired and Proof answer a portal page's ?challenge= (pairing.go).
	Paired *bool  `json:"paired,omitempty"`
	Proof  string `json:"proof,omitempty"`
}

func (s *Server) hello(c echo.Context) error {
	paired, pr, err := s.helloProof(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, helloResponse{App: "dlhelper", Version: s.version, API: APIVersion, Paired: paired, Proof: pr})
}

func (s *Server) addJob(c echo.Context) error {
	data, err := readJSONBody(c)
	if err != nil {
		return err
	}
	spec, err := decodeJob(data, s.urls)
	if err != nil {
		return err
	}
	if err := s.checkRoom(len(spec.Files)); err != nil {
		return err
	}
	if who := callerOf(c); who.portal() {
		spec.Origin = who.origin
	}
	if err := checkPageURL(spec.PageURL, spec.Origin); err != nil {
		return err
	}
	info, err := s.m.Add(spec)
	if err != nil {
		return managerError(err)
	}
	return c.JSON(http.StatusCreated, info)
}

// jobList is the body of GET /v1/jobs.
type jobList struct {
	Jobs []downloader.JobInfo `json:"jobs"`
}

func (s *Server) listJobs(c echo.Context) error {
	return c.JSON(http.StatusOK, jobList{Jobs: s.jobs(callerOf(c))})
}

func (s *Server) getJob(c echo.Context) error {
	return s.answerJob(c, c.Param("id"))
}

// answerJob answers with the job as it is now, if the caller may see it.
func (s *Server) answerJob(c echo.Context, id string) error {
	info, err := s.job(callerOf(c), id)
	if err != nil {
		return managerError(err)
	}
	return c.JSON(http.StatusOK, info)
}

// jobAction runs a Manager action on the job in the path and answers with
// the job as it is afterwards.
func (s *Server) jobAction(act func(Manager, string) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Param("id")
		if err := s.checkJob(c, id); err != nil {
			return err
		}
		if err := act(s.m, id); err != nil {
			return managerError(err)
		}
		return s.answerJob(c, id)
	}
}

// openJobFolder shows the job's folder in the file manager. The folder is
// the job's own: no path is ever taken from the request.
func (s *Server) openJobFolder(c echo.Context) error {
	info, err := s.job(callerOf(c), c.Param("id"))
	if err != nil {
		return managerError(err)
	}
	if s.open == nil {
		return newError(http.StatusNotImplemented, CodeNotImplemented,
			"this dlhelper runs without a desktop, so it cannot open folders; the job's folder is %s", info.Dir)
	}
	if st, err := os.Stat(info.Dir); err != nil || !st.IsDir() {
		return newError(http.StatusConflict, CodeConflict,
			"the folder %s does not exist: no file of the job has started yet, or the folder was moved or deleted", info.Dir)
	}
	if err := s.open(info.Dir); err != nil {
		s.log.Warn("could not open a job's folder", "job", info.ID, "dir", info.Dir, "err", err)
		return newError(http.StatusInternalServerError, CodeInternal,
			"dlhelper could not open %s (%v); open it in your file manager", info.Dir, err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) removeJob(c echo.Context) error {
	deleteParts := false
	if v := c.QueryParam("files"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return invalid("files: must be 1 or 0, not %q", v)
		}
		deleteParts = b
	}
	if err := s.checkJob(c, c.Param("id")); err != nil {
		return err
	}
	if err := s.m.RemoveJob(c.Param("id"), deleteParts); err != nil {
		return managerError(err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) setURL(c echo.Context) error {
	id := c.Param("id")
	index, err := strconv.Atoi(c.Param("index"))
	// A file index is 0, 1, …; anything else names no file.
	if err != nil || index < 0 {
		return invalid("index: must be a file's index (0, 1, …), not %q", c.Param("index"))
	}
	if err := s.checkJob(c, id); err != nil {
		return err
	}
	// One URL needs no 8 MiB body: read no more than it can use.
	r := c.Request()
	if r.ContentLength > maxURLBody {
		return urlTooLarge()
	}
	r.Body = http.MaxBytesReader(c.Response(), r.Body, maxURLBody)
	data, err := readJSONBody(c)
	if ae := (*apiError)(nil); errors.As(err, &ae) && ae.Code == CodeTooLarge {
		return urlTooLarge()
	}
	if err != nil {
		return err
	}
	var req urlRequest
	if err := decodeStrict(data, &req, urlKeys); err != nil {
		return err
	}
	if len(req.URL) > MaxURLBytes {
		return invalid("url: longer than %d bytes; a presigned URL is far shorter, check what the page sends", MaxURLBytes)
	}
	if err := s.urls.checkURL(req.URL); err != nil {
		return invalid("url: %v", err)
	}
	if err := s.m.SetURL(id, index, req.URL); err != nil {
		return managerError(err)
	}
	return s.answerJob(c, id)
}

func urlTooLarge() *apiError {
	return newError(http.StatusRequestEntityTooLarge, CodeTooLarge,
		"the body is larger than a URL can be (%d KiB); send {\"url\": URL} with a URL of at most %d bytes", maxURLBody>>10, MaxURLBytes)
}

// pauseAll and resumeAll act on every job for the local user, and on its
// own jobs for a portal's page.
func (s *Server) pauseAll(c echo.Context) error {
	if who := callerOf(c); who.portal() {
		s.eachOwnJob(who, Manager.PauseJob)
		return c.NoContent(http.StatusNoContent)
	}
	s.m.PauseAll()
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) resumeAll(c echo.Context) error {
	if who := callerOf(c); who.portal() {
		s.eachOwnJob(who, Manager.ResumeJob)
		return c.NoContent(http.StatusNoContent)
	}
	s.m.ResumeAll()
	return c.NoContent(http.StatusNoContent)
}

// readJSONBody reads a body that must be declared application/json. The
// media type is required because it cannot be sent cross-site without a
// CORS preflight: a form or a text/plain fetch from a foreign page never
// reaches a handler.
func readJSONBody(c echo.Context) ([]byte, error) {
	ct := c.Request().Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return nil, newError(http.StatusUnsupportedMediaType, CodeUnsupportedType,
			"send the body as JSON with the header \"Content-Type: application/json\", not %q", ct)
	}
	data, err := io.ReadAll(c.Request().Body)
	switch {
	case isTooLarge(err):
		return nil, tooLarge()
	case err != nil:
		return nil, invalid("the request body could not be read: %v", err)
	}
	return data, nil
}

// statusPage serves the status page's files; paths under /v1/ that no
// route took are API 404s, not files.
func (s *Server) statusPage(c echo.Context) error {
	p := echo.GetPath(c.Request())
	if s.static == nil || p == "/v1" || strings.HasPrefix(p, "/v1/") {
		return echo.ErrNotFound
	}
	name := strings.TrimPrefix(path.Clean(c.Request().URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	// The page itself only with a session: without one it would open,
	// find every API call refused, and tell nothing useful.
	if (name == "index.html" || name == approvePage) && !s.sessionOK(c.Request()) && !s.tokenOK(c.Request()) {
		return s.loginNeeded(c)
	}
	if st, err := fs.Stat(s.static, name); err != nil || st.IsDir() {
		return echo.ErrNotFound
	}
	http.ServeFileFS(c.Response(), c.Request(), s.static, name)
	return nil
}

func (s *Server) getSettings(c echo.Context) error {
	out := struct {
		downloader.Settings
		folderSettings
		Free *int64 `json:"free,omitempty"` // bytes free on the download folder's disk
	}{Settings: s.m.Settings(), folderSettings: s.folderSettings(callerOf(c))}
	if fs, ok := s.m.(interface {
		FreeSpace() (downloader.DiskSpace, error)
	}); ok {
		if ds, err := fs.FreeSpace(); err == nil {
			out.Free = &ds.Free
		}
	}
	return c.JSON(http.StatusOK, out)
}

// putSettings changes what the user may change while the helper runs;
// fields left out or zero keep their value, except rateLimit, where 0
// means no limit.
func (s *Server) putSettings(c echo.Context) error {
	data, err := readJSONBody(c)
	if err != nil {
		return err
	}
	var req struct {
		downloader.Settings
		Dir *string `json:"dir"` // the local user's alone (folder.go)
	}
	if err := decodeStrict(data, &req, settingsKeys); err != nil {
		return err
	}
	if err := s.setDir(callerOf(c), req.Dir); err != nil {
		return err
	}
	got, err := s.m.SetSettings(req.Settings)
	if err != nil {
		return managerError(err)
	}
	return c.JSON(http.StatusOK, struct {
		downloader.Settings
		folderSettings
	}{got, s.folderSettings(callerOf(c))})
}
