package commands

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/actions"
	"github.com/lifeline-aid/lifeline/bot/asker"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
)

// The commands of askers, in their private chat with the bot.

// cmdStart welcomes a person in a private chat and explains how to ask.
func cmdStart(cl *call) error {
	if len(cl.args) == 1 {
		if handled, err := startPayload(cl, cl.args[0]); handled || err != nil {
			return err
		}
	}
	if invites, err := pendingInvites(cl); err != nil || invites != "" {
		if err != nil {
			return err
		}
		return cl.reply(invites)
	}
	return cl.reply(i18n.T(cl.lang, "Welcome to Lifeline. I pass requests for help to volunteer teams.\nTell me in your own words what is needed, for whom (age, condition), where (district, street, compound) and a phone number; I will ask for anything missing and give you a case number.\n/status shows your requests · /cancel withdraws one · start a message with #N to add to request N."))
}

// ownCases are the caller's requests, and the open ones among them.
func (cl *call) ownCases() (all, open []*store.Case, err error) {
	all, err = cl.tx.CasesByAsker(cl.m.Sender)
	if err != nil {
		return nil, nil, fmt.Errorf("list cases of %s: %w", cl.m.Sender, err)
	}
	for _, c := range all {
		if c.Status.Open() {
			open = append(open, c)
		}
	}
	return all, open, nil
}

// ownCaseID reads "N" or "#N" as one of the caller's request numbers.
func (cl *call) ownCaseID(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil {
		return 0, usageError{i18n.T(cl.lang, "%q is not a case number.", s)}
	}
	return id, nil
}

// cmdAskerStatus lists the caller's open requests, or shows one of theirs.
func cmdAskerStatus(cl *call) error {
	all, open, err := cl.ownCases()
	if err != nil {
		return err
	}
	if len(cl.args) == 1 {
		id, err := cl.ownCaseID(cl.args[0])
		if err != nil {
			return err
		}
		for _, c := range all {
			if c.ID == id {
				// Only what they wrote: not the volunteers' card, which
				// names the team and may hold others' reposts.
				text, err := asker.Summary(cl.tx, c, cl.m.Sender, cl.lang)
				if err != nil {
					return err
				}
				return cl.reply(text)
			}
		}
		return refuse(i18n.T(cl.lang, "I can't find a request #%d of yours.", id))
	}
	return cl.reply(asker.OpenList(open, cl.lang))
}

// cmdCancel withdraws one of the caller's open requests: the one named, or
// the only one.
func cmdCancel(cl *call) error {
	_, open, err := cl.ownCases()
	if err != nil {
		return err
	}
	var id int64
	switch {
	case len(cl.args) > 0:
		if id, err = cl.ownCaseID(cl.args[0]); err != nil {
			return err
		}
	case len(open) == 0:
		return refuse(i18n.T(cl.lang, "You have no open requests."))
	case len(open) > 1:
		return cl.reply(i18n.T(cl.lang, "Which request do you want to withdraw? Send /cancel N.") + "\n" + asker.OpenList(open, cl.lang))
	default:
		id = open[0].ID
	}
	c, err := cl.c.actions.Withdraw(cl.tx, cl.actor, id)
	var ae *actions.Error
	if errors.As(err, &ae) && errors.Is(err, actions.ErrNotFound) {
		return refuse(ae.Reason + "\n" + asker.OpenList(open, cl.lang))
	}
	if err != nil {
		return err
	}
	return cl.reply(i18n.T(cl.lang, "✓ Your request #%d is withdrawn. If you need help again, just write to me.", c.ID))
}
