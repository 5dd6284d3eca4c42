package bridge

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"dlhelper/downloader"
)

// The download folder is the local user's choice alone (DESIGN: "the
// portal never chooses where on disk files go"). The status page, logged
// in with its session, or a local tool with the token may read and change
// it; a portal's page is neither told the path (it names the user) nor
// allowed to change it. A new folder takes the jobs added from then on;
// jobs already added finish in theirs (downloader.Manager.SetRoot).

// ErrChoiceCanceled is what a FolderChooser returns when the user closes
// the dialog without choosing.
var ErrChoiceCanceled = errors.New("no folder was chosen")

// FolderChooser shows the desktop's folder dialog, starting at start, and
// returns the folder the user chose.
type FolderChooser func(ctx context.Context, start string) (string, error)

// rooted is what the folder settings need of the Manager;
// *downloader.Manager has it. A Manager without it has no folder setting.
type rooted interface {
	Root() string
	SetRoot(dir string) error
}

// folderSettings are the fields GET /v1/settings adds for the local user.
type folderSettings struct {
	Dir string `json:"dir,omitempty"`
	// ChooseDir says POST /v1/settings/dir/choose can show a dialog.
	ChooseDir bool `json:"chooseDir,omitempty"`
}

func (s *Server) folderSettings(who caller) folderSettings {
	r, ok := s.m.(rooted)
	if !ok || who.portal() {
		return folderSettings{}
	}
	return folderSettings{Dir: r.Root(), ChooseDir: s.choose != nil}
}

// setDir applies the dir field of PUT /v1/settings, when given.
func (s *Server) setDir(who caller, dir *string) error {
	if dir == nil {
		return nil
	}
	if who.portal() {
		return newError(http.StatusForbidden, CodeForbidden,
			"dir: only the user can choose the download folder, in dlhelper's own status page")
	}
	r, ok := s.m.(rooted)
	if !ok {
		return newError(http.StatusNotImplemented, CodeNotImplemented, "dir: this helper cannot change its download folder")
	}
	if err := r.SetRoot(*dir); err != nil {
		if errors.Is(err, downloader.ErrBadRoot) {
			return newError(http.StatusBadRequest, CodeBadFolder, "dir: %v", err)
		}
		return managerError(err)
	}
	return nil
}

// chooseDir shows the folder dialog on the user's desktop and makes the
// folder chosen the download folder. It answers {"dir": …, "chosen": true},
// or "chosen": false when the user closed the dialog.
func (s *Server) chooseDir(c echo.Context) error {
	who := callerOf(c)
	if who.portal() {
		return newError(http.StatusForbidden, CodeForbidden, "only the user can choose the download folder, in dlhelper's own status page")
	}
	r, ok := s.m.(rooted)
	if !ok || s.choose == nil {
		return newError(http.StatusNotImplemented, CodeNotImplemented,
			"this helper has no folder dialog (it runs without a desktop); type the folder's path instead")
	}
	dir, err := s.choose(c.Request().Context(), r.Root())
	if errors.Is(err, ErrChoiceCanceled) {
		return c.JSON(http.StatusOK, map[string]any{"dir": r.Root(), "chosen": false})
	}
	if err != nil {
		return newError(http.StatusNotImplemented, CodeNotImplemented,
			"the folder dialog could not be shown (%v); type the folder's path instead", err)
	}
	if err := s.setDir(who, &dir); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"dir": r.Root(), "chosen": true})
}
