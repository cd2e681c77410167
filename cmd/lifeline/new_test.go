package main

import (
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/adapters/telegram/telegramtest"
)

// A plea the triage misses is opened by a volunteer replying /new to it in
// its group, through the whole bot against a fake Bot API: the group hears
// only that it was noted, the coordination group gets the card with the
// plea's phone and buttons.
func TestTelegramNewByReplyThroughConfig(t *testing.T) {
	srv := telegramtest.NewServer(t)
	cfg := telegramTeam(t, srv, "en", "")
	startQuiet(t, cfg)

	srv.Push(groupMessage(2, tgCoordination, tgVolunteer, "/volunteer medical"))
	waitFor(t, func() (telegramtest.Sent, bool) {
		return sentContaining(srv, tgCoordination, "registered as a volunteer")
	})

	plea := groupMessage(3, tgIntake, 555, "the old couple at 9 Park Road are still there, 07700 900123")
	srv.Push(plea)
	reply := groupMessage(4, tgIntake, tgVolunteer, "/new high")
	reply.Message.ReplyToMessage = plea.Message
	srv.Push(reply)

	noted := waitFor(t, func() (telegramtest.Sent, bool) {
		return sentContaining(srv, tgIntake, "Noted as a request for help (case #1)")
	})
	if strings.Contains(noted.Text, "900123") || strings.Contains(noted.Text, "Park Road") {
		t.Errorf("the intake group was told the plea's details: %q", noted.Text)
	}
	alert := waitFor(t, func() (telegramtest.Sent, bool) { return sentContaining(srv, tgCoordination, "case #1") })
	for _, want := range []string{"HIGH", "07700", "opened by hand"} {
		if !strings.Contains(alert.Text, want) {
			t.Errorf("alert lacks %q: %q", want, alert.Text)
		}
	}
	if len(alert.Keyboard) == 0 || alert.Keyboard[0][0].Data != "/claim 1" {
		t.Errorf("alert keyboard = %+v", alert.Keyboard)
	}
}

// sentContaining finds a message the bot sent to chat whose text holds s.
func sentContaining(srv *telegramtest.Server, chat int64, s string) (telegramtest.Sent, bool) {
	for _, m := range srv.SentTo(chat) {
		if strings.Contains(m.Text, s) {
			return m, true
		}
	}
	return telegramtest.Sent{}, false
}
