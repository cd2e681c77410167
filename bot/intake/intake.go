// Package intake turns messages in the mutual-aid groups the bot reads
// into cases: triage decides whether a message is a plea, the plea becomes
// a new case or merges into an open one, and urgent cases alert the
// coordination chats — in one transaction with the message's seen-record,
// so a crash leaves neither a case without its alert nor an alert without
// its case. Edits of a plea update its case.
package intake

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/directory"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/media"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/bot/rooms"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// Intake handles pleas from intake groups (and, through Ingest, private
// ones).
type Intake struct {
	env       *env.Env
	triage    *triage.Engine
	cards     cards.Renderer
	rooms     *rooms.Rooms
	directory *directory.Directory
	// alertAt is the lowest urgency that alerts coordination chats.
	alertAt triage.Urgency
	// media relays and reads media (media.go); refresh edits cards.
	media   *media.Service
	refresh refresher
}

// New makes the intake path.
func New(e *env.Env, t *triage.Engine, r cards.Renderer, rm *rooms.Rooms, d *directory.Directory, alertAt triage.Urgency) *Intake {
	return &Intake{env: e, triage: t, cards: r, rooms: rm, directory: d, alertAt: alertAt}
}

// AlertAt is the lowest urgency that alerts the coordination chats.
func (in *Intake) AlertAt() triage.Urgency { return in.alertAt }

// Handle runs a group message through triage and, for a request, creates
// or merges its case and queues the alerts.
func (in *Intake) Handle(ctx context.Context, m platform.Message, chat *store.Chat) error {
	m = Words(m)
	if media.Has(m) && !m.Edited {
		return in.handleMedia(ctx, m, chat)
	}
	a := in.assess(ctx, m)
	if m.Edited {
		return in.handleEdit(ctx, m, a)
	}
	if !a.IsRequest {
		if followUp(a) {
			return in.handleFollowUp(ctx, m, a)
		}
		return in.env.MarkSeen(ctx, m)
	}
	c, err := in.Ingest(ctx, m, chat, a)
	if err != nil || c == nil {
		return err
	}
	in.rooms.MaybeAuto(ctx, c)
	in.directory.AutoReply(ctx, m, chat, c)
	return nil
}

// assess triages a group message, timing it and counting what it was for
// the operator's metrics.
func (in *Intake) assess(ctx context.Context, m platform.Message) triage.Assessment {
	start := time.Now() // wall time: the engine's clock may be a test's
	a := in.triage.Assess(m.Text)
	obs := in.env.ObserveIn(ctx)
	obs.Triage(time.Since(start))
	kind := "chatter"
	switch {
	case m.Edited:
		kind = "edit"
	case a.IsRequest:
		kind = "request"
	}
	obs.Message(m.Platform(), kind)
	return a
}

// Proposal is the case a plea would open: its asker (the original sender of
// a forward, with the forwarder as relayer), text, assessment and media.
func Proposal(m platform.Message, a triage.Assessment) store.Case {
	askerName, relayedBy := askerNames(m)
	return store.Case{
		Asker:      m.Sender,
		AskerName:  askerName,
		RelayedBy:  relayedBy,
		Media:      caseMedia(m),
		SourceChat: m.Chat,
		SourceMsg:  m.ID,
		Text:       m.Text,
		Assessment: a,
		Category:   a.Category,
		Urgency:    a.Urgency,
		Status:     store.StatusNew,
		Phones:     a.Phones,
		Language:   a.Language,
		Created:    m.Time,
		Updated:    m.Time,
	}
}

// ProposalAtLeast is the case m opens when it is one whatever the triage
// reads (a voice note, details left unanswered, a volunteer's /new): its
// urgency at least floor, its category "other" when the triage names none.
func ProposalAtLeast(m platform.Message, a triage.Assessment, floor triage.Urgency) store.Case {
	c := Proposal(m, a)
	c.Urgency = max(c.Urgency, floor)
	if c.Category == triage.CatNone {
		c.Category = triage.CatOther
	}
	return c
}

// Ingest records a request message as a new case or merges it into an
// open one (same phone or a near-duplicate text), queueing the alerts. It
// returns nil for a message that was already handled. Each then runs in
// the same transaction once the case is recorded (media relays).
func (in *Intake) Ingest(ctx context.Context, m platform.Message, chat *store.Chat, a triage.Assessment, then ...func(tx *store.Tx, c *store.Case, merged bool) error) (*store.Case, error) {
	proposal := Proposal(m, a)
	var res store.IngestResult
	// Batch lets messages from several chats share one commit (one fsync);
	// the function may run again after a failed batch, and is idempotent.
	err := in.env.Store.Batch(ctx, func(tx *store.Tx) error {
		// Every bound coordination chat, reachable or not: a kicked chat's
		// alerts wait for it (and go to the admins meanwhile).
		coordination, reachable, err := delivery.CoordinationChats(tx)
		if err != nil {
			return err
		}
		res, err = tx.Ingest(store.IngestRequest{
			Msg:   env.MsgKey(m),
			At:    m.Time,
			Case:  proposal,
			Merge: true,
			// The merge rule (merge.go), never into someone else's
			// private case (see privateGuard).
			Decide: privateGuard(tx, Judge{}.Decide),
			Alerts: func(c *store.Case, merged bool) []store.OutboxItem {
				if c.Urgency < in.alertAt {
					return nil
				}
				matches, err := directory.Matches(tx, c)
				if err != nil {
					in.env.Log.Warn("directory lookup", "err", err)
				}
				var raisedBy *platform.Message
				if merged {
					raisedBy = &m
				}
				items, err := in.alertItems(tx, c, raisedBy, coordination, reachable, matches)
				if err != nil {
					in.env.Log.Error("alert admins privately", "case", c.ID, "err", err)
				}
				return items
			},
		})
		if err != nil || res.Duplicate {
			return err
		}
		for _, f := range then {
			if err := f(tx, res.Case, res.Merged); err != nil {
				return err
			}
		}
		return in.showMerge(tx, m, proposal, res)
	})
	if err != nil {
		return nil, fmt.Errorf("ingest request: %w", err)
	}
	if res.Duplicate {
		return nil, nil
	}
	in.env.ObserveIn(ctx).Request(res.Case.Urgency.String())
	in.env.Log.Info("request recorded", "case", res.Case.ID, "merged", res.Merged, "urgency", res.Case.Urgency.String(),
		"category", string(res.Case.Category), "alerts", res.Enqueued)
	return res.Case, nil
}

// showMerge keeps the cards true after an ingest: a merged message that
// adds words (the asker's update, a repost that is not a near copy) shows
// on the case's card as its latest addition, and a case the new one was
// linked to shows the link. A plain repost only counts, so a repost storm
// does not turn into a storm of card edits.
func (in *Intake) showMerge(tx *store.Tx, m platform.Message, proposal store.Case, res store.IngestResult) error {
	if res.Merged {
		src := res.Source
		near := triage.NearDuplicate(res.Case.Assessment.Fingerprint, proposal.Assessment.Fingerprint)
		if src != nil && (src.Kind == store.SourceUpdate || !near) && strings.TrimSpace(m.Text) != "" {
			return in.Updated(tx, res.Case, m.Sender, "merged", cards.Clip(cards.Quote(m.Text, cards.Unmasked), 120))
		}
		return nil
	}
	if in.refresh == nil {
		return nil
	}
	for _, l := range res.Links {
		other, err := tx.Case(l.Case)
		if err != nil {
			return fmt.Errorf("linked case #%d: %w", l.Case, err)
		}
		if _, err := in.refresh.RefreshCards(tx, other, store.Actor, "linked"); err != nil {
			return err
		}
	}
	return nil
}

// alertItems builds the alert card for every coordination chat when the
// case is urgent enough. The dedupe key carries the urgency, so a repost at
// the same level alerts nobody again, while a repost that raises the level
// alerts once more, quoting raisedBy, the merged message that raised it.
//
// When none of the coordination chats can be reached (the bot was kicked),
// the alert also goes to every admin privately at once; the chats' copies
// stay queued until they are reachable again.
func (in *Intake) alertItems(tx *store.Tx, c *store.Case, raisedBy *platform.Message, coordination []*store.Chat, reachable int, matches []store.DirEntry) ([]store.OutboxItem, error) {
	if c.Urgency < in.alertAt {
		return nil, nil
	}
	now := in.env.Now()
	text := func(lang string) string {
		text := in.cards.Card(c, lang, cards.Unmasked) + cards.Directory(lang, matches)
		if raisedBy != nil {
			key := "urgency raised to %s by a repost: %s"
			if raisedBy.Sender == c.Asker {
				key = "urgency raised to %s by an update: %s"
			}
			text = i18n.T(lang, key, i18n.Urgency(lang, c.Urgency), cards.Quote(raisedBy.Text, cards.Unmasked)) + "\n" + text
		}
		return text
	}
	var items []store.OutboxItem
	for _, ch := range coordination {
		lang := in.env.Lang(ch)
		out := platform.OutMessage{Chat: ch.Ref, Text: text(lang), Buttons: cards.Buttons(c, lang)}
		items = append(items, delivery.Item(now, delivery.KindAlert, c.ID, out, delivery.AlertKey(c.ID, ch.Ref, c.Urgency)))
	}
	if reachable > 0 {
		return items, nil
	}
	admin, err := delivery.AdminAlertItems(tx, in.env, now, c.ID, c.Urgency.String(), text)
	return append(items, admin...), err
}

// followUp says whether a message that is no plea by itself may still be
// news about one ("外婆还是没醒，救护车还没来"): it names a person, a need
// or a sign, and is not thanks, an offer, news or "solved".
func followUp(a triage.Assessment) bool {
	if len(a.Signals) == 0 || a.Resolved || a.Scam {
		return false
	}
	switch a.Act {
	case "", triage.ActChat, triage.ActPlea, triage.ActRelayed:
		return true
	}
	return false
}

// handleFollowUp adds a message to the case its author asked in this chat
// shortly before (or the plea it replies to), as an update shown on the
// card: what an asker adds must not be lost because it does not read as a
// plea of its own. Otherwise the message is only recorded as seen.
func (in *Intake) handleFollowUp(ctx context.Context, m platform.Message, a triage.Assessment) error {
	return in.env.Once(ctx, m, func(tx *store.Tx) error {
		c, err := in.detailTarget(tx, m)
		if err != nil || c == nil || c.Asker != m.Sender {
			return err
		}
		src, err := tx.AddSource(c.ID, store.Source{Kind: store.SourceUpdate, Chat: m.Chat, Msg: m.ID, Sender: m.Sender,
			SenderName: m.SenderName, At: m.Time, Text: m.Text})
		if err != nil {
			return fmt.Errorf("add follow-up to case #%d: %w", c.ID, err)
		}
		if err := tx.AppendEvent(&store.Event{Case: c.ID, At: m.Time, Actor: m.Sender, Kind: "merged", Note: src.Chat + "/" + src.Msg}); err != nil {
			return err
		}
		if c, err = tx.Case(c.ID); err != nil {
			return err
		}
		return in.Updated(tx, c, m.Sender, "merged", cards.Clip(cards.Quote(m.Text, cards.Unmasked), 120))
	})
}

// handleEdit applies an edited plea to the case it created.
func (in *Intake) handleEdit(ctx context.Context, m platform.Message, a triage.Assessment) error {
	return in.env.Once(ctx, m, func(tx *store.Tx) error {
		c, err := caseFromSource(tx, m)
		if err != nil || c == nil {
			return err
		}
		before := c.Urgency
		c.Text, c.Assessment, c.Category, c.Updated = m.Text, a, a.Category, m.Time
		if a.Urgency > c.Urgency || a.Resolved {
			c.Urgency = a.Urgency
		}
		c.Phones = env.Union(c.Phones, a.Phones)
		if err := tx.PutCase(c); err != nil {
			return err
		}
		if err := tx.AppendEvent(&store.Event{Case: c.ID, At: m.Time, Actor: m.Sender, Kind: "edited", From: before.String(), To: c.Urgency.String()}); err != nil {
			return err
		}
		if c.Urgency > before {
			return in.QueueAlerts(tx, c)
		}
		return nil
	})
}

// QueueAlerts queues the alert card of c, with matching directory entries,
// for every coordination chat, when c is urgent enough. Alerts already
// sent at this urgency are not repeated (their dedupe key).
func (in *Intake) QueueAlerts(tx *store.Tx, c *store.Case) error {
	coordination, reachable, err := delivery.CoordinationChats(tx)
	if err != nil {
		return err
	}
	matches, err := directory.Matches(tx, c)
	if err != nil {
		return fmt.Errorf("directory matches for case %d: %w", c.ID, err)
	}
	items, err := in.alertItems(tx, c, nil, coordination, reachable, matches)
	if err != nil {
		return fmt.Errorf("alerts of case %d: %w", c.ID, err)
	}
	for _, it := range items {
		if _, err := tx.Enqueue(&it); err != nil {
			return fmt.Errorf("queue alert for case %d: %w", c.ID, err)
		}
	}
	return nil
}

// caseFromSource finds the case a message created or was merged into,
// when the message's sender is that case's asker: someone whose repost was
// merged into another person's case must not rewrite it by editing.
func caseFromSource(tx *store.Tx, m platform.Message) (*store.Case, error) {
	c, err := tx.CaseOfMessage(env.MsgKey(m))
	if err != nil || c == nil || c.Asker != m.Sender {
		return nil, err
	}
	return c, nil
}
