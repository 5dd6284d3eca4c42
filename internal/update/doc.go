// Package update keeps an installed dlhelper current from its portal's
// update feed.
//
// A feed is a small JSON document on https:
//
//	{"version": "1.4.0",
//	 "builds": {"linux/amd64": {"url": "https://…/dlhelper-linux-amd64", "size": 9123456,
//	                            "sha256": "…", "signature": "untrusted comment: …\n…"}}}
//
// Each build is signed with minisign (ed25519); the signature's trusted
// comment, which is signed too, reads "dlhelper VERSION GOOS/GOARCH", so a
// feed cannot pass an old signed build off as a new version. SignBuild
// makes such a signature; cmd/dlsign is the release tool around it.
//
// An Updater reads the feed, and when it names a newer version it
// downloads that build with dlhelper's own engine (downloader.Manager, so
// it resumes and is checked like any download), verifies the signature
// before anything else reads the bytes, waits until its caller reports no
// download running, and replaces the running executable with
// minio/selfupdate. Restarting is the caller's part. A feed on plain http,
// a downgrade and a bad signature are refused and logged.
package update
