// Package servermatrix proves that dlhelper downloads and verifies an
// order correctly from every kind of server a portal may put in front of
// its files, whatever that server's ETag means. It holds tests only.
//
// Each row of the matrix is a real server the harness starts on a free
// loopback port: MinIO plain, with SSE-S3, with SSE-KMS (a static KMS
// key) and with compression on; versitygw, an S3 gateway that is not
// MinIO; nginx from Debian serving a folder, as a CDN would (Range
// support, an ETag of mtime and size); and an httptest server whose
// 32-hex ETag looks like an MD5 but is not the content's (a gateway the
// engine cannot tell from a real MD5). Each row serves one small order: a
// zero-byte file, names with a space, "+", CJK characters and "%", one
// object uploaded in a single PUT and one in many parts, 0 to 11 MiB.
//
// Every row downloads the order three times with the real binary: with
// "dlhelper get" given only the URLs, and through "dlhelper serve" (POST
// /v1/jobs with the token) once with the portal's SHA-256s and once with
// URLs only. Every file must complete with the right SHA-256 on disk, and
// say what it was verified against (verifiedBy): "sha256" when the portal
// gave one; given only URLs, "etag-md5" where the ETag is the content's
// MD5 (a single PUT to MinIO or versitygw without SSE-KMS), "size" where
// it is not (SSE-KMS, multipart, nginx) or merely looks like one. A file
// is never lost to an ETag that is not an MD5: issue 15.
//
// The MinIO facts the engine relies on (DESIGN.md: If-Range ignored, a
// multi-range answered with 200, 416 InvalidRange without Content-Range,
// health/live before health/cluster) are checked here against the pinned
// build too, so a new MinIO that changes them fails here first.
package servermatrix
