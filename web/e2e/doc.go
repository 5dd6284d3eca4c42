// Package e2e holds the end-to-end tests of dlhelper's web side: a real
// MinIO (internal/testenv), the real portal-demo and the real "dlhelper
// serve", driven through headless Chromium with chromedp, the way a
// customer clicks.
//
// The tests need Debian's chromium at /usr/bin/chromium (or $CHROMIUM).
// Without it they fail in CI (CI=true) with the command that installs it,
// and skip elsewhere. Screenshots of the pages go to $DLHELPER_ARTIFACTS,
// else to a folder under the system's temporary folder; the tests log it.
//
// The package has no code of its own; everything is in its tests.
package e2e
