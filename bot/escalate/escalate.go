// Package escalate re-alerts urgent cases nobody has claimed: one short
// nudge to the coordination chats after the urgency's wait, then, after as
// long again, a word to the admins privately. A claim stops it.
package escalate

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// Kind is the outbox kind of a nudge (the alert lane).
const Kind = "escalation"

// Defaults are the waits when none are configured.
var Defaults = map[triage.Urgency]time.Duration{triage.Critical: 10 * time.Minute, triage.High: 30 * time.Minute}

// Stages of a case's escalation, kept in the store so a restart neither
// repeats nor forgets them.
const (
	stageNudged = 1 // re-alerted in the coordination chats
	stageAdmins = 2 // told to the admins privately
)

// Escalator finds unclaimed urgent cases and nudges.
type Escalator struct {
	env   *env.Env
	after map[triage.Urgency]time.Duration
}

// New makes an escalator. after gives the wait per urgency (nil: Defaults;
// a zero or missing wait turns escalation off for that urgency).
func New(e *env.Env, after map[triage.Urgency]time.Duration) *Escalator {
	if after == nil {
		after = Defaults
	}
	return &Escalator{env: e, after: after}
}

func stageKey(id int64) string { return "escalated:" + strconv.FormatInt(id, 10) }

// unclaimed says whether nobody has taken the case on.
func unclaimed(c *store.Case) bool {
	return c.Status.Open() && len(c.Assignees) == 0 && c.Status != store.StatusInProgress
}

// RunDue sends the nudges that have come due by the engine's clock and
// says how many cases it escalated.
func (x *Escalator) RunDue(ctx context.Context) (int, error) {
	now := x.env.Now()
	// Read first: most passes find nothing to do and write nothing.
	var due []int64
	err := x.env.Store.View(ctx, func(tx *store.Tx) error {
		cases, err := tx.OpenCases(0, func(c *store.Case) bool {
			return x.after[c.Urgency] > 0 && unclaimed(c) && !now.Before(c.Created.Add(x.after[c.Urgency]))
		})
		for _, c := range cases {
			if next, err := x.nextStage(tx, c, now); err != nil || next > 0 {
				if err != nil {
					return err
				}
				due = append(due, c.ID)
			}
		}
		return err
	})
	if err != nil || len(due) == 0 {
		return 0, err
	}
	n := 0
	err = x.env.Store.Update(ctx, func(tx *store.Tx) error {
		n = 0
		for _, id := range due {
			c, err := tx.Case(id)
			if err != nil {
				return err
			}
			if !unclaimed(c) {
				continue // claimed meanwhile
			}
			stage, err := x.nextStage(tx, c, now)
			if err != nil {
				return err
			}
			waited := now.Sub(c.Created)
			switch stage {
			case stageNudged:
				err = x.nudge(tx, c, waited)
			case stageAdmins:
				err = x.tellAdmins(tx, c, waited)
			default:
				continue
			}
			if err != nil {
				return fmt.Errorf("escalate case #%d: %w", c.ID, err)
			}
			if err := tx.PutState(stageKey(c.ID), []byte(strconv.Itoa(stage))); err != nil {
				return err
			}
			if err := tx.AppendEvent(&store.Event{Case: c.ID, At: now, Actor: env.Bot, Kind: "escalated", To: strconv.Itoa(stage)}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("escalate unclaimed cases: %w", err)
	}
	if n > 0 {
		x.env.Log.Warn("unclaimed urgent cases escalated", "cases", n)
		x.env.Wake()
	}
	return n, nil
}

// nextStage is the stage c is due for at now, or 0.
func (x *Escalator) nextStage(tx *store.Tx, c *store.Case, now time.Time) (int, error) {
	after := x.after[c.Urgency]
	if after <= 0 {
		return 0, nil
	}
	raw, err := tx.GetState(stageKey(c.ID))
	if err != nil {
		return 0, err
	}
	stage, _ := strconv.Atoi(string(raw))
	waited := now.Sub(c.Created)
	switch {
	case stage < stageNudged && waited >= after:
		return stageNudged, nil
	case stage == stageNudged && waited >= 2*after:
		return stageAdmins, nil
	}
	return 0, nil
}

// nudge re-alerts the case in every coordination chat as one short line.
func (x *Escalator) nudge(tx *store.Tx, c *store.Case, waited time.Duration) error {
	chats, _, err := delivery.CoordinationChats(tx)
	if err != nil {
		return err
	}
	for _, ch := range chats {
		lang := x.env.Lang(ch)
		text := "⏰ " + i18n.T(lang, "Nobody has claimed this for %d minutes: %s", int(waited.Minutes()), cards.Line(c, lang, cards.Unmasked))
		if len(c.Phones) > 0 {
			text += " · " + c.Phones[0]
		}
		text += "\n" + i18n.T(lang, "/claim %d to take it.", c.ID)
		out := platform.OutMessage{Chat: ch.Ref, Text: text}
		if err := delivery.Enqueue(tx, x.env.Now(), Kind, c.ID, out, fmt.Sprintf("escalation:%d:%s:%s", c.ID, ch.Ref, c.Urgency)); err != nil {
			return err
		}
	}
	return nil
}

// tellAdmins tells the admins privately that the nudge did not help.
func (x *Escalator) tellAdmins(tx *store.Tx, c *store.Case, waited time.Duration) error {
	_, err := delivery.NotifyAdmins(tx, x.env, x.env.Now(), func(lang string) string {
		return i18n.T(lang, "Case #%d is still unclaimed after %d minutes, though it was re-alerted in the coordination chat: %s", c.ID, int(waited.Minutes()), cards.Line(c, lang, cards.Unmasked))
	}, fmt.Sprintf("escalation-admin:%d:%s", c.ID, c.Urgency))
	return err
}

// Run escalates every interval until ctx ends.
func (x *Escalator) Run(ctx context.Context, interval time.Duration) {
	if len(x.after) == 0 {
		return
	}
	x.env.Every(ctx, interval, "escalation", func(ctx context.Context) error {
		_, err := x.RunDue(ctx)
		return err
	})
}
