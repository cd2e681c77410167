package commands

import (
	"errors"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/asker"
	"github.com/lifeline-aid/lifeline/bot/deeplink"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/rooms"
	"github.com/lifeline-aid/lifeline/store"
)

// startPayload answers "/start <payload>", which a deep link sends when
// someone opens it: a case link ties the asker's private chat to their
// case, a room link hands a volunteer their room invite. A link that is
// not genuine, or is opened by someone it is not for, gets the plain
// welcome and reveals nothing about the case.
func startPayload(cl *call, payload string) (handled bool, err error) {
	kind, id, ok, err := deeplink.Parse(cl.tx, payload)
	if err != nil || !ok {
		if err == nil {
			cl.c.env.Log.Info("start payload is not a link of this bot", "sender", cl.m.Sender)
		}
		return false, err
	}
	c, err := cl.tx.Case(id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	switch kind {
	case deeplink.Case:
		if c.Asker != cl.m.Sender {
			cl.c.env.Log.Warn("case link opened by someone else", "case", id, "sender", cl.m.Sender)
			return false, nil
		}
		if !c.Status.Open() {
			return true, cl.reply(i18n.T(cl.lang, "Your request #%d is already %s. If you need help again, just tell me what you need.", id, i18n.Status(cl.lang, c.Status)))
		}
		if err := asker.Focus(cl.tx, cl.m.Sender, id); err != nil {
			return false, err
		}
		return true, cl.reply(i18n.T(cl.lang, "This chat is now tied to your request #%d (%s). Tell me here anything the volunteers should know: what is needed, where you are, a phone number. Send /status to see it.", id, i18n.Status(cl.lang, c.Status)))
	case deeplink.Room:
		invite, err := rooms.TakeInvite(cl.tx, id, cl.m.Sender)
		if err != nil {
			return false, err
		}
		if invite == "" {
			return true, cl.reply(i18n.T(cl.lang, "I have no room invite for you for case #%d (the room may be closed, or the invite was already sent).", id))
		}
		return true, cl.reply(i18n.T(cl.lang, "You are invited to the rescue room for case #%d: %s", id, invite))
	}
	return false, nil
}

// pendingInvites are the room invites kept for the caller, sent with a
// plain /start.
func pendingInvites(cl *call) (string, error) {
	lines, err := rooms.TakeAllInvites(cl.tx, cl.m.Sender, cl.lang)
	return strings.Join(lines, "\n"), err
}
