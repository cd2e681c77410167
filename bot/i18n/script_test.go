package i18n

import (
	"strings"
	"testing"
)

func TestScriptFollowsHowAPersonWrites(t *testing.T) {
	for _, tc := range []struct{ lang, text, want string }{
		{"zh", "我阿媽喺屋企跌倒咗，起唔到身", Traditional},
		{"zh", "我妈妈跌倒了", "zh"},
		{Traditional, "12345678", Traditional}, // nothing to tell by
		{Traditional, "好的，謝謝", Traditional},
		{Traditional, "我们在浦东，请联系", "zh"},
		{"en", "我阿媽喺屋企跌倒咗", "en"}, // an English speaker stays English
	} {
		if got := Script(tc.lang, tc.text); got != tc.want {
			t.Errorf("Script(%s, %q) = %s; want %s", tc.lang, tc.text, got, tc.want)
		}
	}
}

func TestTraditionalRepliesAreTheChineseOnesConverted(t *testing.T) {
	got := T(Traditional, "Your request is registered as #%d.", 7)
	if got != "您的求助已登記，編號 #7。" {
		t.Errorf("T(Traditional) = %q", got)
	}
	if v := Vulnerable(Traditional, "infant"); v != "嬰兒" {
		t.Errorf("Vulnerable(Traditional) = %q", v)
	}
	if !IsChinese(Traditional) || IsChinese("en") {
		t.Error("IsChinese")
	}
	for _, k := range []string{"voice", "photo", "document", "video", "sticker", "audio"} {
		if en := MediaKind("en", k); strings.HasPrefix(en, "media:") {
			t.Errorf("no English for %s", k)
		}
		if zh := MediaKind("zh", k); strings.HasPrefix(zh, "media:") {
			t.Errorf("no Chinese for %s", k)
		}
	}
}

// Every triage category has a name in both languages: a card must never
// show "cat:shelter".
func TestEveryCategoryIsNamed(t *testing.T) {
	for _, c := range Categories {
		for _, lang := range []string{"en", "zh"} {
			if name := Category(lang, c); strings.HasPrefix(name, "cat:") {
				t.Errorf("category %s has no %s name", c, lang)
			}
		}
	}
}
