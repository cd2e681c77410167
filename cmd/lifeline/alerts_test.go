package main

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/lifeline-aid/lifeline/adapters/telegram/telegramtest"
)

const tgAdmin = 1

// startAlertsApp runs the bot on the fake Bot API with one coordination
// chat, fast alert retries and an admin who has a private chat with it.
func startAlertsApp(t *testing.T) *telegramtest.Server {
	t.Helper()
	srv := telegramtest.NewServer(t)
	// The bot paces by when it starts a send, the server by when the send
	// arrives: a little slack for the request's own time on a loaded
	// machine, as in the adapter's tests.
	l := telegramtest.TelegramLimits
	l.PerPrivate.Period = 900 * time.Millisecond
	l.PerGroup.Period = 57 * time.Second
	srv.SetLimits(l)
	cfg := telegramTeam(t, srv, "en", "outbox:\n  alert_backoff_max: 1s\n  unreachable_after: 1s\n")
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	})
	startApp(t, cfg, appIO{in: strings.NewReader(""), out: io.Discard, errOut: logs})
	srv.Push(privateMessage(1, tgAdmin, "/start"))
	waitSent(t, srv, tgAdmin, "")
	return srv
}

func privateMessage(id int, from int64, text string) models.Update {
	return models.Update{Message: &models.Message{
		ID:   id,
		Date: int(time.Now().Unix()),
		Chat: models.Chat{ID: from, Type: models.ChatTypePrivate, FirstName: fmt.Sprint("user", from)},
		From: &models.User{ID: from, FirstName: fmt.Sprint("user", from)},
		Text: text,
	}}
}

// waitSent waits until chat got a message containing want.
func waitSent(t *testing.T, srv *telegramtest.Server, chat int64, want string) telegramtest.Sent {
	t.Helper()
	return waitFor(t, func() (telegramtest.Sent, bool) {
		for _, s := range srv.SentTo(chat) {
			if strings.Contains(s.Text, want) {
				return s, true
			}
		}
		return telegramtest.Sent{}, false
	})
}

var e2ePleas = []struct{ text, phone string }{
	{"Grandma collapsed and is unconscious, not breathing, 3 Elm Road, call +44 7700 900123", "900123"},
	{"My husband had a stroke, face drooping, can't speak, 8 Oak Lane, call +44 7700 900456", "900456"},
	{"Trapped under the collapsed roof, can't breathe, 4 Ash Street, call +44 7700 900789", "900789"},
}

// The platform refuses every send for a while: the queued alerts are not
// given up, the admin hears the chat is unreachable, and every alert goes
// out soon after the platform is back.
func TestTelegramOutageDeliversEveryQueuedAlert(t *testing.T) {
	srv := startAlertsApp(t)
	outage := 6 * time.Second
	srv.Fail(telegramtest.Failure{Method: "sendMessage", Code: 502, Until: time.Now().Add(outage)})
	end := time.Now().Add(outage)
	for i, p := range e2ePleas {
		srv.Push(groupMessage(10+i, tgIntake, int64(600+i), p.text))
	}
	for _, p := range e2ePleas {
		waitSent(t, srv, tgCoordination, p.phone)
	}
	t.Logf("%v sendMessage outage: every alert delivered, the last %v after it ended", outage, time.Since(end).Round(time.Millisecond))
	if late := time.Since(end); late > 3*time.Second {
		t.Errorf("last alert %s after the outage ended, want within the 1s backoff cap and a pass", late)
	}
	waitSent(t, srv, tgAdmin, "cannot be reached since")
	if v := srv.Violations(); len(v) > 0 {
		t.Errorf("rate limits broken: %v", v)
	}
}

// The bot is kicked from the only coordination chat: the next critical
// alert goes to the admin privately at once, a private asker is told the
// truth, and when the bot is added back the chat gets every alert.
func TestTelegramKickedCoordinationChat(t *testing.T) {
	srv := startAlertsApp(t)
	srv.Kick(tgCoordination)
	srv.Push(groupMessage(10, tgIntake, 600, e2ePleas[0].text))
	got := waitSent(t, srv, tgAdmin, e2ePleas[0].phone)
	if !strings.Contains(got.Text, "No coordination chat can receive alerts") {
		t.Errorf("admin's copy = %q", got.Text)
	}
	srv.Push(privateMessage(11, 888, e2ePleas[1].text))
	waitSent(t, srv, tgAdmin, e2ePleas[1].phone)
	answer := waitSent(t, srv, 888, "registered as #")
	if strings.Contains(answer.Text, "I have alerted the volunteers") || !strings.Contains(answer.Text, "organisers") {
		t.Errorf("asker told %q; want the truth: it went to the organisers", answer.Text)
	}
	srv.Readd(tgCoordination, &models.User{ID: tgAdmin, FirstName: "admin"})
	for _, p := range e2ePleas[:2] {
		waitSent(t, srv, tgCoordination, p.phone)
	}
	if v := srv.Violations(); len(v) > 0 {
		t.Errorf("rate limits broken: %v", v)
	}
}
