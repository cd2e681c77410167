package main

import (
	"fmt"
	"io"
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
	yaml := fmt.Sprintf(`
data_dir: %s
language: en
admins: ["telegram:1"]
platforms:
  console: {enabled: false}
  telegram: {enabled: true, token: %q, api_url: %q, rooms: none}
groups:
  - {chat: "telegram:%d", role: intake, name: Mutual aid 1}
  - {chat: "telegram:%d", role: coordination, name: Volunteers}
`, t.TempDir(), srv.Token, srv.URL, tgIntake, tgCoordination)
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	startApp(t, cfg, appIO{in: strings.NewReader(""), out: io.Discard, errOut: io.Discard})

	srv.Push(groupMessage(1, tgIntake, 555, "Grandma collapsed and is unconscious, not breathing, 3 Elm Road, call +44 7700 900123 <b>&</b>"))
	alert := waitFor(t, func() (telegramtest.Sent, bool) {
		for _, s := range srv.SentTo(tgCoordination) {
			if strings.Contains(s.Text, "case #1") {
				return s, true
			}
		}
		return telegramtest.Sent{}, false
	})
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
		for _, s := range srv.SentTo(tgCoordination) {
			if strings.Contains(s.Text, "registered as a volunteer") {
				return s, true
			}
		}
		return telegramtest.Sent{}, false
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
	deadline := time.Now().Add(15 * time.Second)
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
