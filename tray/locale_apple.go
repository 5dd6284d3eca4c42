package tray

import "strings"

// langFromAppleLanguages reads the first language of `defaults read -g
// AppleLanguages`, a property list array such as
//
//	(
//	    "zh-Hans-CN",
//	    "en-US"
//	)
//
// It is built everywhere so its parsing is tested on any machine.
func langFromAppleLanguages(out string) (Lang, bool) {
	for _, line := range strings.Split(out, "\n") {
		tag := strings.Trim(strings.TrimSpace(line), `",`)
		if tag == "" || tag == "(" || tag == ")" {
			continue
		}
		return langFromTag(tag)
	}
	return "", false
}
