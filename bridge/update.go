package bridge

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// CodeUpdatesOff answers an update request to a helper built without an
// update feed (501): the customer installs the new version by hand.
const CodeUpdatesOff = "updates_off"

// Updater is what the bridge needs of the helper's self-update; the
// helper's updater implements it, a test passes a fake.
type Updater interface {
	// UpdateStatus reports the current state.
	UpdateStatus() UpdateStatus
	// UpdateNow starts a check of the feed (and the update it finds)
	// unless one is under way, and reports the state it is in.
	UpdateNow() UpdateStatus
}

// UpdateStatus is the body of GET and POST /v1/update.
type UpdateStatus struct {
	// Version is the running version; Latest the feed's, once known.
	Version string `json:"version"`
	Latest  string `json:"latest,omitempty"`
	// State is one of idle, checking, downloading, waiting (for the
	// downloads to finish), restarting, failed.
	State string `json:"state"`
	// Error says why the last check failed, in English; the page shows its
	// own text for State "failed".
	Error string `json:"error,omitempty"`
}

// updateRoutes adds GET /v1/update (where the helper's update stands) and
// POST /v1/update (check and update now). Both sit behind the same layers
// as every endpoint: only an allowed page or a local tool with the token
// can ask; what gets installed is still only a build signed with the key
// baked into this one, so a page can at most make the helper update early.
func (s *Server) updateRoutes(e *echo.Echo) {
	e.GET("/v1/update", s.getUpdate)
	e.POST("/v1/update", s.postUpdate)
}

func (s *Server) getUpdate(c echo.Context) error {
	if s.upd == nil {
		return updatesOff()
	}
	return c.JSON(http.StatusOK, s.upd.UpdateStatus())
}

func (s *Server) postUpdate(c echo.Context) error {
	if s.upd == nil {
		return updatesOff()
	}
	return c.JSON(http.StatusAccepted, s.upd.UpdateNow())
}

func updatesOff() *apiError {
	return newError(http.StatusNotImplemented, CodeUpdatesOff, "this dlhelper build has no update feed; install the new version from your portal")
}
