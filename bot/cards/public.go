package cards

import (
	"fmt"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// Public is the card for broadcast groups ("推流"). Those groups are
// public, so it is rewritten for them: urgency first, the need, the
// district only, the contact masked, and how to help — through the
// volunteers, quoting #N. It never carries a full phone number or an
// address finer than the district.
func Public(c *store.Case, lang string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s · %s · %s\n", i18n.Urgency(lang, c.Urgency), i18n.Category(lang, c.Category), i18n.T(lang, "case #%d", c.ID))
	needed := publicExcerpt(c)
	if needed == "" && len(c.Media) > 0 {
		needed = MediaCount(c.Media, lang) // a voice plea: no words to show
	}
	b.WriteString(i18n.T(lang, "Needed: %s", needed) + "\n")
	if who := Vulnerable(c, lang); who != "" {
		b.WriteString(i18n.T(lang, "Who: %s", who) + "\n")
	}
	if len(c.Assessment.Durations) > 0 {
		b.WriteString(i18n.T(lang, "For how long: %s", strings.Join(c.Assessment.Durations, ", ")) + "\n")
	}
	if d := District(c); d != "" {
		b.WriteString(i18n.T(lang, "Where: %s", d) + "\n")
	}
	if len(c.Phones) > 0 {
		masked := make([]string, len(c.Phones))
		for i, p := range c.Phones {
			masked[i] = triage.MaskPhone(p)
		}
		b.WriteString(i18n.T(lang, "Contact: %s", strings.Join(masked, " ")) + "\n")
	}
	b.WriteString(i18n.T(lang, "How to help: if you can help, contact the volunteers' group and quote #%d. Please share.", c.ID))
	return b.String()
}

// PublicLine is the one-line summary for groups strangers read (stale
// digests to intake groups): like Line, but with the district only and
// the plea cut as on the public card.
func PublicLine(c *store.Case, lang string) string {
	where := District(c)
	if where != "" {
		where = " · " + where
	}
	return fmt.Sprintf("#%d %s · %s%s · %s · %s", c.ID, i18n.Urgency(lang, c.Urgency), i18n.Category(lang, c.Category), where,
		i18n.Status(lang, c.Status), Clip(publicExcerpt(c), 40))
}

// publicExcerpt is the plea with every address fragment cut out and phone
// and room numbers masked.
func publicExcerpt(c *store.Case) string {
	text := c.Text
	frags := append([]string{c.Address}, c.Assessment.Places...)
	for _, f := range frags {
		if f = strings.TrimSpace(f); f != "" {
			text = replaceFold(text, f, "…")
		}
	}
	text = triage.MaskText(strings.Join(strings.Fields(text), " "))
	for strings.Contains(text, "……") {
		text = strings.ReplaceAll(text, "……", "…")
	}
	return Clip(text, 160)
}

// replaceFold replaces every case-insensitive occurrence of old in s
// (triage lower-cases English places).
func replaceFold(s, old, repl string) string {
	lower, lold := strings.ToLower(s), strings.ToLower(old)
	if len(lower) != len(s) {
		return strings.ReplaceAll(s, old, repl)
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, lold)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i] + repl)
		s, lower = s[i+len(old):], lower[i+len(old):]
	}
}

// District is the coarsest place of a case: the part up to 区/县/市, or
// the first place cut before any street or number. It is safe to show in
// public.
func District(c *store.Case) string {
	places := append([]string{}, c.Assessment.Places...)
	if c.Address != "" {
		places = append(places, c.Address)
	}
	for _, p := range places {
		for _, suffix := range []string{"新区", "区", "县"} {
			if i := strings.Index(p, suffix); i > 0 {
				return triage.MaskText(p[:i+len(suffix)])
			}
		}
	}
	if len(places) == 0 {
		return ""
	}
	p := places[0]
	if i := strings.IndexAny(p, "0123456789路街弄号巷道栋楼室,，"); i >= 0 {
		p = p[:i]
	}
	return strings.TrimSpace(p)
}
