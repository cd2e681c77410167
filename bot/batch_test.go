package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
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

// A page mixing chatter, pleas and a command is recorded with its state:
// every plea alerted, the command answered in order, every sender known;
// a page that repeats part of an earlier one records only what is new.
func TestHandleBatchGroupCommitsAMixedPage(t *testing.T) {
	h := newHarness(t)
	var msgs []bot.Message
	for i := range 60 {
		m := bot.Message{Chat: "console:intake", ID: fmt.Sprint("p", i), Sender: fmt.Sprint("console:u", i), SenderName: fmt.Sprint("u", i),
			Time: h.now(), Text: "大家注意安全，今天有雨"}
		switch i {
		case 10:
			m.Text = "外婆突然昏迷不醒，叫不到救护车，闵行莘庄，电话13912345672"
		case 30:
			m.Text = "/help"
		case 50:
			m.Text = "My father had a stroke, face drooping, can't speak, 12 Oak Street, +1 415 555 0100"
		}
		msgs = append(msgs, m)
	}
	page := bot.Batch{Messages: msgs, State: []bot.StateWrite{{Key: "test:offset", Value: []byte("60")}}}
	if err := h.e.HandleBatch(context.Background(), page); err != nil {
		t.Fatal(err)
	}
	out := h.flush()
	mustContain(t, out, "case #1", "case #2", "/help", "13912345672", "555 0100")
	if v, _ := h.st.GetState(context.Background(), "test:offset"); string(v) != "60" {
		t.Errorf("offset %q after the page", v)
	}
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		for _, i := range []int{0, 29, 59} {
			if _, err := tx.Person(fmt.Sprint("console:u", i)); err != nil {
				return fmt.Errorf("sender u%d: %w", i, err)
			}
			if seen, err := tx.Seen(store.MessageKey{Chat: "console:intake", ID: fmt.Sprint("p", i)}); err != nil || !seen {
				return fmt.Errorf("message p%d not recorded as seen: %v", i, err)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The next page repeats the last 20 messages (an offset not confirmed)
	// and brings one new plea: only the plea is new.
	next := append(append([]bot.Message(nil), msgs[40:]...), bot.Message{Chat: "console:intake", ID: "p60", Sender: "console:u60",
		Time: h.now(), Text: "孕妇羊水破了要生了，出不了小区，徐汇田林，13712345673"})
	if err := h.e.HandleBatch(context.Background(), bot.Batch{Messages: next, State: []bot.StateWrite{{Key: "test:offset", Value: []byte("61")}}}); err != nil {
		t.Fatal(err)
	}
	out = h.flush()
	mustContain(t, out, "case #3", "13712345673")
	mustNotContain(t, out, "555 0100", "/help")
	if n := h.countCases(); n != 3 {
		t.Errorf("%d cases, want 3", n)
	}
	if v, _ := h.st.GetState(context.Background(), "test:offset"); string(v) != "61" {
		t.Errorf("offset %q after the second page", v)
	}
}

// A page of commands from one person is throttled as if they came one by
// one: a burst is answered, the rest are recorded with one notice.
func TestHandleBatchThrottlesAPageOfCommands(t *testing.T) {
	h := newHarness(t, func(o *bot.Options) { o.Throttle = bot.ThrottleOptions{SenderPerMinute: 5} })
	var msgs []bot.Message
	for i := range 100 {
		msgs = append(msgs, bot.Message{Chat: "console:intake", ID: fmt.Sprint("c", i), Sender: "console:spam", SenderName: "spam", Time: h.now(), Text: "/help"})
	}
	msgs = append(msgs, bot.Message{Chat: "console:intake", ID: "plea", Sender: "console:chen", Time: h.now(),
		Text: "外婆突然昏迷不醒，叫不到救护车，闵行莘庄，电话13912345672"})
	if err := h.e.HandleBatch(context.Background(), bot.Batch{Messages: msgs}); err != nil {
		t.Fatal(err)
	}
	out := h.flush()
	if n := strings.Count(out, "faster than I can answer"); n != 1 {
		t.Errorf("%d notices, want 1", n)
	}
	mustContain(t, out, "13912345672")
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		seen, err := tx.Seen(store.MessageKey{Chat: "console:intake", ID: "c99"})
		if err == nil && !seen {
			err = fmt.Errorf("throttled command not recorded")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
