package bridge

import (
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
}

func (s *Server) hello(c echo.Context) error {
	return c.JSON(http.StatusOK, helloResponse{App: "dlhelper", Version: s.version, API: APIVersion})
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
	return c.JSON(http.StatusOK, jobList{Jobs: s.m.Jobs()})
}

func (s *Server) getJob(c echo.Context) error {
	return s.answerJob(c, c.Param("id"))
}

// answerJob answers with the job as it is now.
func (s *Server) answerJob(c echo.Context, id string) error {
	info, err := s.m.Job(id)
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
		if err := act(s.m, id); err != nil {
			return managerError(err)
		}
		return s.answerJob(c, id)
	}
}

// openJobFolder shows the job's folder in the file manager. The folder is
// the job's own: no path is ever taken from the request.
func (s *Server) openJobFolder(c echo.Context) error {
	info, err := s.m.Job(c.Param("id"))
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
	if err := s.m.RemoveJob(c.Param("id"), deleteParts); err != nil {
		return managerError(err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) setURL(c echo.Context) error {
	id := c.Param("id")
	index, err := strconv.Atoi(c.Param("index"))
	// The Manager reads index -1 as "every file"; here it is just wrong.
	if err != nil || index < 0 {
		return invalid("index: must be a file's index (0, 1, …), not %q", c.Param("index"))
	}
	data, err := readJSONBody(c)
	if err != nil {
		return err
	}
	var req urlRequest
	if err := decodeStrict(data, &req, urlKeys); err != nil {
		return err
	}
	if err := s.urls.checkURL(req.URL); err != nil {
		return invalid("url: %v", err)
	}
	if err := s.m.SetURL(id, index, req.URL); err != nil {
		return managerError(err)
	}
	return s.answerJob(c, id)
}

func (s *Server) pauseAll(c echo.Context) error {
	s.m.PauseAll()
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) resumeAll(c echo.Context) error {
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
	if st, err := fs.Stat(s.static, name); err != nil || st.IsDir() {
		return echo.ErrNotFound
	}
	http.ServeFileFS(c.Response(), c.Request(), s.static, name)
	return nil
}

func (s *Server) getSettings(c echo.Context) error {
	return c.JSON(http.StatusOK, s.m.Settings())
}

// putSettings changes what the user may change while the helper runs;
// fields left out or zero keep their value, except rateLimit, where 0
// means no limit.
func (s *Server) putSettings(c echo.Context) error {
	data, err := readJSONBody(c)
	if err != nil {
		return err
	}
	var req downloader.Settings
	if err := decodeStrict(data, &req, settingsKeys); err != nil {
		return err
	}
	got, err := s.m.SetSettings(req)
	if err != nil {
		return managerError(err)
	}
	return c.JSON(http.StatusOK, got)
}
