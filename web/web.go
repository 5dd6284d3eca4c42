// Package web holds the pages and scripts dlhelper's web side is made of,
// embedded in the binaries that serve them:
//
//   - Status: the helper's own status page, served by the helper at /.
//   - SDK: the portal SDK (dlhelper.js, its typings and README), which a
//     portal serves from its own origin.
//   - Portal: the demo portal's page, served by cmd/portal-demo; the
//     reference integration of the SDK.
//
// Status and Portal carry the SDK under sdk/, so both pages load the same
// dlhelper.js (/sdk/dlhelper.js) as any portal would. Nothing here has a
// build step: the files are served as they are written.
package web

import (
	"embed"
	"io/fs"
)

//go:embed status sdk portal
var files embed.FS

// Status is the helper's status page: index.html at the root, the SDK
// under sdk/.
func Status() fs.FS { return withSDK(sub("status")) }

// SDK is the portal SDK: dlhelper.js, dlhelper.d.ts and README.md, with
// the optional format.js and ui.js (what the two pages share).
func SDK() fs.FS { return sub("sdk") }

// Portal is the demo portal's page: index.html and login.html at the root,
// the SDK under sdk/.
func Portal() fs.FS { return withSDK(sub("portal")) }

func sub(dir string) fs.FS {
	f, err := fs.Sub(files, dir)
	if err != nil {
		panic(err) // the folders are embedded at build time
	}
	return f
}

func withSDK(page fs.FS) fs.FS { return mount{base: page, dir: "sdk", at: SDK()} }
