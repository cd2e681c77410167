package wechat

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lifeline-aid/lifeline/bot"
)

const sep = "\n- - - - - - - - - - - - - - -\n"

func TestParseQuote(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want quote
		ok   bool
	}{
		{"「李阿姨：楼下老两口还没撤出来」" + sep + "/new", quote{"李阿姨", "楼下老两口还没撤出来", "/new"}, true},
		{"「Ann: my dad fell」" + sep + "/new high", quote{"Ann", "my dad fell", "/new high"}, true},
		// The quoted words may run over lines and hold the closing mark.
		{"「王：第一行\n第二行「」里」" + sep + "收到", quote{"王", "第一行\n第二行「」里", "收到"}, true},
		{"「张三：[图片]」" + sep + "这是哪里", quote{"张三", "[图片]", "这是哪里"}, true},
		{"「张三：救命」" + sep, quote{"张三", "救命", ""}, true},
		// Not quotes: no separator, no name, a dash line that is text.
		{"「重要」请大家注意安全", quote{}, false},
		{"「：没有名字」" + sep + "x", quote{}, false},
		{"「张三救命」" + sep + "x", quote{}, false},
		{"价格 - 10 - 20\n- 30", quote{}, false},
		// A post of its own with a typed rule is not a quote.
		{"「求助：我妈妈透析两周没做了」\n-----\n详情见下", quote{}, false},
		{"「求助：我妈妈透析两周没做了」\n- - -\n详情见下", quote{}, false},
		{"", quote{}, false},
	} {
		got, ok := parseQuote(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseQuote(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestApplyQuoteKeepsTheRepliersWordsOnly(t *testing.T) {
	out := bot.Message{Text: "「李阿姨：楼下老两口还没撤出来，13812345678」" + sep + "/new"}
	applyQuote(&out, func(name string) string { return "wechat:g1/" + name })
	if out.Text != "/new" || out.Replied == nil || out.Replied.Sender != "wechat:g1/李阿姨" || out.Replied.Text != "楼下老两口还没撤出来，13812345678" {
		t.Fatalf("%+v %+v", out, out.Replied)
	}
	again := bot.Message{Text: "「李阿姨：楼下老两口还没撤出来，13812345678」" + sep + "/new high"}
	applyQuote(&again, func(name string) string { return "" })
	if again.ReplyTo != out.ReplyTo || out.ReplyTo == "" {
		t.Errorf("the same quoted message gave ids %q and %q", out.ReplyTo, again.ReplyTo)
	}
	// The bot's own message quoted back: nobody's plea.
	own := bot.Message{Text: "「Lifeline：✓ Noted as a request for help (case #4).」" + sep + "/new"}
	applyQuote(&own, func(string) string { return "" })
	if own.Replied != nil || own.Text != "/new" {
		t.Errorf("the bot's own message quoted: %+v", own)
	}
	plain := bot.Message{Text: "我妈妈透析两周没做了"}
	applyQuote(&plain, func(string) string { return "x" })
	if plain.Text != "我妈妈透析两周没做了" || plain.Replied != nil || plain.ReplyTo != "" {
		t.Errorf("a plain message changed: %+v", plain)
	}
}

func FuzzParseQuote(f *testing.F) {
	for _, s := range []string{"「李阿姨：楼下」" + sep + "/new", "「a:b」\n- - - - - - - - - -\nc", "「", "「x：" + sep, sep, "「：」\n- -\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, ok := parseQuote(s)
		if !ok {
			return
		}
		if strings.TrimSpace(q.name) == "" || strings.ContainsAny(q.name, "：:") || !strings.HasPrefix(s, "「") {
			t.Errorf("parseQuote(%q) = %+v", s, q)
		}
		if utf8.ValidString(s) && (!utf8.ValidString(q.name) || !utf8.ValidString(q.text) || !utf8.ValidString(q.reply)) {
			t.Errorf("invalid UTF-8 out of valid input: %+v", q)
		}
		if len(q.name)+len(q.text)+len(q.reply) > len(s) {
			t.Errorf("parts longer than the input: %+v", q)
		}
	})
}
