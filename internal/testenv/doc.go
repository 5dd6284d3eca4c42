// Package testenv gives tests and tools a real MinIO server on loopback.
//
// The server is the pinned MinIOVersion of MinIOModule, built once with
// "go install" into a cache folder ($DLHELPER_TOOLS, else
// ~/.cache/dlhelper/bin, stamped with minio.version; a file lock keeps
// parallel test binaries from building it twice). Each server gets free
// 127.0.0.1 ports, its own data folder and the root keys AccessKey and
// SecretKey:
//
//	mc := testenv.StartMinIO(t)
//	mc.MakeBucket(t, "orders")
//	etag := mc.Put(t, "orders", "chip-001.zip", data)
//	url := mc.Presign(t, "orders", "chip-001.zip", time.Hour)
//
// Tools (the benchmark, the demo portal) use Start and Stop instead;
// chaos tests use Kill and Restart, which keep the port and the data.
//
// The contract:
//   - Traffic stays on loopback: the server binds 127.0.0.1 only and the
//     harness never reaches out except to install the pinned binary.
//   - A missing MinIO is never a skip. In CI (CI=true) the setup step must
//     have installed it and its absence fails the test with the command to
//     run; elsewhere the first test installs it, and a failed install or
//     start fails the test with the server's output in the log.
//   - Servers die with their test: StartMinIO kills its server at cleanup,
//     and on Linux the kernel kills it if the test binary dies.
package testenv
