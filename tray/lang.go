package tray

import (
	"fmt"
	"strings"
)

// Lang is the language of the menu and its notifications. The zero value
// is English; SystemLang reads the user's choice from the OS.
type Lang string

const (
	English Lang = "en"
	Chinese Lang = "zh"
)

// langFromTag maps a locale name ("zh_CN.UTF-8", "zh-Hans-CN", "en_US",
// "C") to a Lang, and reports false for an empty name. Every Chinese
// locale gets the simplified strings: there is no traditional set yet,
// and it reads better to a Taiwanese user than English does.
func langFromTag(tag string) (Lang, bool) {
	tag = strings.TrimSpace(tag)
	if tag == "" {
		return "", false
	}
	if l := strings.ToLower(tag); l == "zh" || strings.HasPrefix(l, "zh_") || strings.HasPrefix(l, "zh-") || strings.HasPrefix(l, "zh.") {
		return Chinese, true
	}
	return English, true
}

// langFromEnv is the language POSIX's locale variables name: the first of
// LC_ALL, LC_MESSAGES and LANG that is set decides, as it does for
// gettext. ok is false when none is set.
func langFromEnv(getenv func(string) string) (l Lang, ok bool) {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l, ok := langFromTag(getenv(name)); ok {
			return l, true
		}
	}
	return English, false
}

// text is the message k in l, formatted with args; English when l has no
// such message (TestEveryMessageHasBothLanguages keeps that from happening).
func (l Lang) text(k msgKey, args ...any) string {
	m := messages[k]
	s := m.en
	if l == Chinese && m.zh != "" {
		s = m.zh
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// files is "1 file", "3 files", "3 个文件".
func (l Lang) files(n int) string {
	if n == 1 {
		return l.text(msgOneFile)
	}
	return l.text(msgFiles, n)
}
