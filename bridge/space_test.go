package bridge

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"dlhelper/downloader"
)

func TestAnOrderThatDoesNotFitIsA507WithTheNumbers(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("add: %w", &downloader.SpaceError{Need: 5 << 30, Free: 2 << 30, Dir: "/d"})
	ae := managerError(err)
	if ae.Status != http.StatusInsufficientStorage || ae.Code != "insufficient_space" {
		t.Fatalf("managerError = %d %s; want 507 insufficient_space", ae.Status, ae.Code)
	}
	raw, _ := json.Marshal(errorBody{ae})
	var got struct {
		Error struct {
			Need, Free int64
			Message    string
		}
	}
	if err := json.Unmarshal(raw, &got); err != nil || got.Error.Need != 5<<30 || got.Error.Free != 2<<30 {
		t.Errorf("body %s: want need 5 GiB and free 2 GiB in bytes (%v)", raw, err)
	}
	if want := "This order needs 5.0 GiB but the disk of /d has only 2.0 GiB free. Free up 3.0 GiB or choose another download folder, then start the download again."; got.Error.Message != want {
		t.Errorf("message %q; want %q", got.Error.Message, want)
	}
}

func TestTheSettingsSayTheFreeSpace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do(req{path: "/v1/settings"})
	r.want(t, http.StatusOK, "")
	var got struct{ Free *int64 }
	if err := json.Unmarshal(r.body, &got); err != nil || got.Free == nil || *got.Free <= 0 {
		t.Fatalf("settings %s: want a positive free (%v)", r.body, err)
	}
}
