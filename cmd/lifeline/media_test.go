package main

import (
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/adapters/telegram/telegramtest"
)

// startTelegram runs the whole bot against a fake Bot API with an intake
// group and a coordination group, English replies, OCR off.
func startTelegram(t *testing.T, extra string) *telegramtest.Server {
	t.Helper()
	srv := telegramtest.NewServer(t)
	cfg := telegramTeam(t, srv, "en", "ocr: {engine: none}\n"+extra)
	startQuiet(t, cfg)
	return srv
}

// sentMatching waits for a message to chat whose text has every want.
func sentMatching(t *testing.T, srv *telegramtest.Server, chat int64, want ...string) telegramtest.Sent {
	t.Helper()
	return waitFor(t, func() (telegramtest.Sent, bool) {
		for _, s := range srv.SentTo(chat) {
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(s.Text, w)
			}
			if ok {
				return s, true
			}
		}
		return telegramtest.Sent{}, false
	})
}

// A private voice message is answered, opens a case treated as urgent and
// is copied to the coordination group after its card.
func TestTelegramPrivateVoiceIsAnsweredAndRelayedWithItsCard(t *testing.T) {
	srv := startTelegram(t, "")
	tom := telegramtest.User(501, "Tom")
	tom.LanguageCode = "en"
	voice := srv.PushVoice(telegramtest.Private(tom), tom, []byte("OggS fake voice"), 9*time.Second)

	reply := sentMatching(t, srv, tom.ID, "I received your voice message", "request #1")
	if !strings.Contains(reply.Text, "emergency number (112)") { // an English team with no phone_region
		t.Errorf("reply = %q", reply.Text)
	}
	card := sentMatching(t, srv, tgCoordination, "case #1", "Urgency unknown")
	relay := waitFor(t, func() (telegramtest.Sent, bool) {
		for _, s := range srv.SentTo(tgCoordination) {
			if s.CopyOf != nil {
				return s, true
			}
		}
		return telegramtest.Sent{}, false
	})
	if relay.CopyOf.Chat != tom.ID || relay.CopyOf.MessageID != voice.Message.ID {
		t.Errorf("relayed %+v, want a copy of the voice message %d", relay.CopyOf, voice.Message.ID)
	}
	if relay.MessageID < card.MessageID || !strings.Contains(relay.Text, "#1") {
		t.Errorf("relay %d %q should follow card %d and name the case", relay.MessageID, relay.Text, card.MessageID)
	}
}

// A map pin sent after a private plea puts coordinates and a map link on
// the case card, and the share buttons come and go.
func TestTelegramLocationAfterPrivatePleaPutsCoordinatesOnTheCard(t *testing.T) {
	srv := startTelegram(t, "")
	ann := telegramtest.User(502, "Ann")
	ann.LanguageCode = "en"
	dm := telegramtest.Private(ann)
	srv.PushText(dm, ann, "My father had a stroke, he cannot speak, please help")
	ask := sentMatching(t, srv, ann.ID, "Where are you?")
	if len(ask.ReplyKeyboard) == 0 || !ask.ReplyKeyboard[0][0].RequestLocation {
		t.Errorf("the place question offers no share-location button: %+v", ask.ReplyKeyboard)
	}
	card := sentMatching(t, srv, tgCoordination, "case #1")
	srv.PushLocation(dm, ann, 51.50135, -0.14189)
	edited := waitFor(t, func() (telegramtest.Sent, bool) {
		s, ok := srv.Message(tgCoordination, card.MessageID)
		return s, ok && strings.Contains(s.Text, "51.50135, -0.14189")
	})
	if !strings.Contains(edited.Text, "https://www.openstreetmap.org/?mlat=51.50135&mlon=-0.14189") {
		t.Errorf("card has no map link: %q", edited.Text)
	}
	next := sentMatching(t, srv, ann.ID, "What phone number")
	if len(next.ReplyKeyboard) == 0 || !next.ReplyKeyboard[0][0].RequestContact {
		t.Errorf("the phone question offers no share-phone button: %+v", next.ReplyKeyboard)
	}
	srv.PushContact(dm, ann, "447700900123", "Ann", ann.ID)
	done := sentMatching(t, srv, ann.ID, "added the number")
	_ = done
	removed := waitFor(t, func() (bool, bool) {
		for _, s := range srv.SentTo(ann.ID) {
			if s.RemoveKeyboard {
				return true, true
			}
		}
		return false, false
	})
	if !removed {
		t.Error("the share keyboard was never removed")
	}
}

// A photo with a plea as its caption in an intake group is alerted, and
// the photo follows the alert; a forwarded plea names its original sender.
func TestTelegramGroupPhotoPleaIsAlertedAndRelayedAndForwardsNameTheOriginal(t *testing.T) {
	srv := startTelegram(t, "")
	group := telegramtest.Group(tgIntake, "Mutual aid 1")
	lee := telegramtest.User(601, "Lee")
	photo := srv.PushPhoto(group, lee, []byte("\xff\xd8\xff fake jpeg of a prescription, long enough"), "Grandma is unconscious and not breathing, 3 Elm Road, call 07700 900123")
	card := sentMatching(t, srv, tgCoordination, "case #1", "CRITICAL", "photo")
	relay := waitFor(t, func() (telegramtest.Sent, bool) {
		for _, s := range srv.SentTo(tgCoordination) {
			if s.CopyOf != nil && s.CopyOf.MessageID == photo.Message.ID {
				return s, true
			}
		}
		return telegramtest.Sent{}, false
	})
	if relay.MessageID < card.MessageID {
		t.Errorf("the photo (%d) went before its alert (%d)", relay.MessageID, card.MessageID)
	}

	mia := telegramtest.User(602, "Mia")
	zhang := telegramtest.User(603, "Zhang San")
	srv.PushForward(group, mia, "Help! My father is having a heart attack, chest pain, cannot breathe", telegramtest.ForwardFromUser(zhang, time.Now().Add(-time.Minute)))
	fwd := sentMatching(t, srv, tgCoordination, "case #2")
	if !strings.Contains(fwd.Text, "Zhang San (forwarded by Mia)") {
		t.Errorf("forwarded plea's card = %q; want the original sender named", fwd.Text)
	}
	if len(srv.SentTo(tgIntake)) != 0 {
		t.Errorf("the bot posted in the intake group: %+v", srv.SentTo(tgIntake))
	}
}
