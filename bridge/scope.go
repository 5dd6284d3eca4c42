package bridge

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"dlhelper/downloader"
)

// A portal's page sees and acts on its own jobs only: the jobs created
// from its origin. One allowed portal can then neither read another's
// presigned URLs and file names nor cancel or re-point its downloads. The
// local user (token, status page session) sees every job.

// caller is who auth decided a request comes from.
type caller struct {
	origin string // an allowed portal's origin; "" for the local user
}

func (c caller) portal() bool { return c.origin != "" }

// sees reports whether the caller may see and act on the job.
func (c caller) sees(j downloader.JobInfo) bool { return !c.portal() || j.Origin == c.origin }

const callerKey = "dlhelper.caller"

func callerOf(c echo.Context) caller {
	who, _ := c.Get(callerKey).(caller)
	return who
}

// job is the job id as the caller may see it: another portal's job is
// "not found", the same answer as a job that does not exist, so that its
// existence is not told either.
func (s *Server) job(who caller, id string) (downloader.JobInfo, error) {
	info, err := s.m.Job(id)
	if err == nil && !who.sees(info) {
		return downloader.JobInfo{}, fmt.Errorf("job %q: %w", id, downloader.ErrNoJob)
	}
	return info, err
}

// jobs are the jobs the caller may see.
func (s *Server) jobs(who caller) []downloader.JobInfo {
	all := s.m.Jobs()
	if !who.portal() {
		return all
	}
	mine := all[:0]
	for _, j := range all {
		if who.sees(j) {
			mine = append(mine, j)
		}
	}
	return mine
}

// checkJob answers 404 unless the caller may act on the job.
func (s *Server) checkJob(c echo.Context, id string) error {
	if _, err := s.job(callerOf(c), id); err != nil {
		return managerError(err)
	}
	return nil
}

// eachOwnJob runs act on every job of a portal caller (its "pause all"
// pauses its own jobs, not the user's others).
func (s *Server) eachOwnJob(who caller, act func(Manager, string) error) {
	for _, j := range s.jobs(who) {
		_ = act(s.m, j.ID) // a job in a state the action does not fit is left as it is
	}
}

// checkRoom refuses a job that would take the helper past its limits on
// jobs or files kept: every kept job is in every snapshot.
func (s *Server) checkRoom(files int) error {
	all := s.m.Jobs()
	total := files
	for _, j := range all {
		total += len(j.Files)
	}
	if len(all) >= s.limits.Jobs || total > s.limits.Files {
		return newError(http.StatusConflict, CodeTooManyJobs,
			"dlhelper keeps at most %d jobs and %d files, and this job would go past that; remove finished jobs on dlhelper's status page, then try again",
			s.limits.Jobs, s.limits.Files)
	}
	return nil
}
