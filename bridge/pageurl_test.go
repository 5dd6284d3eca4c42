package bridge

import (
	"net/http"
	"strings"
	"testing"
)

func TestPageURLIsTheCallersOwnPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url, origin string
		ok                bool
	}{
		{"none is fine", "", portal, true},
		{"a page of the portal", portal + "/orders/42?tab=files#top", portal, true},
		{"the portal with its default port", "https://portal.example.com:443/orders/42", portal, true},
		{"another site", "https://evil.example/login", portal, false},
		{"a sub-domain of the portal", "https://x.portal.example.com/orders/42", portal, false},
		{"the portal over http", "http://portal.example.com/orders/42", portal, false},
		{"a script", "javascript:alert(1)", portal, false},
		{"a data URL", "data:text/html,<b>hi</b>", portal, false},
		{"a file", "file:///etc/passwd", "", false},
		{"a relative path", "/orders/42", portal, false},
		{"a user in the address", "https://portal.example.com@evil.example/", portal, false},
		{"loopback http of a portal in development", "http://127.0.0.1:8080/orders/1", "http://127.0.0.1:8080", true},
		{"localhost http of a local tool", "http://localhost:8080/orders/1", "", true},
		{"https of a local tool", "https://portal.example.com/orders/1", "", true},
		{"plain http elsewhere of a local tool", "http://portal.example.com/orders/1", "", false},
		{"too long", portal + "/" + strings.Repeat("a", maxPageURL), portal, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkPageURL(tt.url, tt.origin)
			if (err == nil) != tt.ok {
				t.Errorf("checkPageURL(%q, %q) = %v, want ok %v", tt.url, tt.origin, err, tt.ok)
			}
		})
	}
}

func TestAJobKeepsItsPageURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	page := portal + "/orders/42"
	body := `{"name":"Order 42","pageUrl":"` + page + `","files":[{"url":"https://objects.example.com/a.zip","name":"a.zip"}]}`
	r := e.do(req{method: "POST", path: "/v1/jobs", body: body, origin: portal})
	r.want(t, http.StatusCreated, "")
	job := r.job(t)
	if job.PageURL != page {
		t.Errorf("the job's pageUrl is %q, want %q", job.PageURL, page)
	}
	if got, _ := e.m.Job(job.ID); got.PageURL != page {
		t.Errorf("the Manager's job has pageUrl %q, want %q", got.PageURL, page)
	}
	bad := strings.Replace(body, page, "https://evil.example/orders/42", 1)
	e.do(req{method: "POST", path: "/v1/jobs", body: bad, origin: portal}).want(t, http.StatusBadRequest, CodeInvalid)
}
