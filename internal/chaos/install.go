package chaos

import "dlhelper/internal/testenv"

// The pinned fault proxy. Its API and toxics are what the suite drives, so
// a new version is a deliberate change here.
const (
	ToxiproxyModule  = "github.com/Shopify/toxiproxy/v2/cmd/server"
	ToxiproxyVersion = "v2.12.0"
)

const toxiproxyName = "toxiproxy-server"

// InstallCommand is the command that installs the pinned server, for
// messages that tell a person (or CI) what to run.
const InstallCommand = "go run ./internal/chaos/cmd/install-toxiproxy"

// toxiproxy is the pinned server as a harness tool, built once into the
// shared tools folder like MinIO.
var toxiproxy = testenv.Tool{Name: toxiproxyName, Package: ToxiproxyModule, Version: ToxiproxyVersion}

// InstalledToxiproxy returns the cached binary if it is the pinned
// version, without installing anything.
func InstalledToxiproxy() (string, bool) { return toxiproxy.Installed() }

// ToxiproxyBinary returns the pinned server, installing it with
// "go install" first when it is missing or of another version.
func ToxiproxyBinary() (string, error) { return toxiproxy.Binary() }
