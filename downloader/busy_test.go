package downloader

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestABusyFileIsRetriedForABoundedTime(t *testing.T) {
	t.Parallel()
	errBusy := errors.New("the process cannot access the file because it is being used by another process")
	errOther := errors.New("access is denied")
	busy := func(err error) bool { return err == errBusy }
	for _, tc := range []struct {
		name      string
		fails     []error // what op returns before it succeeds
		wantCalls int
		wantCode  string
	}{
		{"free at once", nil, 1, ""},
		{"busy for a moment", []error{errBusy, errBusy, errBusy}, 4, ""},
		{"another error is not retried", []error{errOther}, 1, "other"},
		{"busy for good", repeatErr(errBusy, 100), 0, CodeFileBusy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls, waited := 0, time.Duration(0)
			err := retryWhile(busy, 10*time.Second, func(d time.Duration) { waited += d }, func() error {
				calls++
				if calls <= len(tc.fails) {
					return tc.fails[calls-1]
				}
				return nil
			})
			var fe *FileError
			switch tc.wantCode {
			case "":
				if err != nil || calls != tc.wantCalls {
					t.Errorf("err %v after %d calls; want success after %d", err, calls, tc.wantCalls)
				}
			case "other":
				if err != errOther || calls != 1 {
					t.Errorf("err %v after %d calls; want the error itself after 1", err, calls)
				}
			default:
				if !errors.As(err, &fe) || fe.Code != tc.wantCode || !strings.Contains(fe.Message, "another process") {
					t.Errorf("err %v; want a %s FileError that quotes the cause", err, tc.wantCode)
				}
				if waited > 10*time.Second || waited < 5*time.Second {
					t.Errorf("waited %v in all; want close to the 10 s bound", waited)
				}
			}
		})
	}
}

func repeatErr(err error, n int) []error {
	out := make([]error, n)
	for i := range out {
		out[i] = err
	}
	return out
}
