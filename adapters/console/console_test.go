package console

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/lifeline-aid/lifeline/bot"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		line, chat, sender, text string
		bad                      bool
	}{
		{line: "[intake] 王阿姨: 我妈妈透析两周没做了", chat: "intake", sender: "王阿姨", text: "我妈妈透析两周没做了"},
		{line: "[intake] 王阿姨：全角冒号也行", chat: "intake", sender: "王阿姨", text: "全角冒号也行"},
		{line: "[@王阿姨] 王阿姨: help: my mum", chat: "@王阿姨", sender: "王阿姨", text: "help: my mum"},
		{line: "  [volunteers]  Li Wei :  /claim 3  ", chat: "volunteers", sender: "Li Wei", text: "/claim 3"},
		{line: "\ufeff[intake] a: b", chat: "intake", sender: "a", text: "b"},
		{line: "intake 王阿姨: no brackets", bad: true},
		{line: "[intake 王阿姨: unclosed", bad: true},
		{line: "[intake] no colon here", bad: true},
		{line: "[] a: b", bad: true},
		{line: "[@] a: b", bad: true},
		{line: "[intake] : empty sender", bad: true},
		{line: "[intake] a:   ", bad: true},
	}
	for _, tt := range tests {
		chat, sender, text, err := ParseLine(tt.line)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseLine(%q) accepted: %q %q %q", tt.line, chat, sender, text)
			}
			continue
		}
		if err != nil || chat != tt.chat || sender != tt.sender || text != tt.text {
			t.Errorf("ParseLine(%q) = %q, %q, %q, %v; want %q, %q, %q", tt.line, chat, sender, text, err, tt.chat, tt.sender, tt.text)
		}
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"[intake] 王阿姨: 我妈妈透析两周没做了", "[@a] b：c", "[x]", "[", "[a] b:", "\xff[a] b: c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		chat, sender, text, err := ParseLine(line)
		if err != nil {
			return
		}
		if chat == "" || sender == "" || text == "" {
			t.Fatalf("accepted empty part: %q %q %q", chat, sender, text)
		}
		if utf8.ValidString(line) && (!utf8.ValidString(chat) || !utf8.ValidString(sender) || !utf8.ValidString(text)) {
			t.Fatalf("split a rune: %q %q %q", chat, sender, text)
		}
	})
}

type recorder struct {
	mu   sync.Mutex
	msgs []bot.Message
}

func (r *recorder) HandleMessage(_ context.Context, m bot.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	return nil
}

func TestRunMapsLinesToMessages(t *testing.T) {
	in := strings.NewReader("[intake] 王阿姨: 救命\n# a comment\n\nnot a line\n[@Tom] Tom: hi\n")
	var out bytes.Buffer
	a := New(Options{In: in, Out: &out})
	var r recorder
	if err := a.Run(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.msgs) != 2 {
		t.Fatalf("got %d messages, want 2: %+v", len(r.msgs), r.msgs)
	}
	g, p := r.msgs[0], r.msgs[1]
	if g.Chat != "console:intake" || g.Private || g.Sender != "console:王阿姨" || g.Text != "救命" {
		t.Errorf("group message mapped to %+v", g)
	}
	if p.Chat != "console:@Tom" || !p.Private || p.Sender != "console:Tom" {
		t.Errorf("private message mapped to %+v", p)
	}
	if g.ID == p.ID || g.ID == "" {
		t.Errorf("message ids %q and %q must be distinct", g.ID, p.ID)
	}
	if !strings.Contains(out.String(), "line 4 ignored") {
		t.Errorf("a malformed line was not reported: %q", out.String())
	}
}

func TestSendFormatsLinesAndButtons(t *testing.T) {
	var out bytes.Buffer
	a := New(Options{Out: &out})
	id, err := a.Send(context.Background(), bot.OutMessage{
		Chat: "console:volunteers", Text: "🔴 CRITICAL · case #1\nWhere: 浦东",
		Buttons: [][]bot.Button{{{Label: "Claim", Data: "/claim 1"}}},
	})
	if err != nil || id == "" {
		t.Fatalf("send: %q, %v", id, err)
	}
	want := "[volunteers] lifeline: 🔴 CRITICAL · case #1\n    Where: 浦东\n    [Claim: /claim 1] \n"
	if out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
	out.Reset()
	if _, err := a.Send(context.Background(), bot.OutMessage{Chat: "console:volunteers", Text: "new", EditOf: id}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "[volunteers] lifeline (edits "+id+"): new") {
		t.Errorf("edit printed as %q", out.String())
	}
}
