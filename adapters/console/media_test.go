package console

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lifeline-aid/lifeline/bot"
)

func TestParseContent(t *testing.T) {
	tests := []struct {
		in   string
		want bot.Message
		bad  bool
	}{
		{in: "[voice 12s]", want: bot.Message{Media: []bot.Media{{Kind: bot.MediaVoice, Ref: "console-voice-1", Duration: 12 * time.Second}}}},
		{in: "[voice]", want: bot.Message{Media: []bot.Media{{Kind: bot.MediaVoice, Ref: "console-voice-1"}}}},
		{in: "[photo] 药单 <急>", want: bot.Message{Text: "药单 <急>", Media: []bot.Media{{Kind: bot.MediaPhoto, Ref: "console-photo-1"}}}},
		{in: "[document 处方.pdf] 请看", want: bot.Message{Text: "请看", Media: []bot.Media{{Kind: bot.MediaDocument, Ref: "console-document-1", Name: "处方.pdf"}}}},
		{in: "[video 1m30s] flood", want: bot.Message{Text: "flood", Media: []bot.Media{{Kind: bot.MediaVideo, Ref: "console-video-1", Duration: 90 * time.Second}}}},
		{in: "[location 31.23,121.47 浦东川沙]", want: bot.Message{Location: &bot.Location{Lat: 31.23, Lon: 121.47, Title: "浦东川沙"}}},
		{in: "[location 31.23,121.47]", want: bot.Message{Location: &bot.Location{Lat: 31.23, Lon: 121.47}}},
		{in: "[contact 13812345678 王阿姨]", want: bot.Message{Contact: &bot.Contact{Phone: "13812345678", Name: "王阿姨"}}},
		{in: "[forwarded from 张三] 救命 我爸心梗", want: bot.Message{Text: "救命 我爸心梗", Forward: &bot.Forward{FromName: "张三"}}},
		{in: "[forwarded from 张三] [photo] 救命", want: bot.Message{Text: "救命", Forward: &bot.Forward{FromName: "张三"}, Media: []bot.Media{{Kind: bot.MediaPhoto, Ref: "console-photo-1"}}}},
		{in: "[link https://example.org/a 停水通知]", want: bot.Message{Link: &bot.Link{URL: "https://example.org/a", Title: "停水通知"}}},
		{in: "[急] 需要透析", want: bot.Message{Text: "[急] 需要透析"}},
		{in: "plain text [photo]", want: bot.Message{Text: "plain text [photo]"}},
		{in: "[location here]", bad: true},
		{in: "[location 91,0]", bad: true},
		{in: "[voice twelve]", bad: true},
		{in: "[contact]", bad: true},
		{in: "[forwarded 张三] x", bad: true},
		{in: "[forwarded from 张三]", bad: true},
		{in: "[link ftp://x]", bad: true},
	}
	for _, tt := range tests {
		var m bot.Message
		err := ParseContent(tt.in, &m)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseContent(%q) accepted: %+v", tt.in, m)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(m, tt.want) {
			t.Errorf("ParseContent(%q) = %+v, %v\nwant %+v", tt.in, m, err, tt.want)
		}
	}
}

func FuzzParseContent(f *testing.F) {
	for _, s := range []string{"[voice 12s]", "[location 31.23,121.47 浦东]", "[contact 1 a] b", "[forwarded from x] [photo] y", "[[]]", "[link http://a b]", "[voice -1s]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var m bot.Message
		if err := ParseContent(in, &m); err != nil {
			return
		}
		if m.Text == "" && len(m.Media) == 0 && m.Location == nil && m.Contact == nil && m.Link == nil {
			t.Fatalf("accepted an empty message from %q", in)
		}
		if utf8.ValidString(in) && !utf8.ValidString(m.Text) {
			t.Fatalf("split a rune: %q", m.Text)
		}
		for _, md := range m.Media {
			if md.Duration < 0 {
				t.Fatalf("negative duration from %q", in)
			}
		}
	})
}

func TestRunMapsMediaLines(t *testing.T) {
	in := strings.NewReader("[@王阿姨] 王阿姨: [voice 12s]\n[@王阿姨] 王阿姨: [location 31.23,121.47 浦东川沙]\n[intake] 李: [location nowhere]\n")
	var out bytes.Buffer
	var r recorder
	if err := New(Options{In: in, Out: &out}).Run(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.msgs) != 2 || len(r.msgs[0].Media) != 1 || r.msgs[0].Media[0].Duration != 12*time.Second || r.msgs[1].Location == nil || !r.msgs[1].Private {
		t.Errorf("got %+v", r.msgs)
	}
	if !strings.Contains(out.String(), "line 3 ignored: [location nowhere]: want") {
		t.Errorf("a bad tag was not explained: %q", out.String())
	}
}

func TestLongLineIsSkippedAndTheRestRead(t *testing.T) {
	long := "[intake] 王: " + strings.Repeat("很长", 700_000) // about 4 MiB
	in := strings.NewReader("[intake] 王: before\n" + long + "\n[intake] 王: after\n[intake] 王: last line without newline")
	var out bytes.Buffer
	var r recorder
	if err := New(Options{In: in, Out: &out}).Run(context.Background(), &r); err != nil {
		t.Fatalf("Run stopped: %v", err)
	}
	var texts []string
	for _, m := range r.msgs {
		texts = append(texts, m.Text)
	}
	if want := []string{"before", "after", "last line without newline"}; !reflect.DeepEqual(texts, want) {
		t.Errorf("handled %q, want %q", texts, want)
	}
	if !strings.Contains(out.String(), "line 2 skipped") || !strings.Contains(out.String(), "1048576-byte limit") {
		t.Errorf("the skipped line was not reported: %q", out.String())
	}

	// The limit is an option; a line exactly at it still goes through.
	out.Reset()
	r = recorder{}
	line := "[a] b: " + strings.Repeat("x", 13)
	err := New(Options{In: strings.NewReader(line + "\n" + line + "x\n"), Out: &out, MaxLine: len(line)}).Run(context.Background(), &r)
	if err != nil || len(r.msgs) != 1 || !strings.Contains(out.String(), "line 2 skipped") {
		t.Errorf("at the limit: %d messages, %v, %q", len(r.msgs), err, out.String())
	}
}

// batchRecorder records batches and single messages; failFirst refuses
// the first batch.
type batchRecorder struct {
	recorder
	mu        sync.Mutex
	batches   [][]bot.Message
	failFirst bool
}

func (b *batchRecorder) HandleBatch(_ context.Context, batch bot.Batch) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failFirst {
		b.failFirst = false
		return errors.New("disk full")
	}
	b.batches = append(b.batches, batch.Messages)
	return nil
}

func TestLinesReadTogetherGoAsOneBatch(t *testing.T) {
	var in strings.Builder
	for range 50 {
		in.WriteString("[intake] 王: 求助\n")
	}
	var out bytes.Buffer
	b := &batchRecorder{}
	if err := New(Options{In: strings.NewReader(in.String()), Out: &out}).Run(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, batch := range b.batches {
		total += len(batch)
	}
	if total+len(b.msgs) != 50 {
		t.Fatalf("%d lines in batches and %d alone, want 50", total, len(b.msgs))
	}
	if len(b.batches) == 0 || len(b.batches) > 10 {
		t.Errorf("%d batches for 50 piped lines", len(b.batches))
	}

	// A batch the engine refuses is tried line by line: none is lost.
	b = &batchRecorder{failFirst: true}
	if err := New(Options{In: strings.NewReader("[a] b: 1\n[a] b: 2\n[a] b: 3\n"), Out: &out}).Run(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if len(b.msgs) != 3 {
		t.Errorf("after a refused batch %d lines handled alone, want 3", len(b.msgs))
	}
}

func TestSendPrintsAttachmentsAndKeyboards(t *testing.T) {
	var out bytes.Buffer
	a := New(Options{Out: &out})
	ctx := context.Background()
	sends := []bot.OutMessage{
		{Chat: "console:volunteers", Text: "案例导出", Attachment: &bot.Attachment{Kind: bot.MediaDocument, Path: "/data/exports/x.xlsx", Name: "export.xlsx"}},
		{Chat: "console:volunteers", Text: "#12 语音求助", Attachment: &bot.Attachment{Kind: bot.MediaVoice, CopyOf: &bot.MessageRef{Chat: "console:@王阿姨", ID: "s-1"}}},
		{Chat: "console:@王阿姨", Text: "请发送位置", Keyboard: &bot.ReplyKeyboard{SharePhone: "发送电话", ShareLocation: "发送位置"}},
		{Chat: "console:@王阿姨", Text: "收到", Keyboard: &bot.ReplyKeyboard{Remove: true}},
	}
	for _, m := range sends {
		if _, err := a.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	want := "[volunteers] lifeline: [document export.xlsx] 案例导出\n" +
		"[volunteers] lifeline: [voice copy of @王阿姨#s-1] #12 语音求助\n" +
		"[@王阿姨] lifeline: 请发送位置\n    [share phone: 发送电话] [share location: 发送位置] \n" +
		"[@王阿姨] lifeline: 收到\n    [keyboard removed]\n"
	if out.String() != want {
		t.Errorf("printed\n%s\nwant\n%s", out.String(), want)
	}
}
