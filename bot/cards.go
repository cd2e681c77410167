package bot

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// privacy says whether a card may show personal data. Only coordination
// chats and the case's own room see phone numbers and exact addresses.
type privacy bool

const (
	masked   privacy = false
	unmasked privacy = true
)

// cardText is the standard case card: the "re-edited request" volunteers
// used to write by hand — urgency first, then what, where, who, the words
// of the asker, why the bot flagged it, and what to do next.
func (e *Engine) cardText(c *store.Case, lang string, p privacy) string {
	a := c.Assessment
	var b strings.Builder
	fmt.Fprintf(&b, "%s · %s · %s\n", urgencyLabel(lang, c.Urgency), categoryLabel(lang, c.Category), tr(lang, "case #%d", c.ID))
	if a.Scam {
		b.WriteString(tr(lang, "⚠ possible scam: asks for money transfer or payment code") + "\n")
	}
	if where := placesText(c, p); where != "" {
		b.WriteString(tr(lang, "Where: %s", where) + "\n")
	}
	if len(a.Vulnerable) > 0 {
		who := make([]string, len(a.Vulnerable))
		for i, v := range a.Vulnerable {
			who[i] = vulnerableLabel(lang, v)
		}
		b.WriteString(tr(lang, "Who: %s", strings.Join(who, ", ")) + "\n")
	}
	if len(a.Durations) > 0 {
		b.WriteString(tr(lang, "For how long: %s", strings.Join(a.Durations, ", ")) + "\n")
	}
	b.WriteString(tr(lang, "Request: %s", quoteText(c.Text, p)) + "\n")
	if contact := contactText(c, p); contact != "" {
		b.WriteString(tr(lang, "Contact: %s", contact) + "\n")
	}
	if why := a.Explain(); why != "" {
		b.WriteString(tr(lang, "Why: %s", why) + "\n")
	}
	src := e.chatName(c.SourceChat)
	if !c.Created.IsZero() {
		src += " · " + c.Created.In(e.loc).Format("01-02 15:04")
	}
	if n := c.SourceCount; n > 1 {
		src += " · " + tr(lang, "reposted %d times", n-1)
	}
	b.WriteString(tr(lang, "From: %s", src) + "\n")
	if c.Status != store.StatusNew && c.Status != "" {
		st := statusLabel(lang, c.Status)
		if c.CloseReason != "" {
			st += " (" + c.CloseReason + ")"
		}
		b.WriteString(tr(lang, "Status: %s", st) + "\n")
	}
	if len(c.Assignees) > 0 {
		b.WriteString(tr(lang, "Held by: %s", strings.Join(e.displayRefs(c.Assignees), ", ")) + "\n")
	}
	if c.Status.Open() {
		b.WriteString(tr(lang, "Next: /claim %d to take it · /verify %d after calling · /room %d for a rescue room", c.ID, c.ID, c.ID))
	}
	return strings.TrimRight(b.String(), "\n")
}

// chatName is a chat's or person's display name (its ref when it has none).
func (e *Engine) chatName(ref string) string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if n := e.names[ref]; n != "" {
		return n
	}
	return ref
}

func (e *Engine) rememberName(ref, name string) {
	if name == "" {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.names[ref] = name
}

// cardButtons are the one-tap actions under a card; each is the command it
// stands for, so it is authorised exactly like the typed command.
func cardButtons(c *store.Case, lang string) [][]Button {
	if !c.Status.Open() {
		return nil
	}
	id := c.ID
	return [][]Button{{
		{Label: tr(lang, "Claim"), Data: fmt.Sprintf("/claim %d", id)},
		{Label: tr(lang, "Verify"), Data: fmt.Sprintf("/verify %d", id)},
		{Label: tr(lang, "Resolve"), Data: fmt.Sprintf("/resolve %d", id)},
		{Label: tr(lang, "Open room"), Data: fmt.Sprintf("/room %d", id)},
	}}
}

// caseLine is the one-line summary used in lists, digests and folded alerts.
func caseLine(c *store.Case, lang string, p privacy) string {
	where := placesText(c, p)
	if where != "" {
		where = " · " + where
	}
	return fmt.Sprintf("#%d %s · %s%s · %s · %s", c.ID, urgencyLabel(lang, c.Urgency), categoryLabel(lang, c.Category), where,
		statusLabel(lang, c.Status), clip(quoteText(c.Text, p), 40))
}

func placesText(c *store.Case, p privacy) string {
	places := c.Assessment.Places
	if c.Address != "" {
		places = append([]string{c.Address}, places...)
	}
	if len(places) == 0 {
		return ""
	}
	s := strings.Join(places, " ")
	if p == masked {
		s = triage.MaskText(s)
	}
	return s
}

func contactText(c *store.Case, p privacy) string {
	var parts []string
	for _, ph := range c.Phones {
		if p == masked {
			ph = triage.MaskPhone(ph)
		}
		parts = append(parts, ph)
	}
	if c.AskerName != "" {
		parts = append(parts, "("+c.AskerName+")")
	}
	return strings.Join(parts, " ")
}

func quoteText(text string, p privacy) string {
	text = strings.Join(strings.Fields(text), " ")
	if p == masked {
		text = triage.MaskText(text)
	}
	return clip(text, 600)
}

// clip shortens s to at most n runes, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// displayRefs shows people by name (Telegram ids mean nothing to readers).
func (e *Engine) displayRefs(refs []string) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		if n := e.chatName(r); n != r {
			out[i] = "@" + strings.TrimPrefix(n, "@")
		} else {
			out[i] = "@" + LocalID(r)
		}
	}
	return out
}

// directoryText lists directory entries that may help with a case, for the
// cards volunteers act on.
func (e *Engine) directoryText(c *store.Case, lang string, matches []store.DirEntry) string {
	if len(matches) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n" + tr(lang, "May help:"))
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
