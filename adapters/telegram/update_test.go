package telegram

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/lifeline-aid/lifeline/adapters/telegram/telegramtest"
	"github.com/lifeline-aid/lifeline/bot"
)

func TestNewRejectsBadTokenWithoutLeakingIt(t *testing.T) {
	srv := telegramtest.NewServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	const bad = "999:wrong-secret-token"
	_, err := New(ctx, Options{Token: bad, APIURL: srv.URL, PollTimeout: time.Second})
	if err == nil {
		t.Fatal("New with a bad token succeeded")
	}
	if containsToken(err.Error(), bad) {
		t.Errorf("error leaks the token: %v", err)
	}

	// An unreachable API: the server is closed, so the connection is refused.
	dead := telegramtest.NewServer(t)
	dead.Close()
	_, err = New(ctx, Options{Token: dead.Token, APIURL: dead.URL, PollTimeout: time.Second})
	if err == nil {
		t.Fatal("New against a dead API succeeded")
	}
	if containsToken(err.Error(), dead.Token) {
		t.Errorf("error leaks the token: %v", err)
	}
}

func containsToken(s, token string) bool {
	_, secret, _ := cut(token)
	return secret != "" && contains(s, secret)
}

func cut(token string) (string, string, bool) {
	for i := range token {
		if token[i] == ':' {
			return token[:i], token[i+1:], true
		}
	}
	return token, "", false
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestUpdateMapping(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, nil)
	rec := &recorder{}
	start(t, a, rec)

	group := telegramtest.Group(-1001000000001, "浦东互助1群")
	forum := telegramtest.Forum(-1001000000002, "Volunteers")
	legacy := telegramtest.Group(-4001, "Old group")
	ann := telegramtest.User(7, "Ann")
	private := telegramtest.Private(ann)
	me := srv.Me

	sentCard := srv.NewMessage(group, me, "card")
	topicMsg := srv.NewMessage(forum, ann, "relay this")
	topicMsg.IsTopicMessage, topicMsg.MessageThreadID = true, 1001
	edited := srv.NewMessage(group, ann, "need insulin")
	edited.EditDate = edited.Date + 5
	edited.Text = "need insulin today"
	joinMsg := srv.NewMessage(group, ann, "")
	joinMsg.NewChatMembers = []models.User{me}
	joinMsg2 := srv.NewMessage(group, ann, "")
	joinMsg2.NewChatMembers = []models.User{me}
	leftMsg := srv.NewMessage(group, ann, "")
	leftMsg.LeftChatMember = &me
	migrated := srv.NewMessage(legacy, ann, "")
	migrated.MigrateToChatID = -1001000000009
	reply := srv.NewMessage(group, ann, "yes, case 3")
	reply.ReplyToMessage = sentCard
	vol := telegramtest.User(8, "Vol")
	missed := srv.NewMessage(group, ann, "the old couple at 9 Park Road are still there")
	replyNew := srv.NewMessage(group, vol, "/new")
	replyNew.ReplyToMessage = missed
	sticker := srv.NewMessage(group, ann, "")
	sticker.Sticker = &models.Sticker{FileID: "x"}
	photo := srv.NewMessage(group, ann, "")
	photo.Caption = "photo of the prescription"

	tests := []struct {
		name   string
		update models.Update
		want   *bot.Message // nil: nothing reaches the engine
	}{
		{"group text", models.Update{Message: msgWith(srv, group, ann, "急需透析")},
			&bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", Text: "急需透析"}},
		{"private text", models.Update{Message: msgWith(srv, private, ann, "/start")},
			&bot.Message{Chat: "telegram:7", Private: true, ChatName: "Ann", Sender: "telegram:7", SenderName: "Ann", Text: "/start"}},
		{"edited", models.Update{EditedMessage: edited},
			&bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", Text: "need insulin today", Edited: true, ID: strconv.Itoa(edited.ID)}},
		{"forum topic", models.Update{Message: topicMsg},
			&bot.Message{Chat: "telegram:-1001000000002", ChatName: "Volunteers", Sender: "telegram:7", SenderName: "Ann", Text: "relay this", Thread: "1001"}},
		{"command for this bot", models.Update{Message: msgWith(srv, group, ann, "/claim@Lifeline_Test_Bot 42")},
			&bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", Text: "/claim 42", Mentioned: true}},
		{"command alone for this bot", models.Update{Message: msgWith(srv, group, ann, "/cases@lifeline_test_bot")},
			&bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", Text: "/cases", Mentioned: true}},
		{"command for another bot", models.Update{Message: msgWith(srv, group, ann, "/claim@other_bot 42")}, nil},
		{"a path is no command", models.Update{Message: msgWith(srv, group, ann, "/home/ann@host is flooded")},
			&bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", Text: "/home/ann@host is flooded"}},
		{"mention", models.Update{Message: msgWith(srv, group, ann, "@lifeline_test_bot help my mother")},
			&bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", Text: "@lifeline_test_bot help my mother", Mentioned: true}},
		{"longer name is not a mention", models.Update{Message: msgWith(srv, group, ann, "ask @lifeline_test_bot2")},
			&bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", Text: "ask @lifeline_test_bot2"}},
		{"reply to the bot", models.Update{Message: reply},
			&bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", Text: "yes, case 3", Mentioned: true, ID: strconv.Itoa(reply.ID), ReplyTo: strconv.Itoa(sentCard.ID)}}, // the bot's own words are nobody's plea: no Replied
		{"a volunteer's /new in reply to a plea carries the plea", models.Update{Message: replyNew},
			&bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:8", SenderName: "Vol", Text: "/new", ID: strconv.Itoa(replyNew.ID), ReplyTo: strconv.Itoa(missed.ID),
				Replied: &bot.Replied{Sender: "telegram:7", SenderName: "Ann", Text: "the old couple at 9 Park Road are still there", Time: time.Unix(int64(missed.Date), 0)}}},
		{"caption", models.Update{Message: photo},
			&bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", Text: "photo of the prescription", ID: strconv.Itoa(photo.ID)}},
		{"sticker", models.Update{Message: sticker},
			&bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", ID: strconv.Itoa(sticker.ID),
				Media: []bot.Media{{Kind: bot.MediaSticker, Ref: "x"}}}},
		{"bot added (my_chat_member)", srv.MyChatMember(group, ann, models.ChatMemberTypeLeft, models.ChatMemberTypeMember),
			&bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", Kind: bot.KindJoined}},
		{"bot promoted", srv.MyChatMember(group, ann, models.ChatMemberTypeMember, models.ChatMemberTypeAdministrator), nil},
		{"bot kicked (my_chat_member)", srv.MyChatMember(group, ann, models.ChatMemberTypeAdministrator, models.ChatMemberTypeBanned),
			&bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", Kind: bot.KindLeft}},
		{"bot added (new_chat_members)", models.Update{Message: joinMsg},
			&bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", Kind: bot.KindJoined, ID: strconv.Itoa(joinMsg.ID)}},
		{"bot removed (left_chat_member)", models.Update{Message: leftMsg},
			&bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", Kind: bot.KindLeft, ID: strconv.Itoa(leftMsg.ID)}},
		{"bot added again (my_chat_member)", srv.MyChatMember(group, ann, models.ChatMemberTypeLeft, models.ChatMemberTypeMember),
			&bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", Kind: bot.KindJoined}},
		{"the same arrival as a service message", models.Update{Message: joinMsg2}, nil},
		{"migration", models.Update{Message: migrated},
			&bot.Message{Chat: "telegram:-4001", ChatName: "Old group", Sender: "telegram:7", SenderName: "Ann", Kind: bot.KindMigrated, NewChat: "telegram:-1001000000009", ID: strconv.Itoa(migrated.ID)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(rec.handled())
			id := srv.Push(tt.update)
			waitFor(t, "update handled", func() bool { return a.LastHandled() >= id })
			got := rec.handled()[before:]
			if tt.want == nil {
				if len(got) != 0 {
					t.Fatalf("engine got %+v, want nothing", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("engine got %d messages, want 1: %+v", len(got), got)
			}
			want := *tt.want
			m := got[0]
			if want.ID == "" {
				if m.Kind == bot.KindText || tt.update.Message != nil {
					want.ID = strconv.Itoa(tt.update.Message.ID)
				} else {
					want.ID = "member:" + strconv.FormatInt(id, 10)
				}
			}
			if m.Time.IsZero() {
				t.Errorf("Time is zero")
			}
			m.Time = time.Time{}
			if !reflect.DeepEqual(m, want) {
				t.Errorf("got  %+v\nwant %+v", m, want)
			}
		})
	}

	t.Run("callback", func(t *testing.T) {
		sent, err := a.Send(t.Context(), bot.OutMessage{Chat: "telegram:-1001000000001", Text: "#1 card",
			Buttons: [][]bot.Button{{{Label: "Claim", Data: "/claim 1"}}}})
		if err != nil {
			t.Fatal(err)
		}
		msgID, _ := strconv.Atoi(sent)
		before := len(rec.handled())
		u := srv.PushCallback(group, ann, msgID, "/claim 1")
		waitFor(t, "callback handled", func() bool { return a.LastHandled() >= u.ID })
		got := rec.handled()[before:]
		if len(got) != 1 {
			t.Fatalf("engine got %d messages, want 1", len(got))
		}
		m := got[0]
		wantCB := bot.Callback{ID: u.CallbackQuery.ID, Data: "/claim 1", MessageID: sent}
		if m.Callback == nil || *m.Callback != wantCB || m.Chat != "telegram:-1001000000001" || m.Sender != "telegram:7" || m.Text != "/claim 1" {
			t.Errorf("got %+v (callback %+v), want callback %+v", m, m.Callback, wantCB)
		}
		waitFor(t, "callback answered", func() bool { _, ok := srv.Answer(u.CallbackQuery.ID); return ok })
	})
}

func msgWith(srv *telegramtest.Server, chat models.Chat, from models.User, text string) *models.Message {
	return srv.NewMessage(chat, from, text)
}

func TestOffsetConfirmedOnlyAfterHandlerSucceeded(t *testing.T) {
	srv := telegramtest.NewServer(t)
	state := &memState{m: map[string][]byte{}}
	a := newAdapter(t, srv, func(o *Options) { o.State = state })
	group := telegramtest.Group(-1001000000001, "g")
	ann := telegramtest.User(7, "Ann")

	release := make(chan struct{})
	rec := &recorder{fail: func(m bot.Message, attempt int) error {
		if m.Text == "second" && attempt == 1 {
			return errors.New("store is busy")
		}
		if m.Text == "second" && attempt == 2 {
			<-release // hold the retry so the test can look at the offset
		}
		return nil
	}}
	u1 := srv.PushText(group, ann, "first")
	u2 := srv.PushText(group, ann, "second")
	u3 := srv.PushText(group, ann, "third")
	start(t, a, rec)

	waitFor(t, "second retried", func() bool { return len(rec.calls()) >= 3 })
	if got := string(state.m[a.offsetKey()]); got != strconv.FormatInt(u1.ID, 10) {
		t.Errorf("persisted offset while the second update is unhandled = %q, want %d", got, u1.ID)
	}
	if c := srv.Confirmed(); c >= u2.ID {
		t.Errorf("server saw update %d confirmed before it was handled", c)
	}
	close(release)
	waitFor(t, "all handled", func() bool { return a.LastHandled() == u3.ID })

	var texts []string
	for _, m := range rec.calls() {
		texts = append(texts, m.Text)
	}
	if want := []string{"first", "second", "second", "third"}; !equal(texts, want) {
		t.Errorf("handler calls %q, want %q", texts, want)
	}
	if got := string(state.m[a.offsetKey()]); got != strconv.FormatInt(u3.ID, 10) {
		t.Errorf("persisted offset %q, want %d", got, u3.ID)
	}
}

func TestRestartLosesNothingAndRepeatsNothing(t *testing.T) {
	srv := telegramtest.NewServer(t)
	state := &memState{m: map[string][]byte{}}
	group := telegramtest.Group(-1001000000001, "g")
	ann := telegramtest.User(7, "Ann")
	for i := 1; i <= 5; i++ {
		srv.PushText(group, ann, "plea "+strconv.Itoa(i))
	}

	// The first process records pleas 1 and 2, then "crashes" on plea 3:
	// its store refuses to record it, and the process is stopped.
	first := newAdapter(t, srv, func(o *Options) { o.State = state })
	crashed := &recorder{fail: func(m bot.Message, _ int) error {
		if m.Text == "plea 3" {
			return errors.New("process killed")
		}
		return nil
	}}
	stop := start(t, first, crashed)
	waitFor(t, "plea 3 attempted", func() bool {
		for _, m := range crashed.calls() {
			if m.Text == "plea 3" {
				return true
			}
		}
		return false
	})
	stop()
	for i := 6; i <= 7; i++ {
		srv.PushText(group, ann, "plea "+strconv.Itoa(i))
	}

	second := newAdapter(t, srv, func(o *Options) { o.State = state })
	rec := &recorder{}
	start(t, second, rec)
	waitFor(t, "all pleas handled", func() bool { return len(rec.handled()) >= 5 })
	time.Sleep(100 * time.Millisecond) // a duplicate would show up now

	var got []string
	for _, m := range crashed.handled() {
		got = append(got, m.Text)
	}
	for _, m := range rec.handled() {
		got = append(got, m.Text)
	}
	want := []string{"plea 1", "plea 2", "plea 3", "plea 4", "plea 5", "plea 6", "plea 7"}
	if !equal(got, want) {
		t.Errorf("handled across the restart %q, want each plea once in order %q", got, want)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBuiltInMenusKeepVolunteerCommandsOutOfPublicGroups(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, func(o *Options) { o.MenuChats = []string{"telegram:-1002222222222"} })
	start(t, a, &recorder{})
	waitFor(t, "menus published", func() bool { return len(srv.Menu("chat", -1002222222222, "")) > 0 })
	has := func(cmds []models.BotCommand, name string) bool {
		for _, c := range cmds {
			if c.Command == name {
				return true
			}
		}
		return false
	}
	for _, lang := range []string{"zh", ""} {
		private, groups, coord := srv.Menu("all_private_chats", 0, lang), srv.Menu("all_group_chats", 0, lang), srv.Menu("chat", -1002222222222, lang)
		if !has(private, "start") || !has(private, "cancel") || has(private, "claim") {
			t.Errorf("private commands (%q) = %v", lang, private)
		}
		if len(groups) != 0 {
			t.Errorf("every group, public ones included, shows a menu (%q): %v", lang, groups)
		}
		if !has(coord, "claim") || !has(coord, "broadcast") || has(coord, "start") {
			t.Errorf("coordination chat commands (%q) = %v", lang, coord)
		}
	}
	if srv.Menu("all_private_chats", 0, "zh")[0].Description == srv.Menu("all_private_chats", 0, "")[0].Description {
		t.Errorf("zh and en descriptions are the same")
	}
}

// An update the engine can never handle doesn't hold up the ones after it
// forever; but when everything fails (the engine itself is in trouble),
// nothing is skipped.
func TestPoisonUpdateIsSkippedButSystemicFailureIsNot(t *testing.T) {
	group := telegramtest.Group(-1001000000001, "g")
	ann := telegramtest.User(7, "Ann")

	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, func(o *Options) { o.PoisonAttempts = 3 })
	poison := &recorder{fail: func(m bot.Message, _ int) error {
		if m.Text == "poison" {
			return errors.New("engine bug")
		}
		return nil
	}}
	srv.PushText(group, ann, "before")
	srv.PushText(group, ann, "poison")
	last := srv.PushText(group, ann, "after")
	start(t, a, poison)
	waitFor(t, "the update after the poison handled", func() bool { return a.LastHandled() == last.ID })
	var texts []string
	for _, m := range poison.handled() {
		texts = append(texts, m.Text)
	}
	if want := []string{"before", "after"}; !equal(texts, want) {
		t.Errorf("handled %q, want %q", texts, want)
	}

	srv2 := telegramtest.NewServer(t)
	b := newAdapter(t, srv2, func(o *Options) { o.PoisonAttempts = 2 })
	down := &recorder{fail: func(bot.Message, int) error { return errors.New("disk full") }}
	first := srv2.PushText(group, ann, "one")
	srv2.PushText(group, ann, "two")
	start(t, b, down)
	waitFor(t, "several attempts", func() bool { return len(down.calls()) >= 6 })
	if b.LastHandled() >= first.ID {
		t.Errorf("updates were skipped while every update failed (last handled %d)", b.LastHandled())
	}
}
