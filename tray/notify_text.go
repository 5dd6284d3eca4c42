package tray

import (
	"encoding/xml"
	"strings"
)

// The text builders of each platform's notification live here, in a file
// built everywhere, so their escaping is tested on any machine.

// toastXML is the Windows toast for title and body, with the icon at
// iconPath when it is not empty. Every text is XML-escaped, never wrapped
// in CDATA: a name holding "]]>" would otherwise end the section and write
// markup of its own.
func toastXML(title, body, iconPath string) string {
	var b strings.Builder
	b.WriteString(`<toast activationType="foreground" duration="short"><visual><binding template="ToastGeneric">`)
	if iconPath != "" {
		b.WriteString(`<image placement="appLogoOverride" src="` + escapeXML(iconPath) + `"/>`)
	}
	b.WriteString(`<text>` + escapeXML(title) + `</text>`)
	b.WriteString(`<text>` + escapeXML(body) + `</text>`)
	b.WriteString(`</binding></visual><audio silent="true"/></toast>`)
	return b.String()
}

// escapeXML escapes s for XML text and attribute values (&, <, >, ", '
// and line breaks; characters XML cannot hold become U+FFFD).
func escapeXML(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return b.String()
}

// markupBody escapes a freedesktop.org notification body: servers that
// announce "body-markup" read it as a small HTML subset, where a name
// holding "<a href=…>" or "&" would be markup, not text.
func markupBody(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
