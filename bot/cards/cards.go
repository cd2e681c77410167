// Package cards writes what volunteers and the public read about a case:
// the case card, the one-line summary, the buttons under a card, the public
// card for broadcast groups and history lines — and decides, through
// Privacy, what personal data each of them may show.
package cards

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// Privacy says whether a card may show personal data. Only coordination
// chats, the case's own room, the asker's own chat and the board see phone
// numbers and exact addresses.
type Privacy bool

// The two privacies.
const (
	Masked   Privacy = false
	Unmasked Privacy = true
)

// Namer gives the display name of a chat or person ref (the ref itself
// when it has none).
type Namer interface {
	ChatName(ref string) string
}

// Renderer writes cards that name chats and people and show times.
type Renderer struct {
	Names Namer
	Loc   *time.Location
}

// Card is the standard case card: the "re-edited request" volunteers used
// to write by hand — urgency first, then what, where, who, the words of the
// asker, why the bot flagged it, and what to do next.
func (r Renderer) Card(c *store.Case, lang string, p Privacy) string {
	a := c.Assessment
	var b strings.Builder
	if a.Scam {
		// First, before the urgency: a flagged plea must not be read as
		// an emergency before the warning.
		b.WriteString(i18n.T(lang, "⚠ possible scam: asks for money transfer or payment code") + "\n")
	}
	fmt.Fprintf(&b, "%s · %s · %s\n", i18n.Urgency(lang, c.Urgency), i18n.Category(lang, c.Category), i18n.T(lang, "case #%d", c.ID))
	if line := UnknownUrgencyLine(c, lang); line != "" {
		b.WriteString(line + "\n")
	}
	if where := Places(c, p); where != "" {
		b.WriteString(i18n.T(lang, "Where: %s", where) + "\n")
	}
	if line := LocationLine(c, lang, p); line != "" {
		b.WriteString(line + "\n")
	}
	if who := vulnerable(lang, a.Vulnerable); who != "" {
		b.WriteString(i18n.T(lang, "Who: %s", who) + "\n")
	}
	if len(a.Durations) > 0 {
		b.WriteString(i18n.T(lang, "For how long: %s", strings.Join(a.Durations, ", ")) + "\n")
	}
	if c.Text != "" || len(c.Media) == 0 {
		b.WriteString(i18n.T(lang, "Request: %s", Quote(c.Text, p)) + "\n")
	}
	if line := r.LatestLine(c, lang, p); line != "" {
		b.WriteString(line + "\n")
	}
	for _, line := range r.MediaLines(c, lang, p) {
		b.WriteString(line + "\n")
	}
	if contact := contactText(c, lang, p); contact != "" {
		b.WriteString(i18n.T(lang, "Contact: %s", contact) + "\n")
	}
	if why := a.Explain(); why != "" && (len(a.Signals) > 0 || !c.UrgencyUnknown) {
		b.WriteString(i18n.T(lang, "Why: %s", why) + "\n")
	}
	if line := UrgencyChangeLine(c, lang); line != "" {
		b.WriteString(line + "\n")
	}
	src := r.Names.ChatName(c.SourceChat)
	if !c.Created.IsZero() {
		src += " · " + c.Created.In(r.Loc).Format("01-02 15:04")
	}
	if n := c.SourceCount; n > 1 {
		src += " · " + i18n.T(lang, "reposted %d times", n-1)
	}
	b.WriteString(i18n.T(lang, "From: %s", src) + "\n")
	if line := LinksLine(c, lang); line != "" {
		b.WriteString(line + "\n")
	}
	if c.Status != store.StatusNew && c.Status != "" {
		st := i18n.Status(lang, c.Status)
		if c.CloseReason != "" {
			st += " (" + c.CloseReason + ")"
		}
		b.WriteString(i18n.T(lang, "Status: %s", st) + "\n")
	}
	if len(c.Assignees) > 0 {
		b.WriteString(i18n.T(lang, "Held by: %s", strings.Join(r.People(c.Assignees), ", ")) + "\n")
	}
	if next := NextStep(c, lang); next != "" {
		b.WriteString(next)
	}
	return strings.TrimRight(b.String(), "\n")
}

// Changed is the card after a change, with a line saying what changed
// and who did it.
func (r Renderer) Changed(c *store.Case, lang string, p Privacy, what, actor string) string {
	return r.Card(c, lang, p) + "\n" + i18n.T(lang, "Last: %s by @%s", i18n.T(lang, "event:"+what), platform.LocalID(actor))
}

// People shows people by name (Telegram ids mean nothing to readers).
func (r Renderer) People(refs []string) []string {
	out := make([]string, len(refs))
	for i, ref := range refs {
		if n := r.Names.ChatName(ref); n != ref {
			out[i] = "@" + strings.TrimPrefix(n, "@")
		} else {
			out[i] = "@" + platform.LocalID(ref)
		}
	}
	return out
}

// EventLine is one line of a case's history.
func (r Renderer) EventLine(ev store.Event, lang string, p Privacy) string {
	s := ev.At.In(r.Loc).Format("01-02 15:04") + " " + "@" + platform.LocalID(ev.Actor) + " " + i18n.T(lang, "event:"+ev.Kind)
	if ev.From != "" || ev.To != "" {
		s += " " + strings.TrimSpace(ev.From+" → "+platform.LocalID(ev.To))
	}
	if ev.Note != "" {
		note := ev.Note
		if p == Masked {
			note = triage.MaskText(note)
		}
		s += ": " + Clip(note, 120)
	}
	return s
}

// Buttons are the one-tap actions under a card; each is the command it
// stands for, so it is authorised exactly like the typed command.
// They follow the case's state: nobody is offered to claim a case that is
// held (only to join it), or to verify one that is verified.
func Buttons(c *store.Case, lang string) [][]platform.Button {
	if !c.Status.Open() {
		return nil
	}
	id := c.ID
	claim := platform.Button{Label: i18n.T(lang, "Claim"), Data: fmt.Sprintf("/claim %d", id)}
	if len(c.Assignees) > 0 {
		claim = platform.Button{Label: i18n.T(lang, "Join"), Data: fmt.Sprintf("/claim %d also", id)}
	}
	verify := platform.Button{Label: i18n.T(lang, "Verify"), Data: fmt.Sprintf("/verify %d", id)}
	resolve := platform.Button{Label: i18n.T(lang, "Resolve"), Data: fmt.Sprintf("/resolve %d", id)}
	room := platform.Button{Label: i18n.T(lang, "Open room"), Data: fmt.Sprintf("/room %d", id)}
	if c.Room != "" {
		room.Label = i18n.T(lang, "Room")
	}
	switch c.Status {
	case store.StatusVerified:
		working := platform.Button{Label: i18n.T(lang, "Help on the way"), Data: fmt.Sprintf("/status %d in_progress", id)}
		return [][]platform.Button{{claim, working, resolve, room}}
	case store.StatusInProgress:
		return [][]platform.Button{{claim, resolve, room}}
	}
	return [][]platform.Button{{claim, verify, resolve, room}}
}

// NextStep is the card's last line: what the team should do next, given
// the case's state ("" for a finished case).
func NextStep(c *store.Case, lang string) string {
	id := c.ID
	switch {
	case !c.Status.Open():
		return i18n.T(lang, "Finished. /reopen %d if help is still needed.", id)
	case len(c.Assignees) == 0:
		return i18n.T(lang, "Next: /claim %d to take it · /verify %d after calling · /room %d for a rescue room", id, id, id)
	case c.Status == store.StatusNew || c.Status == store.StatusVerifying:
		return i18n.T(lang, "Next: the holder calls the asker, then /verify %d · /claim %d also to help · /room %d for a rescue room", id, id, id)
	case c.Status == store.StatusVerified:
		return i18n.T(lang, "Next: /status %d in_progress when help is on the way · /resolve %d when done", id, id)
	}
	return i18n.T(lang, "Next: /note %d to log progress · /resolve %d when done", id, id)
}

// UrgencyChangeLine says why the case's urgency is not the one the
// triage reasons above arrived at: a coordinator's override with its
// reason, or a later message that raised it ("" when it is the same).
func UrgencyChangeLine(c *store.Case, lang string) string {
	if o := c.Override; o != nil && o.To == c.Urgency.String() {
		if o.From == triage.None.String() {
			// /new: nothing to override, the bot read no request at all.
			return i18n.T(lang, "Not read as a request by the bot; opened by hand by %s as %s", o.Reason, o.To)
		}
		line := i18n.T(lang, "Coordinator set: %s → %s", o.From, o.To)
		if strings.TrimSpace(o.Reason) != "" {
			line += i18n.T(lang, ", reason: %s", Clip(o.Reason, 200))
		}
		return line
	}
	if c.UrgencyUnknown || c.Assessment.Urgency == c.Urgency || c.Assessment.Urgency == triage.None {
		return ""
	}
	return i18n.T(lang, "Now %s: raised by a later message (see /case %d)", c.Urgency.String(), c.ID)
}

// Line is the one-line summary used in lists, digests and folded alerts.
func Line(c *store.Case, lang string, p Privacy) string {
	where := Places(c, p)
	if where != "" {
		where = " · " + where
	}
	quote := Quote(c.Text, p)
	if quote == "" && len(c.Media) > 0 {
		quote = MediaCount(c.Media, lang)
	}
	return fmt.Sprintf("#%d %s · %s%s · %s · %s", c.ID, i18n.Urgency(lang, c.Urgency), i18n.Category(lang, c.Category), where,
		i18n.Status(lang, c.Status), Clip(quote, 40))
}

// Places is where the case is: its address and the places triage found.
func Places(c *store.Case, p Privacy) string {
	places := c.Assessment.Places
	if c.Address != "" {
		places = append([]string{c.Address}, places...)
	}
	if len(places) == 0 {
		return ""
	}
	s := strings.Join(places, " ")
	if p == Masked {
		s = triage.MaskText(s)
	}
	return s
}

func contactText(c *store.Case, lang string, p Privacy) string {
	var parts []string
	for _, ph := range c.Phones {
		if p == Masked {
			ph = triage.MaskPhone(ph)
		}
		parts = append(parts, ph)
	}
	if name := AskerName(c, lang); name != "" {
		parts = append(parts, "("+name+")")
	}
	return strings.Join(parts, " ")
}

// Quote is the plea's text on one line, masked where it must be.
func Quote(text string, p Privacy) string {
	text = strings.Join(strings.Fields(text), " ")
	if p == Masked {
		text = triage.MaskText(text)
	}
	return Clip(text, 600)
}

// Vulnerable names the vulnerable groups triage found, in lang.
func vulnerable(lang string, groups []string) string {
	if len(groups) == 0 {
		return ""
	}
	who := make([]string, len(groups))
	for i, v := range groups {
		who[i] = i18n.Vulnerable(lang, v)
	}
	return strings.Join(who, ", ")
}

// Vulnerable names the vulnerable groups of c in lang ("" for none).
func Vulnerable(c *store.Case, lang string) string { return vulnerable(lang, c.Assessment.Vulnerable) }

// Clip shortens s to at most n runes, marking the cut.
func Clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Directory lists directory entries that may help with a case, for the
// cards volunteers act on.
func Directory(lang string, matches []store.DirEntry) string {
	if len(matches) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n" + i18n.T(lang, "May help:"))
	for _, d := range matches {
		line := d.Name
		for _, part := range []string{d.District, d.Phone, d.Hours} {
			if part != "" {
				line += " · " + part
			}
		}
		b.WriteString("\n  " + line)
	}
	return b.String()
}
