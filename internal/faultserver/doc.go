// Package faultserver is an HTTP test server that serves one in-memory
// object the way S3 and MinIO serve a presigned GET URL, and misbehaves on
// purpose through small options. The download engine's tests build every
// failure they need from these options.
//
//	srv := faultserver.New(t, data, faultserver.StatusBurst(503, 3))
//	... download srv.URL() ...
//	srv.Requests()  // how many requests the download made
//	srv.BytesSent() // how many body bytes it cost
//
// Normal behaviour, written by hand (not http.ServeContent) so that faults
// can be injected at exact points:
//
//   - GET only. HEAD and every other method get 403 SignatureDoesNotMatch,
//     as a URL presigned for GET does. Paths other than the object's get
//     404 NoSuchKey.
//   - "Range: bytes=a-b", "bytes=a-" and "bytes=-n" get 206 with
//     Content-Range, Content-Length, a quoted ETag (the MD5 of the data),
//     Accept-Ranges and Last-Modified. A range that cannot be met (it
//     starts past the end, ends before it starts, or is "-0") gets 416
//     InvalidRange with "Content-Range: bytes */size". A Range
//     header S3 would not parse (another unit, several ranges) is ignored.
//   - No Range gets 200 with the whole object.
//   - If-Match with another ETag gets 412 PreconditionFailed.
//   - Errors carry S3's XML body: <Error><Code>…</Code><Message>…</Message>…
//
// Options take effect in this order: Handler wraps everything; then
// TimeToFirstByte; then the method check; StatusStatic, StatusBurst and
// ExpireAfter; If-Match; ErrorBodyWith200; the Range options; and last the
// body faults (ResetAfterBytes, StallAfterBytes, RateLimit).
//
// Requests are numbered from 1 in the order they arrive; the options that
// count ("after n requests") count every request, HEAD and errors included.
//
// Every wait inside the server (stall, time to first byte, rate limit) ends
// when the client goes away or the server closes, so a test never hangs on
// it, and Close does not wait for stalled answers.
package faultserver
