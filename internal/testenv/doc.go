// Package testenv gives tests and tools a real MinIO server on loopback.
//
// The server is the pinned MinIOVersion, built once with "go install" into a
// cache folder ($DLHELPER_TOOLS, else ~/.cache/dlhelper/bin) and started on
// a free 127.0.0.1 port with its data in a temporary folder:
//
//	mc := testenv.StartMinIO(t)
//	mc.MakeBucket(t, "orders")
//	etag := mc.Put(t, "orders", "chip-001.zip", data)
//	url := mc.Presign(t, "orders", "chip-001.zip", time.Hour)
//
// The contract: traffic stays on loopback, and a missing MinIO is a test
// failure with the command that installs it, never a skip, in CI.
package testenv
