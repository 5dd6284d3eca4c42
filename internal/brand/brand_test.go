package brand

import "testing"

func TestEncodeDecodeRoundTrips(t *testing.T) {
	want := Brand{ProductName: "Acme Downloads", ProductNameZH: "Acme 下载", AllowOrigins: []string{"https://portal.acme.test"},
		FeedURL: "https://portal.acme.test/dlhelper/feed.json", PublicKey: "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3"}
	s, err := Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	if got.ProductName != want.ProductName || got.FeedURL != want.FeedURL || got.AllowOrigins[0] != want.AllowOrigins[0] || got.Name("zh-CN") != "Acme 下载" {
		t.Errorf("Decode(Encode(%+v)) = %+v", want, got)
	}
}

func TestCheckRefusesWhatCannotRun(t *testing.T) {
	for name, b := range map[string]Brand{
		"no product name":       {},
		"a slash in the name":   {ProductName: "a/b"},
		"a feed without a key":  {ProductName: "x", FeedURL: "https://x.test/feed.json"},
		"a feed on plain http":  {ProductName: "x", FeedURL: "http://x.test/feed.json", PublicKey: "k"},
		"a feed that is no URL": {ProductName: "x", FeedURL: "feed.json", PublicKey: "k"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Encode(b); err == nil {
				t.Errorf("Encode(%+v) succeeded; want an error", b)
			}
		})
	}
}

func TestAnUnbrandedBuildIsDlhelper(t *testing.T) {
	if b := Get(); b.ProductName != "dlhelper" || b.FeedURL != "" {
		t.Errorf("Get() = %+v, want the default brand", b)
	}
}
