package main

import (
	"context"
	"errors"
	"os"
	"sync"

	"github.com/ncruces/zenity"

	"dlhelper/bridge"
	"dlhelper/tray"
)

// github.com/ncruces/zenity v0.10.14 shows the folder dialog: the native
// one on Windows (IFileOpenDialog) and macOS (osascript), and zenity,
// kdialog or qarma on other desktops, all without cgo, so the Windows
// build stays cgo-free. v0.10.14 is the newest release the module proxy
// serves (September 2024; the project is kept, its dialogs do not change
// often).

// errDialogOpen answers a second request while a dialog is up.
var errDialogOpen = errors.New("a folder dialog is already open on the desktop; choose there or close it")

// folderChooser is the bridge's folder dialog, titled in lang, or nil
// where the desktop has none (no zenity, kdialog or qarma): the status
// page then takes the path as text.
func folderChooser(lang tray.Lang) bridge.FolderChooser {
	if !zenity.IsAvailable() {
		return nil
	}
	title := "Choose the download folder"
	if lang == tray.Chinese {
		title = "选择下载文件夹"
	}
	var open sync.Mutex
	return func(ctx context.Context, start string) (string, error) {
		if !open.TryLock() {
			return "", errDialogOpen
		}
		defer open.Unlock()
		// A trailing separator opens the dialog in the folder itself,
		// rather than in its parent with the folder selected.
		dir, err := zenity.SelectFile(zenity.Directory(), zenity.Title(title),
			zenity.Filename(start+string(os.PathSeparator)), zenity.Context(ctx))
		if errors.Is(err, zenity.ErrCanceled) {
			return "", bridge.ErrChoiceCanceled
		}
		return dir, err
	}
}
