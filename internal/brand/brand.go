// Package brand holds what a portal operator sets for their build of
// dlhelper without touching code: the product name customers see, the
// portal origins allowed out of the box, and the update feed with the
// public key its builds are signed with.
//
// The settings are JSON baked into the binary at link time
// (-ldflags "-X dlhelper/internal/brand.encoded=BASE64"), which
// "make dist PORTAL=portal.json" does through internal/dist/cmd/mkdist.
// An unbranded build (go build, make build) has the defaults: product
// "dlhelper", no origins, no updates.
package brand

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
)

// encoded is the base64 of a Brand's JSON, set by the linker.
var encoded string

// Brand is a portal's branding of the helper.
type Brand struct {
	// ProductName is what customers see (menu entry, installer, tray);
	// ProductNameZH is its Chinese form (ProductName when empty).
	ProductName   string `json:"productName"`
	ProductNameZH string `json:"productNameZh,omitempty"`
	// AllowOrigins are the portal origins trusted without a config file.
	AllowOrigins []string `json:"allowOrigins,omitempty"`
	// FeedURL is the https update feed (see internal/update); empty turns
	// updates off.
	FeedURL string `json:"feedURL,omitempty"`
	// PublicKey is the minisign public key (its base64 line) that signs
	// the feed's builds; required with FeedURL.
	PublicKey string `json:"publicKey,omitempty"`
}

// Default is the unbranded helper.
var Default = Brand{ProductName: "dlhelper"}

var (
	once    sync.Once
	current Brand
)

// Get is this build's brand. A build whose baked-in brand does not decode
// cannot have passed mkdist, which checks it, so it panics at start
// rather than run with half a brand.
func Get() Brand {
	once.Do(func() {
		b, err := Decode(encoded)
		if err != nil {
			panic("dlhelper was built with a broken brand: " + err.Error())
		}
		current = b
	})
	return current
}

// Encode is what mkdist passes to the linker.
func Encode(b Brand) (string, error) {
	if err := b.Check(); err != nil {
		return "", err
	}
	data, err := json.Marshal(b)
	return base64.StdEncoding.EncodeToString(data), err
}

// Decode reads an encoded brand; empty is Default.
func Decode(s string) (Brand, error) {
	if s == "" {
		return Default, nil
	}
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return Brand{}, fmt.Errorf("brand: %w", err)
	}
	return Parse(data)
}

// Parse reads a brand file strictly (an unknown field is most likely a
// typo) and checks it.
func Parse(data []byte) (Brand, error) {
	var b Brand
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return Brand{}, fmt.Errorf("brand: %w", err)
	}
	return b, b.Check()
}

// Check refuses a brand the helper cannot run with, in a sentence.
func (b Brand) Check() error {
	switch {
	case strings.TrimSpace(b.ProductName) == "":
		return errors.New("brand: productName is required")
	case strings.ContainsAny(b.ProductName, "\"\\/<>|:*?%$`\n\r\t"):
		return fmt.Errorf("brand: productName %q may not hold quotes, slashes or other characters unsafe in a file or menu name", b.ProductName)
	case b.FeedURL != "" && b.PublicKey == "":
		return errors.New("brand: feedURL needs the publicKey its builds are signed with")
	}
	if b.FeedURL != "" {
		u, err := url.Parse(b.FeedURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("brand: feedURL %q must be an https URL", b.FeedURL)
		}
	}
	return nil
}

// Name is the product name in a language ("zh" or anything else for English).
func (b Brand) Name(lang string) string {
	if strings.HasPrefix(lang, "zh") && b.ProductNameZH != "" {
		return b.ProductNameZH
	}
	return b.ProductName
}
