package bridge

import "testing"

func TestNormalizeOrigin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"https://portal.example.com", "https://portal.example.com"},
		{"https://Portal.Example.COM/", "https://portal.example.com"},
		{"https://portal.example.com:443", "https://portal.example.com"},
		{"http://portal.example.com:80", "http://portal.example.com"},
		{"http://portal.test", "http://portal.test"},
		{"https://portal.example.com:8443", "https://portal.example.com:8443"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{" https://xn--fiq228c.example ", "https://xn--fiq228c.example"},
		{"portal.example.com", ""},
		{"https://", ""},
		{"null", ""},
		{"ftp://portal.example.com", ""},
		{"https://portal.example.com/app", ""},
		{"https://portal.example.com?x=1", ""},
		{"https://user@portal.example.com", ""},
		{"https://portal.example.com:0", ""},
		{"https://portal.example.com:99999", ""},
		{"*", ""},
	} {
		got, err := NormalizeOrigin(tc.in)
		if (err != nil) != (tc.want == "") || got != tc.want {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestInvalidAllowedOriginsAreDropped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withOptions(func(o *Options) { o.AllowedOrigins = []string{"*", "null", "https://Other.Example:443/"} }))
	e.do(req{path: "/v1/jobs", origin: "null"}).want(t, 403, CodeOriginNotAllowed)
	e.do(req{path: "/v1/jobs", origin: "*"}).want(t, 403, CodeOriginNotAllowed)
	e.do(req{path: "/v1/jobs", origin: "https://other.example"}).want(t, 200, "")
}
