package asker

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/intake"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// ingest records a private plea as the sender's own new case, never
// merged into an existing one, queues its alerts in the same transaction,
// and links it to the open cases of other people it resembles. It returns
// nil for a message that was already handled.
func (as *Asker) ingest(ctx context.Context, m platform.Message, a triage.Assessment, then ...func(tx *store.Tx, c *store.Case, merged bool) error) (*store.Case, error) {
	proposal := intake.Proposal(m, a)
	var (
		c     *store.Case
		links []link
	)
	err := as.env.Store.Update(ctx, func(tx *store.Tx) error {
		// Looked up before the new case exists, so it can't find itself.
		similar, err := resembling(tx, m.Sender, a)
		if err != nil {
			return err
		}
		res, err := tx.Ingest(store.IngestRequest{Msg: env.MsgKey(m), At: m.Time, Case: proposal})
		if err != nil || res.Duplicate {
			return err
		}
		c, links = res.Case, similar
		for _, l := range links {
			if err := as.link(tx, c, l); err != nil {
				return err
			}
		}
		for _, f := range then {
			if err := f(tx, c, false); err != nil {
				return err
			}
		}
		return as.intake.QueueAlerts(tx, c)
	})
	if err != nil {
		return nil, fmt.Errorf("record private request: %w", err)
	}
	if c != nil {
		as.env.Log.Info("private request recorded", "case", c.ID, "urgency", c.Urgency.String(), "category", string(c.Category), "linked", len(links))
	}
	return c, nil
}

// link is another person's open case a private plea resembles, and how.
type link struct {
	c      *store.Case
	reason string // "same phone", "similar text"
}

// resembling finds the open cases of people other than sender that share
// a phone number with the plea or have a near-copy of its text.
func resembling(tx *store.Tx, sender string, a triage.Assessment) ([]link, error) {
	var out []link
	add := func(c *store.Case, reason string) {
		if c == nil || c.Asker == sender || slices.ContainsFunc(out, func(l link) bool { return l.c.ID == c.ID }) {
			return
		}
		out = append(out, link{c: c, reason: reason})
	}
	for _, p := range a.Phones {
		c, err := tx.FindOpenByPhone(p)
		if err != nil {
			return nil, fmt.Errorf("find cases with the same phone: %w", err)
		}
		add(c, "same phone")
	}
	c, err := tx.FindOpenByFingerprint(a.Fingerprint)
	if err != nil {
		return nil, fmt.Errorf("find cases with similar text: %w", err)
	}
	add(c, "similar text")
	return out, nil
}

// link records, on both cases, that the new case may be about the other,
// and tells the coordination chats — only them: neither asker learns of
// the other's case.
func (as *Asker) link(tx *store.Tx, c *store.Case, l link) error {
	now := as.env.Now()
	if err := tx.LinkCases(c.ID, l.c.ID, l.reason, now); err != nil {
		return err
	}
	for _, ev := range []store.Event{
		{Case: c.ID, At: now, Actor: env.Bot, Kind: "linked", To: strconv.FormatInt(l.c.ID, 10), Note: l.reason},
		{Case: l.c.ID, At: now, Actor: env.Bot, Kind: "linked", To: strconv.FormatInt(c.ID, 10), Note: l.reason},
	} {
		if err := tx.AppendEvent(&ev); err != nil {
			return fmt.Errorf("link cases %d and %d: %w", c.ID, l.c.ID, err)
		}
	}
	coordination, err := env.ChatsWithRole(tx, store.RoleCoordination)
	if err != nil {
		return err
	}
	for _, ch := range coordination {
		lang := as.env.Lang(ch)
		text := i18n.T(lang, "🔗 Private request #%d may be about case #%d (%s). It was kept as its own case and its sender was told nothing about #%d. If a call shows they are the same, /merge %d %d.",
			c.ID, l.c.ID, i18n.T(lang, l.reason), l.c.ID, c.ID, l.c.ID)
		out := platform.OutMessage{Chat: ch.Ref, Text: text}
		if err := delivery.Enqueue(tx, now, delivery.KindNotice, c.ID, out, fmt.Sprintf("link:%d:%d:%s", c.ID, l.c.ID, ch.Ref)); err != nil {
			return err
		}
	}
	return nil
}

// OwnView is case c as its asker person may see it: only what they wrote.
// A case that began with their group post may have merged others'
// reposts, with other phone numbers; those are not theirs to see.
func OwnView(tx *store.Tx, c *store.Case, person string) (*store.Case, error) {
	own := *c
	if c.Asker != person {
		own.Text, own.Address, own.Phones = "", "", nil
		own.Assessment.Places, own.Assessment.Phones = nil, nil
		return &own, nil
	}
	// Their phones: those in their plea, its address and the details
	// they added, read the way triage read them (numerals, spacing).
	theirs := slices.Clone(c.Assessment.Phones)
	words := []string{c.Text, c.Address}
	events, err := tx.Events(c.ID)
	if err != nil {
		return nil, fmt.Errorf("read events of case %d: %w", c.ID, err)
	}
	for _, ev := range events {
		if ev.Actor == person && ev.Kind == "asker_info" {
			words = append(words, ev.Note)
		}
	}
	theirs = append(theirs, triage.Assess(strings.Join(words, "\n")).Phones...)
	own.Phones = slices.DeleteFunc(slices.Clone(c.Phones), func(p string) bool { return !slices.Contains(theirs, p) })
	return &own, nil
}

// Summary is what an asker is shown of their own case c: its number and
// state and what the bot understood from their own words.
func Summary(tx *store.Tx, c *store.Case, person, lang string) (string, error) {
	own, err := OwnView(tx, c, person)
	if err != nil {
		return "", err
	}
	return i18n.T(lang, "Request #%d: %s", c.ID, i18n.Status(lang, c.Status)) + "\n" + understood(own, lang), nil
}
