package delivery

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// foldedKind marks a message that stands for several alerts sent as one.
const foldedKind = "alert-folded"

// defaultFoldRunes is the size of a folded alert on a platform that states
// no limit (the console): Telegram's, so a fold reads the same everywhere.
const defaultFoldRunes = 4000

// Per-line clips keep one plea from crowding out the others while leaving
// what a volunteer needs to act on: the place and every phone stay whole
// up to these lengths, the quote shrinks first.
const (
	foldPlaceRunes = 80
	foldQuoteRunes = 40
)

// fold packs a burst of alerts for one chat into as few messages as the
// platform's message size allows, when the chat's rate budget (avail sends)
// cannot carry them one by one. Every line carries what a volunteer needs
// to act without opening the case: number, urgency, category, place and
// phones. At most max(avail, 1) folds are built: more could not be sent in
// this pass, and the alerts left over are folded again in the next one.
func (o *Outbox) fold(ctx context.Context, ds []parcel, avail, maxRunes int) []parcel {
	var alerts []store.OutboxItem
	for _, d := range ds {
		if d.msg.Kind == KindAlert {
			alerts = append(alerts, d.msg)
		}
	}
	if len(alerts) < 2 || len(alerts) <= avail {
		return ds
	}
	if maxRunes <= 0 {
		maxRunes = defaultFoldRunes
	}
	chat := alerts[0].Chat
	lang := o.env.Language
	privacy := cards.Masked
	lines := make([]string, 0, len(alerts))
	err := o.env.Store.View(ctx, func(tx *store.Tx) error {
		if c, err := tx.Chat(chat); err == nil {
			lang = o.env.Lang(c)
			// Contacts in full only where personal data may be shown.
			if c.Role == store.RoleCoordination {
				privacy = cards.Unmasked
			}
		}
		for _, it := range alerts {
			c, err := tx.Case(it.Case)
			if err != nil {
				return err
			}
			lines = append(lines, FoldLine(c, lang, privacy))
		}
		return nil
	})
	if err != nil {
		o.env.Log.Warn("fold alerts: read cases", "err", err)
		return ds
	}
	groups := packFolds(lines, maxRunes, max(avail, 1), func(n int) int {
		return utf8.RuneCountInString(foldHeader(lang, n)) + utf8.RuneCountInString(foldFooter(lang)) + 2
	})
	var out []parcel
	inFold := map[uint64]bool{}
	next := 0
	for _, g := range groups {
		members := alerts[next : next+len(g)]
		next += len(g)
		text := foldHeader(lang, len(g)) + "\n" + strings.Join(g, "\n") + "\n" + foldFooter(lang)
		payload, _ := json.Marshal(platform.OutMessage{Chat: chat, Text: text})
		out = append(out, parcel{msg: store.OutboxItem{Chat: chat, Kind: foldedKind, Case: members[0].Case, Payload: payload}, members: members})
		for _, it := range members {
			inFold[it.ID] = true
		}
	}
	for _, d := range ds {
		if !inFold[d.msg.ID] {
			out = append(out, d)
		}
	}
	return out
}

func foldHeader(lang string, n int) string {
	return i18n.T(lang, "%d urgent cases arrived at once (folded to stay within this chat's rate limit):", n)
}

func foldFooter(lang string) string { return i18n.T(lang, "Use /case N for the full card.") }

// packFolds splits lines, in order, into at most maxMsgs groups whose text
// (lines joined by newlines plus overhead(len(group))) fits in maxRunes.
// A group always takes at least one line, so a line longer than the budget
// still goes out (the adapter splits it) rather than blocking the queue.
// Lines that fit in no group are left out: they wait for the next fold.
func packFolds(lines []string, maxRunes, maxMsgs int, overhead func(n int) int) [][]string {
	var groups [][]string
	var cur []string
	size := 0
	for _, l := range lines {
		n := utf8.RuneCountInString(l) + 1
		if len(cur) > 0 && size+n+overhead(len(cur)+1) > maxRunes {
			groups = append(groups, cur)
			if len(groups) == maxMsgs {
				return groups
			}
			cur, size = nil, 0
		}
		cur = append(cur, l)
		size += n
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	return groups
}

// FoldLine is one plea in a folded alert: case number, urgency, category,
// place and phones always, then as much of the plea as fits a short line.
// A case without a place or phone says so, so a reader never wonders
// whether it was cut off.
func FoldLine(c *store.Case, lang string, p cards.Privacy) string {
	place := cards.Places(c, p)
	if place == "" {
		place = i18n.T(lang, "place unknown")
	}
	var phones []string
	for _, ph := range c.Phones {
		if p == cards.Masked {
			ph = triage.MaskPhone(ph)
		}
		phones = append(phones, ph)
	}
	contact := "☎ " + strings.Join(phones, ", ")
	if len(phones) == 0 {
		contact = "☎ " + i18n.T(lang, "no phone given")
	}
	line := "#" + strconv.FormatInt(c.ID, 10) + " " + i18n.Urgency(lang, c.Urgency) + " · " + i18n.Category(lang, c.Category) +
		" · " + cards.Clip(place, foldPlaceRunes) + " · " + contact
	quote := cards.Quote(c.Text, p)
	if quote == "" && len(c.Media) > 0 {
		quote = cards.MediaCount(c.Media, lang)
	}
	if quote != "" {
		line += " · " + cards.Clip(quote, foldQuoteRunes)
	}
	return line
}
