package downloader

import (
	"testing"
	"time"
)

func TestZoneIdentifierNamesThePortalAndTheFileWithoutItsSignature(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ origin, url, want string }{
		{"https://portal.example.com", "https://minio.example.com/b/a.zip?X-Amz-Signature=abc#x",
			"[ZoneTransfer]\r\nZoneId=3\r\nReferrerUrl=https://portal.example.com\r\nHostUrl=https://minio.example.com/b/a.zip\r\n"},
		{"", "http://u:p@h:9000/a.zip", "[ZoneTransfer]\r\nZoneId=3\r\nHostUrl=http://h:9000/a.zip\r\n"},
		// A value that would add a line of its own is left out.
		{"https://p.example\r\nZoneId=0", "https://h/a%0D%0AZoneId=0", "[ZoneTransfer]\r\nZoneId=3\r\nHostUrl=https://h/a%0D%0AZoneId=0\r\n"},
		{"javascript:alert(1)", "ftp://h/a", "[ZoneTransfer]\r\nZoneId=3\r\n"},
	} {
		if got := zoneIdentifier(tt.origin, tt.url); got != tt.want {
			t.Errorf("zoneIdentifier(%q, %q) = %q, want %q", tt.origin, tt.url, got, tt.want)
		}
	}
}

func TestQuarantineValueNamesThePortal(t *testing.T) {
	t.Parallel()
	at := time.Unix(0x6925a1f3, 0)
	for origin, want := range map[string]string{
		"https://portal.example.com": "0081;6925a1f3;dlhelper (https://portal.example.com);",
		"":                           "0081;6925a1f3;dlhelper;",
		"https://a;b.example":        "0081;6925a1f3;dlhelper (https://ab.example);",
	} {
		if got := quarantineValue(origin, at); got != want {
			t.Errorf("quarantineValue(%q) = %q, want %q", origin, got, want)
		}
	}
}
