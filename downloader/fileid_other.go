//go:build !unix && !windows

package downloader

import "os"

// idOf knows no file identity here: a .part is then never trusted on
// resume, and the file starts over.
func idOf(*os.File) (fileID, bool) { return fileID{}, false }
