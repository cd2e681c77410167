package commands

import (
	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

// LoginLinks makes one-time sign-in links for the web board (the board
// implements it; without one, /board says the board is off).
type LoginLinks interface {
	LoginLink(tx *store.Tx, person string) (string, error)
}

// SetLoginLinks plugs the board in (the binary wires it after both exist).
func (c *Commands) SetLoginLinks(l LoginLinks) { c.links = l }

// boardRule: volunteers, from a private chat or a work chat; the link
// itself only ever goes to their private chat.
var boardRule = access.Rule{Name: "board", Need: access.Volunteer, Where: access.PrivateOrWork}

// cmdBoard sends the caller, privately, a sign-in link for the board. In
// a group it says where the link went; without a private chat to send it
// to, it asks them to message the bot first (never the link in a group).
func cmdBoard(cl *call) error {
	if cl.c.links == nil {
		return cl.reply(i18n.T(cl.lang, "The web board is not enabled on this bot."))
	}
	chat := cl.m.Chat
	if !cl.m.Private {
		dm, err := delivery.PrivateChat(cl.tx, cl.m.Sender)
		if err != nil {
			return err
		}
		if dm == "" {
			return cl.reply(i18n.T(cl.lang, "Send me /board in a private chat: the sign-in link is personal."))
		}
		chat = dm
	}
	link, err := cl.c.links.LoginLink(cl.tx, cl.m.Sender)
	if err != nil {
		return err
	}
	cl.c.env.Log.Info("board sign-in link sent", "person", cl.m.Sender)
	text := i18n.T(cl.lang, "Your sign-in link for the board (works once, for 10 minutes; do not share it):\n%s", link)
	if chat == cl.m.Chat {
		return cl.reply(text)
	}
	if err := cl.send(platform.OutMessage{Chat: chat, Text: text}, 0); err != nil {
		return err
	}
	return cl.reply(i18n.T(cl.lang, "I sent you a sign-in link privately."))
}
