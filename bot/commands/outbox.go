package commands

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
)

// outboxRule: the queue names every chat the bot writes to (people's
// private chats among them), so it is for admins, never in a public group.
var outboxRule = access.Rule{Name: "outbox", Need: access.Admin, Where: access.PrivateOrWork}

// outboxShown caps the chats and messages /outbox lists.
const outboxShown = 10

// cmdOutbox shows what waits, keeps failing and was given up on, per
// chat; "/outbox resend ID|all" queues given-up messages again.
func cmdOutbox(cl *call) error {
	switch {
	case len(cl.args) == 0:
		return cl.outboxSummary()
	case strings.EqualFold(cl.args[0], "resend") && len(cl.args) == 2:
		return cl.outboxResend(cl.args[1])
	}
	return usageError{}
}

func (cl *call) outboxSummary() error {
	sum, err := cl.tx.OutboxSummary()
	if err != nil {
		return err
	}
	lang := cl.lang
	t := sum.Total
	var b strings.Builder
	b.WriteString(i18n.T(lang, "Outbox: %d waiting, %d failing and retried, %d given up; %d alerts not yet delivered.", t.Queued, t.Stuck, t.Dead, t.Alerts))
	if t.Queued+t.Stuck+t.Dead == 0 {
		return cl.reply(b.String())
	}
	chats := make([]string, 0, len(sum.Chats))
	for c := range sum.Chats {
		chats = append(chats, c)
	}
	// The chats in trouble first: given up, failing, then the longest queues.
	slices.SortFunc(chats, func(a, b string) int {
		x, y := sum.Chats[a], sum.Chats[b]
		return cmp.Or(cmp.Compare(y.Dead, x.Dead), cmp.Compare(y.Stuck, x.Stuck), cmp.Compare(y.Queued, x.Queued), cmp.Compare(a, b))
	})
	b.WriteString("\n")
	for i, chat := range chats {
		if i == outboxShown {
			b.WriteString("\n" + i18n.T(lang, "… and %d more chats.", len(chats)-outboxShown))
			break
		}
		s := sum.Chats[chat]
		b.WriteString("\n" + i18n.T(lang, "%s: %d waiting, %d failing, %d given up", cl.chatLabel(chat), s.Queued, s.Stuck, s.Dead))
		if s.Alerts > 0 {
			b.WriteString(i18n.T(lang, "; %d alerts", s.Alerts))
		}
		if oldest := minTime(s.OldestQueued, s.OldestStuck); !oldest.IsZero() {
			b.WriteString(i18n.T(lang, "; oldest since %s", cl.c.env.Stamp(oldest)))
		}
	}
	// The oldest failing messages of the chats in trouble, with their errors.
	var stuck []store.OutboxItem
	for _, chat := range chats {
		if sum.Chats[chat].Stuck == 0 {
			continue
		}
		q, err := cl.tx.ChatOutbox(chat, outboxShown)
		if err != nil {
			return err
		}
		for _, it := range q.Items {
			if it.Attempts > 0 || it.LastError != "" {
				stuck = append(stuck, it)
			}
		}
		if len(stuck) >= outboxShown {
			break
		}
	}
	if len(stuck) > 0 {
		b.WriteString("\n\n" + i18n.T(lang, "Failing, oldest first:"))
		for _, it := range stuck[:min(len(stuck), outboxShown)] {
			b.WriteString("\n" + i18n.T(lang, "#%d %s%s → %s, queued %s, tried %d times: %s", it.ID, it.Kind, caseRef(it.Case), cl.chatLabel(it.Chat), cl.c.env.Stamp(it.Created), it.Attempts, clip(it.LastError, 120)))
		}
	}
	if t.Dead > 0 {
		dead, err := cl.tx.DeadLetters(outboxShown)
		if err != nil {
			return err
		}
		b.WriteString("\n\n" + i18n.T(lang, "Given up, newest first (/outbox resend ID or /outbox resend all):"))
		for _, d := range dead {
			line := i18n.T(lang, "#%d %s%s → %s, given up %s: %s", d.Item.ID, d.Item.Kind, caseRef(d.Item.Case), cl.chatLabel(d.Item.Chat), cl.c.env.Stamp(d.At), clip(d.Reason, 120))
			if d.Purged {
				line += " " + i18n.T(lang, "(text removed by retention)")
			}
			b.WriteString("\n" + line)
		}
	}
	return cl.reply(b.String())
}

// outboxResend queues given-up messages again: one by its number, or all
// whose text is still kept.
func (cl *call) outboxResend(arg string) error {
	now := cl.c.env.Now()
	if strings.EqualFold(arg, "all") {
		dead, err := cl.tx.DeadLetters(0)
		if err != nil {
			return err
		}
		n, skipped := 0, 0
		for _, d := range dead {
			if d.Purged {
				skipped++
				continue
			}
			if _, err := cl.tx.RequeueDead(d.Item.ID, now); err != nil {
				return err
			}
			n++
		}
		cl.c.env.Log.Info("dead letters queued again", "count", n, "by", cl.m.Sender)
		text := i18n.T(cl.lang, "✓ %d given-up messages queued again.", n)
		if skipped > 0 {
			text += " " + i18n.T(cl.lang, "%d could not be: retention removed their text.", skipped)
		}
		return cl.reply(text)
	}
	id, err := strconv.ParseUint(strings.TrimPrefix(arg, "#"), 10, 64)
	if err != nil || id == 0 {
		return usageError{i18n.T(cl.lang, "%q is not a message number.", arg)}
	}
	it, err := cl.tx.RequeueDead(id, now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return refuse(i18n.T(cl.lang, "There is no given-up message #%d (/outbox lists them).", id))
	case errors.Is(err, store.ErrPurged):
		return refuse(i18n.T(cl.lang, "Message #%d can't be sent again: retention removed its text.", id))
	case err != nil:
		return err
	}
	cl.c.env.Log.Info("dead letter queued again", "id", id, "chat", it.Chat, "kind", it.Kind, "by", cl.m.Sender)
	return cl.reply(i18n.T(cl.lang, "✓ Message #%d to %s queued again.", id, cl.chatLabel(it.Chat)))
}

// chatLabel names a chat by its name and ref.
func (cl *call) chatLabel(ref string) string {
	if name := cl.c.env.ChatName(ref); name != ref {
		return fmt.Sprintf("%s (%s)", name, ref)
	}
	return ref
}

func caseRef(id int64) string {
	if id == 0 {
		return ""
	}
	return fmt.Sprintf(" #%d", id)
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func minTime(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}
