package telegram

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/lifeline-aid/lifeline/adapters/telegram/telegramtest"
	"github.com/lifeline-aid/lifeline/bot"
)

const groupRef, groupID = "telegram:-1001000000001", int64(-1001000000001)

func TestSendEscapesUserText(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, nil)
	texts := []string{
		`<b>not bold</b> & <script>alert(1)</script> *stars* _under_ [link](http://x) &amp; &lt; 1<2>3`,
		"急需透析 <透析中心> & 药 *_*",
		"a & b",
	}
	for _, text := range texts {
		id, err := a.Send(t.Context(), bot.OutMessage{Chat: groupRef, Text: text})
		if err != nil {
			t.Fatalf("Send(%q): %v", text, err)
		}
		n, _ := strconv.Atoi(id)
		got, ok := srv.Message(groupID, n)
		if !ok {
			t.Fatalf("message %s not recorded", id)
		}
		if got.Text != text {
			t.Errorf("reader sees %q, want %q", got.Text, text)
		}
		if got.ParseMode != "HTML" {
			t.Errorf("parse mode %q, want HTML", got.ParseMode)
		}
		if strings.Contains(got.Raw, "<b>") || strings.Contains(got.Raw, "<script") {
			t.Errorf("markup reached Telegram unescaped: %q", got.Raw)
		}
	}
}

func TestSendSplitsLongTextOnLines(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, nil)
	var lines []string
	for i := 0; len(strings.Join(lines, "\n")) < 5200; i++ {
		lines = append(lines, "#"+strconv.Itoa(i)+" 等待透析 & <urgent> "+strings.Repeat("x", 40))
	}
	text := strings.Join(lines, "\n")
	id, err := a.Send(t.Context(), bot.OutMessage{Chat: groupRef, Text: text,
		Buttons: [][]bot.Button{{{Label: "Claim", Data: "/claim 42"}}}})
	if err != nil {
		t.Fatal(err)
	}
	sent := srv.SentTo(groupID)
	if len(sent) != 2 {
		t.Fatalf("sent %d messages, want 2", len(sent))
	}
	for i, m := range sent {
		if n := len(utf16.Encode([]rune(m.Text))); n >= 4096 {
			t.Errorf("part %d is %d UTF-16 units, want < 4096", i, n)
		}
	}
	if joined := sent[0].Text + "\n" + sent[1].Text; joined != text {
		t.Errorf("parts do not rejoin on a line boundary into the original text")
	}
	if len(sent[0].Keyboard) != 0 || len(sent[1].Keyboard) != 1 {
		t.Errorf("keyboard should be under the last part only: %v / %v", sent[0].Keyboard, sent[1].Keyboard)
	}
	if id != strconv.Itoa(sent[1].MessageID) {
		t.Errorf("returned id %s, want the last part's %d", id, sent[1].MessageID)
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		limit int
		want  []string
	}{
		{"short", "abc", 10, []string{"abc"}},
		{"lines", "aaa\nbbb\nccc", 7, []string{"aaa\nbbb", "ccc"}},
		{"long line on spaces", "aaaa bbbb cccc", 10, []string{"aaaa bbbb ", "cccc"}},
		{"no spaces", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"wide runes count twice", "😀😀😀", 4, []string{"😀😀", "😀"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Split(tt.text, tt.limit); !equal(got, tt.want) {
				t.Errorf("Split(%q, %d) = %q, want %q", tt.text, tt.limit, got, tt.want)
			}
		})
	}
}

func TestSendClassifiesErrors(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, nil)
	tests := []struct {
		name      string
		failure   telegramtest.Failure
		permanent bool
		after     time.Duration // RetryAfterError wanted when > 0
	}{
		{"429 retry_after", telegramtest.Failure{Code: 429, RetryAfter: 7}, false, 7 * time.Second},
		{"403 blocked", telegramtest.Failure{Code: 403}, true, 0},
		{"403 kicked", telegramtest.Failure{Code: 403, Description: "Forbidden: bot was kicked from the supergroup chat"}, true, 0},
		{"400 chat not found", telegramtest.Failure{Code: 400}, true, 0},
		{"500", telegramtest.Failure{Code: 500}, false, 0},
		{"502", telegramtest.Failure{Code: 502}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.failure
			f.Method, f.Chat, f.Times = "sendMessage", groupID, 1
			srv.Fail(f)
			_, err := a.Send(t.Context(), bot.OutMessage{Chat: groupRef, Text: "hello"})
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if got := errors.Is(err, bot.ErrPermanent); got != tt.permanent {
				t.Errorf("permanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			var ra *bot.RetryAfterError
			if got := errors.As(err, &ra); got != (tt.after > 0) || got && ra.After != tt.after {
				t.Errorf("retry after = %v (%v), want %v", got, err, tt.after)
			}
			if !strings.Contains(err.Error(), groupRef) || containsToken(err.Error(), srv.Token) {
				t.Errorf("error should name the chat and hide the token: %v", err)
			}
		})
	}
	t.Run("network error", func(t *testing.T) {
		dead := telegramtest.NewServer(t)
		b := newAdapter(t, dead, nil)
		dead.Close()
		_, err := b.Send(t.Context(), bot.OutMessage{Chat: groupRef, Text: "hello"})
		var ra *bot.RetryAfterError
		if err == nil || errors.Is(err, bot.ErrPermanent) || errors.As(err, &ra) {
			t.Errorf("network error should be plain (retry with backoff), got %v", err)
		}
		if containsToken(err.Error(), dead.Token) {
			t.Errorf("error leaks the token: %v", err)
		}
	})
	t.Run("callback data too long", func(t *testing.T) {
		before := len(srv.SentTo(groupID))
		_, err := a.Send(t.Context(), bot.OutMessage{Chat: groupRef, Text: "alert",
			Buttons: [][]bot.Button{{{Label: "long", Data: strings.Repeat("d", 65)}, {Label: "Claim", Data: "/claim 1"}}}})
		if err != nil {
			t.Fatalf("a bad button cost the message: %v", err)
		}
		s := srv.SentTo(groupID)[before:]
		if len(s) != 1 || len(s[0].Keyboard) != 1 || len(s[0].Keyboard[0]) != 1 || s[0].Keyboard[0][0].Data != "/claim 1" {
			t.Errorf("sent %+v, want the message with the good button only", s)
		}
	})
}

func TestFakeServerEnforcesRateLimits(t *testing.T) {
	srv := telegramtest.NewServer(t)
	srv.SetLimits(telegramtest.Limits{
		Global:     telegramtest.Rate{N: 30, Period: time.Second},
		PerGroup:   telegramtest.Rate{N: 3, Period: 2 * time.Second},
		PerPrivate: telegramtest.Rate{N: 1, Period: time.Second},
	})
	a := newAdapter(t, srv, nil)
	send := func(chat string) error {
		_, err := a.Send(t.Context(), bot.OutMessage{Chat: chat, Text: "hi"})
		return err
	}
	if err := send("telegram:7"); err != nil {
		t.Fatal(err)
	}
	var ra *bot.RetryAfterError
	if err := send("telegram:7"); !errors.As(err, &ra) || ra.After != time.Second {
		t.Errorf("second private message in a second: %v, want retry after 1s", err)
	}
	for i := range 3 {
		if err := send(groupRef); err != nil {
			t.Fatalf("group message %d: %v", i, err)
		}
	}
	if err := send(groupRef); !errors.As(err, &ra) || ra.After != 2*time.Second {
		t.Errorf("fourth group message: %v, want retry after 2s", err)
	}
	if srv.RateLimited() != 2 {
		t.Errorf("server refused %d messages, want 2", srv.RateLimited())
	}
	if err := send("telegram:8"); err != nil {
		t.Errorf("another private chat is not limited: %v", err)
	}
}

func TestSendEditsInPlace(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, nil)
	buttons := [][]bot.Button{{{Label: "Claim", Data: "/claim 42"}, {Label: "Resolve", Data: "/resolve 42"}}}
	id, err := a.Send(t.Context(), bot.OutMessage{Chat: groupRef, Text: "#42 new", Buttons: buttons})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(id)
	got, err := a.Send(t.Context(), bot.OutMessage{Chat: groupRef, EditOf: id, Text: "#42 claimed by <Ann>", Buttons: buttons})
	if err != nil || got != id {
		t.Fatalf("edit = %q, %v; want %q, nil", got, err, id)
	}
	m, _ := srv.Message(groupID, n)
	if m.Text != "#42 claimed by <Ann>" || len(m.Keyboard) != 1 || len(m.Keyboard[0]) != 2 || m.Keyboard[0][0].Data != "/claim 42" {
		t.Errorf("after edit: %+v", m)
	}
	// Pressing twice makes the same edit: Telegram says "not modified".
	if _, err := a.Send(t.Context(), bot.OutMessage{Chat: groupRef, EditOf: id, Text: "#42 claimed by <Ann>", Buttons: buttons}); err != nil {
		t.Errorf("an edit that changes nothing should succeed: %v", err)
	}
	if len(srv.SentTo(groupID)) != 1 {
		t.Errorf("edits sent new messages")
	}
	// A resolved card has no buttons left.
	if _, err := a.Send(t.Context(), bot.OutMessage{Chat: groupRef, EditOf: id, Text: "#42 resolved"}); err != nil {
		t.Fatal(err)
	}
	if m, _ := srv.Message(groupID, n); len(m.Keyboard) != 0 {
		t.Errorf("keyboard kept after an edit without buttons: %v", m.Keyboard)
	}
	// The card was deleted: the new state is posted instead.
	newID, err := a.Send(t.Context(), bot.OutMessage{Chat: groupRef, EditOf: "999", Text: "#42 resolved", Buttons: buttons})
	if err != nil || newID == "999" || newID == "" {
		t.Fatalf("editing a deleted message = %q, %v; want a new message", newID, err)
	}
	if s := srv.SentTo(groupID); len(s) != 2 || s[1].Text != "#42 resolved" || len(s[1].Keyboard) != 1 {
		t.Errorf("after editing a deleted message, sent %+v", s)
	}
}

func TestSendThreadAndCallbackToast(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, func(o *Options) { o.CallbackAnswerDelay = time.Minute })
	rec := &recorder{}
	start(t, a, rec)
	if _, err := a.Send(t.Context(), bot.OutMessage{Chat: groupRef, Thread: "1001", Text: "in topic"}); err != nil {
		t.Fatal(err)
	}
	if s := srv.SentTo(groupID); len(s) != 1 || s[0].Thread != 1001 {
		t.Fatalf("sent %+v, want one message in thread 1001", s)
	}
	u := srv.PushCallback(telegramtest.Group(groupID, "g"), telegramtest.User(7, "Ann"), 1, "/resolve 1")
	waitFor(t, "callback handled", func() bool { return a.LastHandled() >= u.ID })
	id, err := a.Send(t.Context(), bot.OutMessage{Chat: groupRef, CallbackID: u.CallbackQuery.ID, Answer: "Only coordinators can resolve"})
	if err != nil || id != "" {
		t.Fatalf("toast = %q, %v", id, err)
	}
	if text, ok := srv.Answer(u.CallbackQuery.ID); !ok || text != "Only coordinators can resolve" {
		t.Errorf("callback answered %v with %q", ok, text)
	}
	if len(srv.SentTo(groupID)) != 1 {
		t.Errorf("a toast posted a message")
	}
	// A second answer (the adapter's own, or a retried toast) is not sent.
	if _, err := a.Send(t.Context(), bot.OutMessage{Chat: groupRef, CallbackID: u.CallbackQuery.ID, Answer: "again"}); err != nil {
		t.Error(err)
	}
	if n := len(srv.Calls("answerCallbackQuery")); n != 1 {
		t.Errorf("answerCallbackQuery called %d times, want 1", n)
	}
}

func TestSendResumesLongMessageAfterRateLimit(t *testing.T) {
	srv := telegramtest.NewServer(t)
	srv.SetLimits(telegramtest.Limits{PerGroup: telegramtest.Rate{N: 1, Period: time.Hour}})
	a := newAdapter(t, srv, nil)
	text := strings.Repeat("line of a long digest\n", 300)
	m := bot.OutMessage{Chat: groupRef, Text: text}
	_, err := a.Send(t.Context(), m)
	var ra *bot.RetryAfterError
	if !errors.As(err, &ra) {
		t.Fatalf("second part: %v, want a 429", err)
	}
	srv.SetLimits(telegramtest.Limits{})
	id, err := a.Send(t.Context(), m) // the outbox's retry
	if err != nil {
		t.Fatal(err)
	}
	sent := srv.SentTo(groupID)
	if len(sent) != 2 || sent[0].Text+"\n"+sent[1].Text != strings.TrimSuffix(text, "\n") {
		t.Fatalf("sent %d parts; want each part once", len(sent))
	}
	if id != strconv.Itoa(sent[1].MessageID) {
		t.Errorf("id %s, want the last part's", id)
	}
	// Sent again later (a new message with the same text), it goes out whole.
	if _, err := a.Send(t.Context(), m); err != nil || len(srv.SentTo(groupID)) != 4 {
		t.Errorf("resending a complete message: %v, %d sent", err, len(srv.SentTo(groupID)))
	}
}

func TestSendFollowsGroupMigration(t *testing.T) {
	srv := telegramtest.NewServer(t)
	srv.Migrate(-4001, -1004001)
	a := newAdapter(t, srv, nil)
	if _, err := a.Send(t.Context(), bot.OutMessage{Chat: "telegram:-4001", Text: "alert"}); err != nil {
		t.Fatalf("send to a migrated group: %v", err)
	}
	if s := srv.SentTo(-1004001); len(s) != 1 || s[0].Text != "alert" {
		t.Errorf("sent to the supergroup: %+v", s)
	}
}
