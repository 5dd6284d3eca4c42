package downloader

import "golang.org/x/sys/windows"

// goneErrnos are what a file operation meets on Windows when its drive is
// lost: a removable drive pulled or a card reader emptied (NOT_READY,
// DEV_NOT_EXIST), a mapped network drive whose server went away
// (NETNAME_DELETED, BAD_NETPATH, UNEXP_NET_ERR), or a drive letter gone
// (PATH_NOT_FOUND; the folder check in place.unreachable tells that from
// a lone missing sub-folder).
var goneErrnos = []error{
	windows.ERROR_NOT_READY,
	windows.ERROR_DEV_NOT_EXIST,
	windows.ERROR_NETNAME_DELETED,
	windows.ERROR_BAD_NETPATH,
	windows.ERROR_UNEXP_NET_ERR,
	windows.ERROR_PATH_NOT_FOUND,
}
