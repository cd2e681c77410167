package bot

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// Broadcast ("推流") pushes a case to the big public groups the team
// binds as broadcast chats. Those groups are public, so the card is
// rewritten for them: urgency first, the need, the district only, the
// contact masked, and how to help — through the volunteers, quoting #N.

func bcastKey(id int64) string { return fmt.Sprintf("bcast:%d", id) }

// cmdBroadcast posts the public card of a case to every broadcast chat.
func cmdBroadcast(cc *cmdCtx) error {
	c, err := cc.caseArg(0)
	if err != nil {
		return err
	}
	if !c.Status.Open() {
		return refuse(i18n.T(cc.lang, "Case #%d is %s; only open cases are broadcast.", c.ID, i18n.Status(cc.lang, c.Status)))
	}
	chats, err := chatsWithRole(cc.tx, store.RoleBroadcast)
	if err != nil {
		return err
	}
	if len(chats) == 0 {
		return refuse(i18n.T(cc.lang, "There are no broadcast chats yet. An admin can add one by sending /bind broadcast in that group."))
	}
	sent, err := broadcastChats(cc.tx, c.ID)
	if err != nil {
		return err
	}
	for _, ch := range chats {
		out := OutMessage{Chat: ch.Ref, Text: cc.e.broadcastText(c, cc.e.lang(ch))}
		// The outbox applies each platform's group rate limit.
		if err := cc.e.enqueue(cc.tx, "broadcast", c.ID, out, ""); err != nil {
			return err
		}
		if err := cc.event(c, "broadcast", "", ch.Ref, ""); err != nil {
			return err
		}
		if !slices.Contains(sent, ch.Ref) {
			sent = append(sent, ch.Ref)
		}
	}
	raw, err := json.Marshal(sent)
	if err != nil {
		return fmt.Errorf("encode broadcast chats of case %d: %w", c.ID, err)
	}
	if err := cc.tx.PutState(bcastKey(c.ID), raw); err != nil {
		return err
	}
	if err := cc.save(c, "broadcast"); err != nil {
		return err
	}
	return cc.reply(i18n.T(cc.lang, "✓ Case #%d broadcast to %d chats.", c.ID, len(chats)))
}

func broadcastChats(tx *store.Tx, id int64) ([]string, error) {
	raw, err := tx.GetState(bcastKey(id))
	if err != nil || raw == nil {
		return nil, err
	}
	var chats []string
	if err := json.Unmarshal(raw, &chats); err != nil {
		return nil, fmt.Errorf("decode broadcast chats of case %d: %w", id, err)
	}
	return chats, nil
}

// broadcastText is the public card. It never carries a full phone number
// or an address finer than the district.
func (e *Engine) broadcastText(c *store.Case, lang string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s · %s · %s\n", i18n.Urgency(lang, c.Urgency), i18n.Category(lang, c.Category), i18n.T(lang, "case #%d", c.ID))
	b.WriteString(i18n.T(lang, "Needed: %s", publicExcerpt(c)) + "\n")
	if v := c.Assessment.Vulnerable; len(v) > 0 {
		who := make([]string, len(v))
		for i, s := range v {
			who[i] = i18n.Vulnerable(lang, s)
		}
		b.WriteString(i18n.T(lang, "Who: %s", strings.Join(who, ", ")) + "\n")
	}
	if len(c.Assessment.Durations) > 0 {
		b.WriteString(i18n.T(lang, "For how long: %s", strings.Join(c.Assessment.Durations, ", ")) + "\n")
	}
	if d := districtOf(c); d != "" {
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
	return clip(text, 160)
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

// districtOf is the coarsest place of a case: the part up to 区/县/市, or
// the first place cut before any street or number.
func districtOf(c *store.Case) string {
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

// broadcastResolved thanks the broadcast chats a resolved case went to,
// when the team wants that (Workflow.BroadcastResolved).
func (e *Engine) broadcastResolved(tx *store.Tx, c *store.Case) error {
	if c.Status != store.StatusResolved || !e.opts.Workflow.BroadcastResolved {
		return nil
	}
	chats, err := broadcastChats(tx, c.ID)
	if err != nil {
		return err
	}
	for _, ref := range chats {
		lang := e.opts.Language
		if ch, err := tx.Chat(ref); err == nil {
			if !ch.Active {
				continue
			}
			lang = e.lang(ch)
		}
		out := OutMessage{Chat: ref, Text: i18n.T(lang, "✅ Case #%d (%s) is resolved. Thank you to everyone who shared and helped!", c.ID, i18n.Category(lang, c.Category))}
		if err := e.enqueue(tx, "broadcast", c.ID, out, fmt.Sprintf("bcast-resolved:%d:%s", c.ID, ref)); err != nil {
			return err
		}
	}
	return nil
}
