package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"testing"
)

// folderAnswer is what GET /v1/settings and the choose endpoint tell of
// the download folder.
type folderAnswer struct {
	Dir       string `json:"dir"`
	ChooseDir bool   `json:"chooseDir"`
	Chosen    bool   `json:"chosen"`
}

func readFolder(t *testing.T, r result) folderAnswer {
	t.Helper()
	var a folderAnswer
	if err := json.Unmarshal(r.body, &a); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return a
}

func TestTheLocalUserChangesTheDownloadFolder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	session := e.login()
	if got := readFolder(t, e.do(req{path: "/v1/settings", noToken: true, session: session})); got.Dir != e.root || got.ChooseDir {
		t.Errorf("the status page reads %+v, want dir %s and no dialog (none configured)", got, e.root)
	}
	chosen := filepath.Join(t.TempDir(), "Downloads")
	body := `{"dir":` + jsonString(chosen) + `}`
	r := e.do(req{method: "PUT", path: "/v1/settings", body: body, noToken: true, session: session})
	r.want(t, http.StatusOK, "")
	if got := readFolder(t, r).Dir; got != chosen {
		t.Errorf("PUT answered dir %s, want %s", got, chosen)
	}
	if got := e.m.Root(); got != chosen {
		t.Errorf("the Manager's folder is %s, want %s", got, chosen)
	}
	job := e.addJob(jobJSON("https://objects.example.com/a.zip", "a.zip"))
	if want := filepath.Join(chosen, "orders"); job.Dir != want {
		t.Errorf("a job added afterwards is in %s, want %s", job.Dir, want)
	}
}

func TestAPortalCannotReadOrChangeTheDownloadFolder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withOptions(func(o *Options) {
		o.ChooseFolder = func(context.Context, string) (string, error) { return "/tmp", nil }
	}))
	if got := readFolder(t, e.do(req{path: "/v1/settings", origin: portal})); got.Dir != "" || got.ChooseDir {
		t.Errorf("a portal reads %+v; it must not see the folder (the path names the user)", got)
	}
	elsewhere := t.TempDir()
	e.do(req{method: "PUT", path: "/v1/settings", origin: portal, body: `{"dir":` + jsonString(elsewhere) + `}`}).
		want(t, http.StatusForbidden, CodeForbidden)
	e.do(req{method: "POST", path: "/v1/settings/dir/choose", origin: portal}).want(t, http.StatusForbidden, CodeForbidden)
	if got := e.m.Root(); got != e.root {
		t.Errorf("a portal moved the download folder to %s", got)
	}
}

func TestTheFolderDialogSetsTheFolder(t *testing.T) {
	t.Parallel()
	chosen := filepath.Join(t.TempDir(), "picked")
	answers := make(chan error, 2)
	answers <- nil
	answers <- ErrChoiceCanceled
	var started []string
	e := newEnv(t, withOptions(func(o *Options) {
		o.ChooseFolder = func(_ context.Context, start string) (string, error) {
			started = append(started, start)
			if err := <-answers; err != nil {
				return "", err
			}
			return chosen, nil
		}
	}))
	if !readFolder(t, e.do(req{path: "/v1/settings"})).ChooseDir {
		t.Error("with a dialog, settings should say chooseDir")
	}
	r := e.do(req{method: "POST", path: "/v1/settings/dir/choose"})
	r.want(t, http.StatusOK, "")
	if got := readFolder(t, r); got.Dir != chosen || !got.Chosen || e.m.Root() != chosen {
		t.Errorf("after choosing: answer %+v, Manager folder %s; want %s", got, e.m.Root(), chosen)
	}
	r = e.do(req{method: "POST", path: "/v1/settings/dir/choose"})
	r.want(t, http.StatusOK, "")
	if got := readFolder(t, r); got.Chosen || got.Dir != chosen {
		t.Errorf("after closing the dialog: %+v, want the folder unchanged and chosen false", got)
	}
	if len(started) != 2 || started[0] != e.root || started[1] != chosen {
		t.Errorf("the dialogs opened at %q, want the current folder each time", started)
	}
}

func TestWithoutADialogChoosingAnswers501(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.do(req{method: "POST", path: "/v1/settings/dir/choose"}).want(t, http.StatusNotImplemented, CodeNotImplemented)
	e2 := newEnv(t, withOptions(func(o *Options) {
		o.ChooseFolder = func(context.Context, string) (string, error) { return "", errors.New("no zenity") }
	}))
	e2.do(req{method: "POST", path: "/v1/settings/dir/choose"}).want(t, http.StatusNotImplemented, CodeNotImplemented)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
