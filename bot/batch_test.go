package bot_test

import (
	"context"
	"testing"

	"github.com/lifeline-aid/lifeline/bot"
)

func TestHandleBatchRecordsMessagesThenState(t *testing.T) {
	h := newHarness(t)
	b := bot.Batch{
		Messages: []bot.Message{
			{Chat: "console:intake", ID: "b1", Sender: "console:chen", SenderName: "小陈", Time: h.now(),
				Text: "外婆突然昏迷不醒，叫不到救护车，闵行莘庄，电话13912345672"},
			{Chat: "console:intake", ID: "b2", Sender: "console:li", SenderName: "li", Time: h.now(), Text: "大家注意安全"},
		},
		State: []bot.StateWrite{{Key: "test:offset", Value: []byte("42")}},
	}
	if err := h.e.HandleBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	mustContain(t, h.flush(), "[volunteers] lifeline:", "case #1")
	v, err := h.st.GetState(context.Background(), "test:offset")
	if err != nil || string(v) != "42" {
		t.Errorf("adapter state = %q, %v; want 42", v, err)
	}
	// The same batch redelivered changes nothing.
	if err := h.e.HandleBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if out := h.flush(); out != "" || h.countCases() != 1 {
		t.Errorf("redelivered batch: %d cases, output %q", h.countCases(), out)
	}
}
