package downloader

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

// TestFaults runs one file through a server that misbehaves in one way and
// checks how the file ends: complete and byte-identical, or stopped with the
// error a user should read.
func TestFaults(t *testing.T) {
	t.Parallel()
	data := testenv.RandomData(1, 3<<20+4321)
	other := testenv.RandomData(2, 2<<20+17)
	tests := []struct {
		name     string
		opts     []faultserver.Option
		spec     func(FileSpec) FileSpec
		want     []byte // the file's content when it must complete
		wantCode string // the FileError code when it must not
	}{
		{name: "a well-behaved server completes", want: data},
		{name: "a server without ranges is read in one stream", opts: opts(faultserver.NoRanges()), want: data},
		{name: "a chunked answer without ranges completes", opts: opts(faultserver.NoRanges(), faultserver.Chunked()), want: data},
		{name: "ranges ignored after the probe fall back to one stream", opts: opts(faultserver.RangeIgnoredAfter(1)), want: data},
		{name: "a wrong Content-Range is never written", opts: opts(faultserver.WrongContentRange()), wantCode: CodeBadResponse},
		{name: "a changed object restarts from zero", opts: opts(faultserver.ChangeObjectAfter(2, other)), want: other},
		{name: "connection resets are retried", opts: opts(faultserver.ResetAfterBytes(100<<10), faultserver.ResetTimes(4)), want: data},
		{name: "a stalled connection is cut and retried", opts: opts(faultserver.StallAfterBytes(50<<10, time.Minute), faultserver.StallTimes(2)), want: data},
		{name: "a burst of 503 is retried", opts: opts(faultserver.StatusBurst(503, 3)), want: data},
		{name: "endless 500s fail the file", opts: opts(faultserver.StatusStatic(500)), wantCode: CodeServer},
		{name: "404 fails with not found", opts: opts(faultserver.StatusStatic(404)), wantCode: CodeNotFound},
		{name: "403 without expiry fails with access denied", opts: opts(faultserver.StatusStatic(403)), wantCode: CodeAccessDenied},
		{name: "an expired URL waits for a new one", opts: opts(faultserver.ExpireAfter(2)), wantCode: CodeURLExpired},
		{name: "an error page sent as 200 fails the portal's checksum", opts: opts(faultserver.ErrorBodyWith200()), spec: withSHA256(data), wantCode: CodeChecksum},
		{name: "a multipart ETag is not taken for an MD5", opts: opts(faultserver.ETag(`"0123456789abcdef0123456789abcdef-3"`)), want: data},
		{name: "a 32-hex ETag that is not the content's MD5 costs no file", opts: opts(faultserver.ETag(`"0123456789abcdef0123456789abcdef"`)), want: data},
		{name: "the right SHA-256 passes", spec: withSHA256(data), want: data},
		{name: "the caller's SHA-256 is checked instead of the ETag", opts: opts(faultserver.ETag(`"0123456789abcdef0123456789abcdef"`)), spec: withSHA256(data), want: data},
		{name: "a wrong SHA-256 fails", spec: withSHA256(other), wantCode: CodeChecksum},
		{name: "the right MD5 passes", spec: withMD5(data), want: data},
		{name: "a size that differs from the portal's fails", spec: withSize(int64(len(data) + 1)), wantCode: CodeSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, _ := runOneFile(t, data, tt.opts, tt.spec)
			if tt.want != nil {
				if f.State != FileCompleted {
					t.Fatalf("file ended %s (%+v), want completed", f.State, f.Error)
				}
				assertFile(t, f.Path, tt.want)
				assertNoPart(t, f.Path)
				return
			}
			if f.Error == nil || f.Error.Code != tt.wantCode {
				t.Fatalf("file ended %s with %+v, want code %s", f.State, f.Error, tt.wantCode)
			}
			if !strings.HasSuffix(f.Error.Message, ".") || len(f.Error.Message) < 20 {
				t.Errorf("error message %q is not a sentence", f.Error.Message)
			}
			if _, err := os.Stat(f.Path); err == nil {
				t.Errorf("a failed file has its final name %s", f.Path)
			}
		})
	}
}

func opts(o ...faultserver.Option) []faultserver.Option { return o }

// runOneFile downloads one file, chip.zip, from a faultserver that serves
// data with opts, its spec changed by edit unless nil, and returns how the
// file ended and the server.
func runOneFile(t *testing.T, data []byte, opts []faultserver.Option, edit func(FileSpec) FileSpec) (FileInfo, *faultserver.Server) {
	t.Helper()
	srv := faultserver.New(t, data, opts...)
	m := newTestManager(t, testConfig(t))
	fs := FileSpec{URL: srv.URL(), Name: "chip.zip"}
	if edit != nil {
		fs = edit(fs)
	}
	j := runJob(t, m, JobSpec{Name: "order", Files: []FileSpec{fs}})
	return j.Files[0], srv
}

func withSHA256(b []byte) func(FileSpec) FileSpec {
	sum := sha256.Sum256(b)
	return func(f FileSpec) FileSpec { f.SHA256 = hex.EncodeToString(sum[:]); return f }
}

func withMD5(b []byte) func(FileSpec) FileSpec {
	sum := md5.Sum(b)
	return func(f FileSpec) FileSpec { f.MD5 = hex.EncodeToString(sum[:]); return f }
}

func withSize(n int64) func(FileSpec) FileSpec {
	return func(f FileSpec) FileSpec { f.Size = n; return f }
}
