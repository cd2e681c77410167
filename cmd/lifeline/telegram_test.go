package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/lifeline-aid/lifeline/adapters/telegram/telegramtest"
	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
)

const (
	tgIntake       = -100111
	tgCoordination = -100222
	tgVolunteer    = 777
)

// The whole bot, configured as a team would, against a fake Bot API on
// loopback: a plea in the intake group alerts the coordination group with
// buttons; a registered volunteer's press of Claim edits the card in place.
func TestTelegramEndToEndThroughConfig(t *testing.T) {
	srv := telegramtest.NewServer(t)
	cfg := telegramTeam(t, srv, "en", "")
	startQuiet(t, cfg)

	srv.Push(groupMessage(1, tgIntake, 555, "Grandma collapsed and is unconscious, not breathing, 3 Elm Road, call +44 7700 900123 <b>&</b>"))
	alert := waitFor(t, func() (telegramtest.Sent, bool) { return sentContaining(srv, tgCoordination, "case #1") })
	if !strings.Contains(alert.Text, "CRITICAL") || !strings.Contains(alert.Text, "<b>&</b>") {
		t.Errorf("alert text (as Telegram shows it) = %q; want urgency and the user's markup as literal text", alert.Text)
	}
	if len(alert.Keyboard) == 0 || alert.Keyboard[0][0].Data != "/claim 1" {
		t.Fatalf("alert keyboard = %+v", alert.Keyboard)
	}
	if len(srv.SentTo(tgIntake)) != 0 {
		t.Error("the bot posted in the intake group")
	}

	srv.Push(groupMessage(2, tgCoordination, tgVolunteer, "/volunteer medical"))
	waitFor(t, func() (telegramtest.Sent, bool) {
		return sentContaining(srv, tgCoordination, "registered as a volunteer")
	})
	srv.Push(models.Update{CallbackQuery: &models.CallbackQuery{
		ID:   "cb1",
		From: models.User{ID: tgVolunteer, FirstName: "Li"},
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &models.Message{
			ID: alert.MessageID, Chat: models.Chat{ID: tgCoordination, Type: models.ChatTypeSupergroup},
		}},
		Data: "/claim 1",
	}})
	edited := waitFor(t, func() (telegramtest.Sent, bool) {
		s, ok := srv.Message(tgCoordination, alert.MessageID)
		return s, ok && strings.Contains(s.Text, "claimed by")
	})
	if !strings.Contains(edited.Text, "Held by") {
		t.Errorf("edited card = %q", edited.Text)
	}
	// The toast answering the button is its own outbox delivery and may land
	// after the edit.
	answer := waitFor(t, func() (string, bool) { return srv.Answer("cb1") })
	if !strings.Contains(answer, "Case #1 is yours") {
		t.Errorf("button press answered %q", answer)
	}
}

func groupMessage(id int, chat, from int64, text string) models.Update {
	return models.Update{Message: &models.Message{
		ID:   id,
		Date: int(time.Now().Unix()),
		Chat: models.Chat{ID: chat, Type: models.ChatTypeSupergroup, Title: fmt.Sprint("group ", chat)},
		From: &models.User{ID: from, FirstName: fmt.Sprint("user", from)},
		Text: text,
	}}
}

func waitFor[T any](t *testing.T, f func() (T, bool)) T {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // generous: CI shares 2 cores with -race
	for {
		if v, ok := f(); ok {
			return v
		}
		if time.Now().After(deadline) {
			var zero T
			t.Fatal("timed out waiting")
			return zero
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// On Telegram, through the real adapter: the engine publishes the menus
// (askers' commands in private chats, none in groups, the volunteers' in
// the coordination chat), and an admin names people by @username or by
// replying to them — never by a display name a stranger can copy.
func TestTelegramMenusAndNamingPeople(t *testing.T) {
	srv := telegramtest.NewServer(t)
	cfg := telegramTeam(t, srv, "en", "")
	startQuiet(t, cfg)
	names := func(cmds []models.BotCommand) string {
		var out []string
		for _, c := range cmds {
			out = append(out, c.Command)
		}
		return " " + strings.Join(out, " ") + " "
	}
	waitFor(t, func() (bool, bool) {
		return true, strings.Contains(names(srv.Menu("chat", tgCoordination, "")), " claim ")
	})
	if got := names(srv.Menu("all_private_chats", 0, "")); !strings.Contains(got, " status ") || strings.Contains(got, " claim ") {
		t.Errorf("private menu:%s", got)
	}
	if got := srv.Menu("all_group_chats", 0, ""); len(got) != 0 {
		t.Errorf("groups get a menu: %v", got)
	}
	if got := srv.Menu("chat", tgIntake, ""); len(got) != 0 {
		t.Errorf("the intake group gets a menu: %v", got)
	}

	msg := func(id int, chat, from int64, first, username, text string, replyTo int) models.Update {
		u := groupMessage(id, chat, from, text)
		u.Message.From.FirstName, u.Message.From.Username = first, username
		if replyTo != 0 {
			u.Message.ReplyToMessage = &models.Message{ID: replyTo, Chat: u.Message.Chat}
		}
		return u
	}
	reply := func(want string) {
		t.Helper()
		waitFor(t, func() (telegramtest.Sent, bool) {
			for _, s := range srv.SentTo(tgCoordination) {
				if strings.Contains(s.Text, want) {
					return s, true
				}
			}
			return telegramtest.Sent{}, false
		})
	}
	srv.Push(msg(1, tgCoordination, 777, "Alice", "alice_w", "/volunteer medical", 0))
	reply("registered as a volunteer")
	srv.Push(msg(2, tgIntake, 666, "Alice", "", "hello everyone", 0))
	srv.Push(msg(3, tgCoordination, 1, "Admin", "", "/grant Alice coordinator", 0))
	reply(`"Alice" could be 2 people`)
	srv.Push(msg(4, tgCoordination, 1, "Admin", "", "/grant @alice_w coordinator", 0))
	reply("Alice (telegram:777) is now coordinator")
	srv.Push(msg(5, tgCoordination, 777, "Alice", "alice_w", "I'll take the night shift", 0))
	srv.Push(msg(6, tgCoordination, 1, "Admin", "", "/revoke coordinator", 5))
	reply("Alice (telegram:777) is no longer coordinator")
	for _, s := range srv.SentTo(tgCoordination) {
		if strings.Contains(s.Text, "telegram:666 is now") || strings.Contains(s.Text, "(telegram:666) is now") {
			t.Errorf("the stranger got a role: %q", s.Text)
		}
	}
}

// telegramTeam is the config most binary tests run: Telegram against srv
// (console off, no rooms), an intake and a coordination group named in lang
// ("en" or "zh"), telegram:1 as admin, and extra YAML appended.
func telegramTeam(t *testing.T, srv *telegramtest.Server, lang, extra string) *config.Config {
	t.Helper()
	intake, coordination := "Mutual aid 1", "Volunteers"
	if lang == "zh" {
		intake, coordination = "互助1群", "志愿者"
	}
	cfg, err := config.Parse(fmt.Appendf(nil, `
data_dir: %s
language: %s
admins: ["telegram:1"]
platforms:
  console: {enabled: false}
  telegram: {enabled: true, token: %q, api_url: %q, rooms: none}
groups:
  - {chat: "telegram:%d", role: intake, name: %s}
  - {chat: "telegram:%d", role: coordination, name: %s}
%s`, t.TempDir(), lang, srv.Token, srv.URL, tgIntake, intake, tgCoordination, coordination, extra))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
