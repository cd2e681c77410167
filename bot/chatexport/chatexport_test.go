package chatexport

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lifeline-aid/lifeline/triage"
)

var shanghai = time.FixedZone("CST", 8*3600)

const telegramJSON = `{
 "name": "浦东互助群",
 "type": "private_supergroup",
 "id": 1234567,
 "messages": [
  {"id": 1, "type": "service", "date": "2022-04-10T09:00:00", "date_unixtime": "1649552400", "actor": "Li", "action": "join_group_by_link", "text": ""},
  {"id": 2, "type": "message", "date": "2022-04-10T09:30:00", "date_unixtime": "1649554200", "from": "王阿姨", "from_id": "user11",
   "text": ["求助！我父亲需要透析，", {"type": "bold", "text": "已经两周没透析了"}, "，浦东川沙，电话13812345678"]},
  {"id": 3, "type": "message", "date": "2022-04-10T09:31:00", "date_unixtime": "1649554260", "from": "Li", "text": "收到，谢谢大家"},
  {"id": 4, "type": "message", "date": "2022-04-10T09:32:00", "date_unixtime": "1649554320", "from": "Ann", "photo": "photos/1.jpg",
   "caption": "my mother ran out of insulin, call 13912340000", "text": ""}
 ]
}`

const wechatText = `微信聊天记录导出
聊天对象：浦东互助1群
————— 2022-04-10 —————
2022-04-10 09:30:15 王阿姨
求助！我父亲需要透析，已经两周没透析了，
浦东川沙，电话13812345678

2022-04-10 09:31:02 李四
大家好，今天团购的菜到了

赵女士 2022-04-10 09:35:40
救命！我妈妈昏迷了，叫不醒，宝山区，电话13711112222
`

func TestParseTelegram(t *testing.T) {
	msgs, f, err := Parse([]byte(telegramJSON), "result", shanghai)
	if err != nil || f != Telegram {
		t.Fatalf("%v, %v", f, err)
	}
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want 3 (the join is not one): %+v", len(msgs), msgs)
	}
	m := msgs[0]
	if m.Chat != "浦东互助群" || m.ID != "2" || m.Sender != "王阿姨" || m.Text != "求助！我父亲需要透析，已经两周没透析了，浦东川沙，电话13812345678" ||
		m.At.In(shanghai).Format("2006-01-02 15:04") != "2022-04-10 09:30" {
		t.Errorf("message 2: %+v", m)
	}
	if msgs[2].Text != "my mother ran out of insulin, call 13912340000" {
		t.Errorf("a photo's caption is its text: %+v", msgs[2])
	}
	// A full export (all chats) reads too.
	full := `{"chats": {"list": [` + telegramJSON + `]}}`
	if msgs, _, err := Parse([]byte(full), "result", shanghai); err != nil || len(msgs) != 3 {
		t.Errorf("full export: %d, %v", len(msgs), err)
	}
	if _, _, err := Parse([]byte(`{"name": 3`), "x", shanghai); err == nil {
		t.Error("broken JSON parsed")
	}
}

func TestParseWeChat(t *testing.T) {
	msgs, f, err := Parse([]byte(wechatText), "浦东互助1群", shanghai)
	if err != nil || f != WeChat {
		t.Fatalf("%v, %v", f, err)
	}
	if len(msgs) != 3 {
		t.Fatalf("%d messages: %+v", len(msgs), msgs)
	}
	if m := msgs[0]; m.Sender != "王阿姨" || m.Text != "求助！我父亲需要透析，已经两周没透析了，\n浦东川沙，电话13812345678" ||
		m.At.Format("2006-01-02 15:04:05") != "2022-04-10 09:30:15" || m.Chat != "浦东互助1群" {
		t.Errorf("first: %+v", m)
	}
	if m := msgs[2]; m.Sender != "赵女士" || !strings.HasPrefix(m.Text, "救命") {
		t.Errorf("name-first header: %+v", m)
	}
	if _, _, err := Parse([]byte("just some text\nwithout headers"), "x", shanghai); err == nil {
		t.Error("text without messages parsed")
	}
}

func TestParseConsole(t *testing.T) {
	msgs, f, err := Parse([]byte("[intake] 王阿姨: 求助，电话13812345678\nnoise\n[intake2] Ann：hi\n"), "x", shanghai)
	if err != nil || f != Console || len(msgs) != 2 || msgs[1].Chat != "intake2" || msgs[1].Text != "hi" {
		t.Errorf("%v %v %+v", f, err, msgs)
	}
}

func TestScanFindsPleasMostUrgentFirst(t *testing.T) {
	msgs, _, _ := Parse([]byte(wechatText), "群", shanghai)
	var calls []int
	pleas := Scan(msgs, triage.Default(), func(done, total int) { calls = append(calls, done) })
	if len(pleas) != 2 || pleas[0].Sender != "王阿姨" && pleas[0].Sender != "赵女士" {
		t.Fatalf("pleas: %+v", pleas)
	}
	if pleas[0].Assessment.Urgency != triage.Critical || calls[len(calls)-1] != 3 {
		t.Errorf("pleas %+v, progress %v", pleas, calls)
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, pleas, shanghai); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("Pleas")
	if len(rows) != 3 || rows[0][8] != "Request" || rows[1][4] != "critical" {
		t.Errorf("rows %v", rows)
	}
	buf.Reset()
	pleas[0].Text = "=cmd|' /C calc'!A0 " + pleas[0].Text
	if err := WriteCSV(&buf, pleas, shanghai); err != nil || !strings.Contains(buf.String(), `"'=cmd`) {
		t.Errorf("csv: %v %q", err, buf.String())
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(telegramJSON))
	f.Add([]byte(wechatText))
	f.Add([]byte("[a] b: c"))
	f.Add([]byte(`{"messages":[{"text":[1,{"text":2}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs, _, err := Parse(data, "x", time.UTC)
		if err != nil {
			return
		}
		for _, m := range msgs {
			if strings.TrimSpace(m.Text) == "" {
				t.Fatalf("an empty message: %+v", m)
			}
		}
	})
}
