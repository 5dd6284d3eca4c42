package tray

import (
	"encoding/xml"
	"strings"
	"testing"
)

// hostileNames are job names a page could choose to break out of a
// notification's markup or script.
var hostileNames = []string{
	"Order 42]]> $(Start-Process calc.exe)",
	`Order <b>42</b> & "friends" 'too'`,
	"Order 42\"]]><text>injected</text><![CDATA[",
	"@\"\n$(Start-Process calc.exe)\n\"@",
}

// toastTexts parses a toast and returns its <text> elements' contents.
func toastTexts(t *testing.T, doc string) []string {
	t.Helper()
	var toast struct {
		Texts []string `xml:"visual>binding>text"`
		Image struct {
			Src string `xml:"src,attr"`
		} `xml:"visual>binding>image"`
	}
	if err := xml.Unmarshal([]byte(doc), &toast); err != nil {
		t.Fatalf("the toast is not well-formed XML (%v):\n%s", err, doc)
	}
	return append(toast.Texts, toast.Image.Src)
}

func TestToastXMLKeepsHostileNamesAsText(t *testing.T) {
	t.Parallel()
	for _, name := range hostileNames {
		body := failedMessage(English, nil)
		body = plainText(name) + ": " + body
		doc := toastXML("Download failed", body, `C:\Users\a"b\icon.png`)
		got := toastTexts(t, doc)
		want := []string{"Download failed", body, `C:\Users\a"b\icon.png`}
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Errorf("toast for %q holds the texts %q, want %q:\n%s", name, got, want, doc)
		}
		for _, raw := range []string{"]]>", "<![CDATA[", "<b>", `"friends"`} {
			if strings.Contains(doc, raw) {
				t.Errorf("toast for %q has %q unescaped:\n%s", name, raw, doc)
			}
		}
	}
}

func TestNotificationBodyIsEscapedForMarkup(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`Order <b>42</b> & "friends"`, `Order &lt;b&gt;42&lt;/b&gt; &amp; "friends"`},
		{`<a href="file:///etc">x</a>`, `&lt;a href="file:///etc"&gt;x&lt;/a&gt;`},
		{"&amp;", "&amp;amp;"},
	}
	for _, tt := range tests {
		if got := markupBody(tt.in); got != tt.want {
			t.Errorf("markupBody(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPlainTextDropsLineBreaksAndDirectionOverrides(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Order 42", "Order 42"},
		{"a\nb\r\tc\x00d", "a b  c d"},
		{"Order 42\u202efdp.exe", "Order 42 fdp.exe"},
		{"订单 42", "订单 42"},
	}
	for _, tt := range tests {
		if got := plainText(tt.in); got != tt.want {
			t.Errorf("plainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
