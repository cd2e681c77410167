package actions

import (
	"fmt"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/intake"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// NewRule: any volunteer may open a case the bot did not. Where is checked
// by Open itself: the words of a plea pasted into the coordination chat
// or a room, or a reply to the plea in the group where it was written.
var NewRule = access.Rule{Name: "new", Need: access.Volunteer, Where: access.Anywhere}

// Assessor reads a plea's words (the triage engine).
type Assessor interface {
	Assess(text string) triage.Assessment
}

// AlertQueuer queues the alerts of a case urgent enough to alert (intake).
type AlertQueuer interface {
	QueueAlerts(tx *store.Tx, c *store.Case) error
}

// NewCase is a plea a volunteer turns into a case by hand: one the triage
// did not read as a request, or one heard outside the chats.
type NewCase struct {
	// Text is the plea's words.
	Text string
	// Urgency is the level the volunteer gave; None: what the triage
	// reads, normal when it reads no request.
	Urgency triage.Urgency
	// Asker and AskerName are who wrote the plea, when the volunteer
	// replied to it; empty for words pasted in.
	Asker, AskerName string
	// SourceChat and SourceMsg are where the plea was written: the
	// replied message, or the command itself for pasted words.
	SourceChat, SourceMsg string
	// At is when the plea was written.
	At time.Time
}

// Opened is what Open did.
type Opened struct {
	Case *store.Case
	// Alerted says the coordination chats were alerted.
	Alerted bool
}

// Open records n as a new case held by nobody, with the volunteer's
// level, and alerts as intake would. A message that is already a case is
// a conflict naming it.
func (a *Actions) Open(tx *store.Tx, actor access.Actor, n NewCase) (*Opened, error) {
	if err := a.allow(actor, NewRule); err != nil {
		return nil, err
	}
	lang := actor.Lang
	replied := n.Asker != ""
	switch {
	case replied && actor.Where.Private:
		return nil, a.refuse(actor, NewRule.Name, i18n.T(lang, "/new as a reply works in the group where the plea was written."))
	case !replied && !actor.Where.WorkPlace():
		return nil, a.refuse(actor, NewRule.Name, i18n.T(lang, "/new with the words of a plea works in the volunteers' coordination chat or a case room; in a group, reply to the plea with /new."))
	}
	text := strings.TrimSpace(n.Text)
	if text == "" {
		return nil, invalid(i18n.T(lang, "/new needs the plea's words: /new [critical|high|normal] words, or reply to the plea with /new."))
	}
	if n.Urgency < triage.None || n.Urgency > triage.Critical {
		return nil, invalid(i18n.T(lang, "%q is not an urgency (critical, high, normal).", n.Urgency.String()))
	}
	// The plea itself, when it is already a case (intake read it, or
	// someone replied with /new before).
	for _, key := range []store.MessageKey{{Chat: n.SourceChat, ID: n.SourceMsg}, openedKey(n)} {
		c, err := tx.CaseOfMessage(key)
		if err != nil {
			return nil, fmt.Errorf("case of message %s/%s: %w", key.Chat, key.ID, err)
		}
		if c != nil {
			return nil, conflict(i18n.T(lang, "That plea is already case #%d.", c.ID))
		}
	}

	if replied {
		// A platform that gives no id for the replied message (WeChat)
		// still must not open a plea twice: the asker's open case with the
		// same words is that plea.
		theirs, err := tx.CasesByAsker(n.Asker)
		if err != nil {
			return nil, fmt.Errorf("cases of %s: %w", n.Asker, err)
		}
		for _, c := range theirs {
			if c.Status.Open() && strings.TrimSpace(c.Text) == text {
				return nil, conflict(i18n.T(lang, "That plea is already case #%d.", c.ID))
			}
		}
	}
	at := n.At
	if at.IsZero() {
		at = a.env.Now()
	}
	as := a.opts.Triage.Assess(text)
	plea := platform.Message{Chat: n.SourceChat, ID: n.SourceMsg, Sender: n.Asker, SenderName: n.AskerName, Text: text, Time: at}
	proposal := intake.ProposalAtLeast(plea, as, triage.Normal)
	if n.Urgency != triage.None {
		proposal.Urgency = n.Urgency
	}
	if level := proposal.Urgency; level != as.Urgency {
		// The card shows why its level is not the triage's; when the
		// triage read no request its own line says the rest.
		reason := actor.Display()
		if as.Urgency != triage.None {
			reason = i18n.T(lang, "opened by hand by %s", reason)
		}
		proposal.Override = &store.Override{From: as.Urgency.String(), To: level.String(), Reason: reason, By: actor.Ref, At: a.env.Now()}
	}
	res, err := tx.Ingest(store.IngestRequest{Msg: openedKey(n), At: at, Case: proposal, Kind: store.SourceFirst})
	if err != nil {
		return nil, fmt.Errorf("open case: %w", err)
	}
	if res.Duplicate || res.Case == nil {
		return nil, conflict(i18n.T(lang, "That plea was opened as a case already."))
	}
	c := res.Case
	if err := a.event(tx, actor, c, "opened", as.Urgency.String(), c.Urgency.String(), ""); err != nil {
		return nil, err
	}
	out := &Opened{Case: c}
	if c.Urgency >= a.opts.AlertAt {
		if err := a.opts.Alerts.QueueAlerts(tx, c); err != nil {
			return nil, err
		}
		out.Alerted = true
	}
	a.env.Log.Info("case opened by hand", "case", c.ID, "by", actor.Ref, "urgency", c.Urgency.String(), "triage", as.Urgency.String())
	return out, nil
}

// openedKey is the message key a case opened by hand is recorded under:
// the plea's own key is already marked seen (as chatter) when the triage
// missed it, and a second /new on the same plea must find this one.
func openedKey(n NewCase) store.MessageKey {
	return store.MessageKey{Chat: n.SourceChat, ID: n.SourceMsg + "#new"}
}
