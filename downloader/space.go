package downloader

import (
	"errors"
	"fmt"

	"dlhelper/internal/units"
)

// ErrNoSpace means the download folder's disk has too little free space for
// an order; the error is a *SpaceError that says how much.
var ErrNoSpace = errors.New("not enough free space")

const (
	// CodeNoSpace is the stable code of a SpaceError, for programs and pages.
	CodeNoSpace = "insufficient_space"
)

// SpaceError says that an order needs more bytes than its folder's disk
// has free. The check runs before the first byte, so a customer learns it
// at once rather than at 97% of a 200-archive order.
type SpaceError struct {
	Need, Free int64
	Dir        string
}

func (e *SpaceError) Error() string {
	return fmt.Sprintf("This order needs %s but the disk of %s has only %s free. Free up %s or choose another download folder, then start the download again.",
		units.Size(e.Need), e.Dir, units.Size(e.Free), units.Size(e.Need-e.Free))
}

func (e *SpaceError) Unwrap() error { return ErrNoSpace }

// DiskSpace is the free and total size of a volume, in bytes.
type DiskSpace struct {
	Free  int64 `json:"free"`
	Total int64 `json:"total"`
}

// FreeSpace reports the space of the download folder's volume, for the
// settings page.
func (m *Manager) FreeSpace() (DiskSpace, error) {
	return volumeSpace(m.Root())
}

// checkSpace refuses an order whose files, at the sizes the portal gave,
// do not fit on the download folder's volume. Files of unknown size count
// nothing here; their preallocation fails at once when the disk is full.
func (m *Manager) checkSpace(spec JobSpec) error {
	var need int64
	for _, f := range spec.Files {
		need += max(f.Size, 0)
	}
	if need == 0 {
		return nil
	}
	root := m.Root() // where the order goes (SetRoot)
	ds, err := volumeSpace(root)
	if err != nil {
		// A volume that cannot say its size (some network shares) is not
		// a reason to refuse an order; a full disk still shows at once.
		m.log.Warn("free space unknown", "dir", root, "err", err)
		return nil
	}
	if need > ds.Free {
		return &SpaceError{Need: need, Free: ds.Free, Dir: root}
	}
	return nil
}
