package tray

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"

	"dlhelper/downloader"
)

// verbs lists a format string's verbs by argument number ("1s", "2d"), so
// two translations can be checked to take the same arguments.
func verbs(format string) []string {
	var out []string
	next := 1
	for _, m := range regexp.MustCompile(`%(?:\[(\d+)\])?([a-z])`).FindAllStringSubmatch(format, -1) {
		n := next
		if m[1] != "" {
			n = int(m[1][0] - '0')
		}
		out = append(out, string(rune('0'+n))+m[2])
		next = n + 1
	}
	slices.Sort(out)
	return out
}

func TestEveryMessageHasBothLanguages(t *testing.T) {
	t.Parallel()
	for k := range msgCount {
		m := messages[k]
		if m.en == "" || m.zh == "" {
			t.Errorf("message %d lacks a translation: en %q, zh %q", k, m.en, m.zh)
			continue
		}
		if m.en == m.zh {
			t.Errorf("message %d is the same in both languages: %q", k, m.en)
		}
		if e, z := verbs(m.en), verbs(m.zh); !slices.Equal(e, z) {
			t.Errorf("message %d takes %v in English but %v in Chinese", k, e, z)
		}
	}
}

// english finds words of English in a Chinese text; unit names and the
// product's name are the same in both.
var english = regexp.MustCompile(`[A-Za-z]{2,}`)

func hasEnglish(s string) bool {
	for _, w := range english.FindAllString(s, -1) {
		if w != "MiB" && w != "KiB" && w != "GiB" && w != "TiB" && w != "dlhelper" {
			return true
		}
	}
	return false
}

func TestChineseStatusLinesShowNoEnglish(t *testing.T) {
	t.Parallel()
	for _, s := range []summary{
		{}, {active: 2, speed: 3 << 20}, {waiting: 1}, {paused: 1}, {failed: 1}, {paused: 1, failed: 2},
	} {
		text, _ := s.status(Chinese)
		if hasEnglish(text) {
			t.Errorf("status %+v in Chinese is %q", s, text)
		}
	}
	if text, _ := (summary{active: 1, failed: 1}).status(Chinese); text != "1 个下载中 · 1 个失败" {
		t.Errorf("status in Chinese = %q, want %q", text, "1 个下载中 · 1 个失败")
	}
}

func TestChineseMenuShowsNoEnglish(t *testing.T) {
	t.Parallel()
	m := newManager(t)
	missing := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(missing.Close)
	n := newNotes()
	ui := runMenu(t, m, Options{
		Lang:            Chinese,
		Notify:          n.notify,
		OpenFolder:      func() error { return nil },
		OpenStatusPage:  func() error { return nil },
		StartAtLogin:    func() bool { return false },
		SetStartAtLogin: func(bool) error { return nil },
		Quit:            func() {},
	})
	if _, err := m.Add(downloader.JobSpec{Name: "订单 9", Files: []downloader.FileSpec{{URL: missing.URL + "/gone.zip", Name: "gone.zip"}}}); err != nil {
		t.Fatal(err)
	}
	ui.statusIs(t, "1 个失败", IconError)
	note := n.next(t)
	if want := "下载失败: 订单 9：共 1 个文件，其中 1 个失败。请打开状态页查看原因并重试。"; note != want {
		t.Errorf("notification = %q, want %q", note, want)
	}
	ui.mu.Lock()
	defer ui.mu.Unlock()
	texts := []string{ui.tooltip, note}
	for _, it := range ui.items {
		texts = append(texts, it.label, it.title, it.tip)
	}
	for _, s := range texts {
		if hasEnglish(s) {
			t.Errorf("the Chinese menu shows %q; menu: %s", s, ui.describeLocked())
		}
	}
	if got := completedMessage(Chinese, &downloader.JobInfo{Name: "订单 7", Dir: "/下载", Files: make([]downloader.FileInfo, 3)}); got != "订单 7：3 个文件，已保存到 /下载" {
		t.Errorf("completed message in Chinese = %q", got)
	}
}

func TestLangFromTheLocale(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want Lang
		ok   bool
	}{
		{"nothing set is English", nil, English, false},
		{"LANG zh_CN.UTF-8 is Chinese", map[string]string{"LANG": "zh_CN.UTF-8"}, Chinese, true},
		{"LANG zh_TW is Chinese", map[string]string{"LANG": "zh_TW.Big5"}, Chinese, true},
		{"LANG en_US is English", map[string]string{"LANG": "en_US.UTF-8"}, English, true},
		{"LANG C is English", map[string]string{"LANG": "C.UTF-8"}, English, true},
		{"LC_MESSAGES wins over LANG", map[string]string{"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, Chinese, true},
		{"LC_ALL wins over both", map[string]string{"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8", "LC_ALL": "C"}, English, true},
		{"an empty LC_ALL is not set", map[string]string{"LC_ALL": "", "LANG": "zh_SG.UTF-8"}, Chinese, true},
		{"a name that only starts with zh is not Chinese", map[string]string{"LANG": "zu_ZA.UTF-8"}, English, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := langFromEnv(func(k string) string { return tt.env[k] })
			if got != tt.want || ok != tt.ok {
				t.Errorf("langFromEnv(%v) = %q, %v; want %q, %v", tt.env, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestLangFromAppleLanguages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		out  string
		want Lang
		ok   bool
	}{
		{"(\n    \"zh-Hans-CN\",\n    \"en-US\"\n)\n", Chinese, true},
		{"(\n    \"en-GB\",\n    \"zh-Hans-CN\"\n)\n", English, true},
		{"(\n    \"zh-Hant-TW\"\n)\n", Chinese, true},
		{"(\n    en\n)\n", English, true},
		{"(\n)\n", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got, ok := langFromAppleLanguages(tt.out); got != tt.want || ok != tt.ok {
			t.Errorf("langFromAppleLanguages(%q) = %q, %v; want %q, %v", tt.out, got, ok, tt.want, tt.ok)
		}
	}
}

func TestEnglishIsTheDefault(t *testing.T) {
	t.Parallel()
	if got := (Lang("")).text(msgIdle); got != "Idle" {
		t.Errorf("the zero Lang says %q, want Idle", got)
	}
	if got := Lang("fr").files(2); got != "2 files" {
		t.Errorf("an unknown Lang says %q, want 2 files", got)
	}
}
