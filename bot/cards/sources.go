package cards

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// LatestLine is the newest text merged into the case ("补充 12-04 02:53：
// 外婆还是没醒…"), so a volunteer reading the card sees what was added
// since the first plea; "" when nothing was.
func (r Renderer) LatestLine(c *store.Case, lang string, p Privacy) string {
	l := c.Latest
	if l == nil || c.SourceCount < 2 || l.Kind == store.SourceFirst || strings.TrimSpace(l.Text) == "" {
		return ""
	}
	return i18n.T(lang, "Added %s: %s", l.At.In(r.Loc).Format("01-02 15:04"), Clip(Quote(l.Text, p), 200))
}

// LinksLine names the cases this one was linked to and why ("same
// contact as #6 · similar to #4"), newest first; "" when none.
func LinksLine(c *store.Case, lang string) string {
	if len(c.Links) == 0 {
		return ""
	}
	parts := make([]string, 0, len(c.Links))
	for i := len(c.Links) - 1; i >= 0; i-- {
		parts = append(parts, LinkText(c.Links[i], lang))
	}
	return i18n.T(lang, "Linked: %s", strings.Join(parts, " · "))
}

// LinkText is one link in words.
func LinkText(l store.CaseLink, lang string) string {
	switch {
	case strings.HasPrefix(l.Reason, "same contact"):
		return i18n.T(lang, "same contact as #%d", l.Case)
	case l.Reason == "same asker":
		return i18n.T(lang, "same asker as #%d", l.Case)
	case l.Reason == "similar text":
		return i18n.T(lang, "similar to #%d", l.Case)
	}
	return i18n.T(lang, "may be about #%d", l.Case)
}

// SourceLine is one message of a case as `/case N` lists it: when, who,
// how it came (first, repost, update, edit), the urgency it raised, and
// the whole text.
func (r Renderer) SourceLine(s store.Source, lang string, p Privacy) string {
	var b strings.Builder
	b.WriteString(s.At.In(r.Loc).Format("01-02 15:04"))
	who := s.SenderName
	if who == "" {
		who = platform.LocalID(s.Sender)
	}
	if who != "" {
		if p == Masked {
			who = triage.MaskText(who)
		}
		b.WriteString(" @" + who)
	}
	b.WriteString(" (" + i18n.T(lang, "source:"+string(s.Kind)))
	if s.To != "" {
		b.WriteString(", " + s.From + " → " + s.To)
	}
	if s.MovedFrom != 0 {
		b.WriteString(", #" + strconv.FormatInt(s.MovedFrom, 10))
	}
	b.WriteString("): ")
	b.WriteString(Quote(s.Text, p))
	return b.String()
}

// StateLine is a change to a case in one line, for chats whose platform
// cannot edit the card (WeChat): "#5 claimed by @li · verifying · held
// by @li · next: …".
func (r Renderer) StateLine(c *store.Case, lang, what, actor string) string {
	parts := []string{fmt.Sprintf("#%d %s", c.ID, i18n.T(lang, "Last: %s by @%s", i18n.T(lang, "event:"+what), platform.LocalID(actor)))}
	parts = append(parts, i18n.Status(lang, c.Status))
	if len(c.Assignees) > 0 {
		parts = append(parts, i18n.T(lang, "Held by: %s", strings.Join(r.People(c.Assignees), ", ")))
	}
	if line := UrgencyChangeLine(c, lang); line != "" {
		parts = append(parts, line)
	}
	return strings.Join(parts, " · ")
}
