package triage

import (
	"sort"
	"testing"
	"unicode/utf8"
)

func TestToTraditional(t *testing.T) {
	cases := map[string]string{
		"已收到你的求助，志愿者会尽快联系你。":             "已收到你的求助，志願者會儘快聯繫你。",
		"请告诉我们你在哪里，以及志愿者可以打哪个电话联系你。":     "請告訴我們你在哪裡，以及志願者可以打哪個電話聯繫你。",
		"如有生命危险，请立即拨打120。":               "如有生命危險，請立即撥打120。",
		"我的头发湿了，面条里有一只虫":                 "我的頭髮溼了，麵條裡有一隻蟲",
		"后来他系好了鞋带":                       "後來他繫好了鞋帶",
		"为了联系你，我们需要你的电话号码":               "為了聯繫你，我們需要你的電話號碼",
		"你的求助已经解决了吗？回复“是”或“否”":           "你的求助已經解決了嗎？回覆“是”或“否”",
		"请不要着急，着凉了要多喝水":                  "請不要著急，著涼了要多喝水",
		"这条和已登记的求助 #12 是同一件事":            "這條和已登記的求助 #12 是同一件事",
		"Your request #12 was received.": "Your request #12 was received.",
		"電話已收到":                          "電話已收到",
		"":                               "",
	}
	for in, want := range cases {
		if got := ToTraditional(in); got != want {
			t.Errorf("ToTraditional(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

func TestIsTraditional(t *testing.T) {
	cases := map[string]bool{
		"我阿媽喺屋企跌倒咗，起唔到身…叫唔到白車": true,
		"外婆的藥吃完了，請幫忙":          true,
		"電話":                   true,
		"我阿妈在家摔倒了，起不来":         false,
		"外婆的药吃完了，请帮忙":          false,
		"你好":                   false, // the same in both scripts
		"Hello, 123":           false,
		"":                     false,
		// Mostly Simplified with one Traditional character: Simplified.
		"我妈需要药，电话13812345678，謝谢": false,
	}
	for in, want := range cases {
		if got := IsTraditional(in); got != want {
			t.Errorf("IsTraditional(%q) = %v, want %v", in, got, want)
		}
	}
	// Every reply converted is read as Traditional.
	for _, s := range []string{"已收到你的求助，志愿者会尽快联系你。", "请告诉我们你在哪里"} {
		if !IsTraditional(ToTraditional(s)) {
			t.Errorf("IsTraditional(ToTraditional(%q)) = false", s)
		}
	}
}

func TestS2TTablesAreSorted(t *testing.T) {
	if !sort.SliceIsSorted(s2tPairs[:], func(i, j int) bool { return s2tPairs[i][0] < s2tPairs[j][0] }) {
		t.Fatal("s2tPairs is not sorted: regenerate it (go generate -run s2t)")
	}
	if tb := s2t(); len(tb.phrases) < 1000 || tb.maxLen < 2 {
		t.Fatalf("s2t phrases: %d, longest %d", len(tb.phrases), tb.maxLen)
	}
}

func FuzzToTraditional(f *testing.F) {
	f.Add("已收到你的求助，志愿者会尽快联系你。")
	f.Add("头发一只后来系")
	f.Add("\xff头\xfe发")
	f.Fuzz(func(t *testing.T, s string) {
		out := ToTraditional(s)
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out: %q", out)
		}
		// Conversion is character for character: the same number of
		// runes, and non-Han runes where they were.
		in, got := []rune(s), []rune(out)
		if len(in) != len(got) {
			t.Fatalf("%d runes in, %d out: %q → %q", len(in), len(got), s, out)
		}
		for i := range in {
			if in[i] < 0x2E80 && in[i] != got[i] {
				t.Fatalf("rune %d changed: %q → %q", i, in[i], got[i])
			}
		}
		_ = IsTraditional(s)
	})
}

func BenchmarkToTraditional(b *testing.B) {
	s := "已收到你的求助，志愿者会尽快联系你。请告诉我们你在哪里，以及志愿者可以打哪个电话联系你。"
	s2t()
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		_ = ToTraditional(s)
	}
}
