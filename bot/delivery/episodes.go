package delivery

import (
	"context"
	"time"

	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
)

// episode is a run of failed sends to one group chat, from the first
// failure to the next success. Admins hear of it once, when it has lasted
// UnreachableAfter, and once more when it ends.
type episode struct {
	since time.Time
	told  bool
}

// deadNoticeEvery spaces the notices about dead letters of one chat: a
// burst of them is one notice, and /outbox lists them all.
const deadNoticeEvery = time.Hour

// resume lifts a pause on key (the chat is reachable again).
func (l *limiter) resume(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.paused, key)
}

// chatDown notes a failed send to a group chat and tells the admins when
// the chat has been failing for UnreachableAfter.
func (o *Outbox) chatDown(ctx context.Context, chat string, role store.ChatRole, cause error) {
	if role == store.RolePrivate {
		return // a person's chat: their own business, and too many to announce
	}
	now := o.env.Now()
	o.downMu.Lock()
	ep := o.down[chat]
	if ep == nil {
		ep = &episode{since: now}
		o.down[chat] = ep
	}
	tell := !ep.told && now.Sub(ep.since) >= o.opts.UnreachableAfter
	ep.told = ep.told || tell
	since := ep.since
	o.downMu.Unlock()
	if !tell {
		return
	}
	name := o.env.ChatName(chat)
	o.tellAdmins(ctx, "chat unreachable", chat, func(lang string) string {
		return i18n.T(lang, "Chat %s cannot be reached since %s (%s). Its messages stay queued and alerts keep being retried; /outbox shows the queue.", name, o.env.Stamp(since), cause.Error())
	})
}

// chatUp ends a chat's failing episode after a delivery, telling the admins
// when they were told it had begun.
func (o *Outbox) chatUp(ctx context.Context, chat string) {
	o.downMu.Lock()
	ep := o.down[chat]
	delete(o.down, chat)
	o.downMu.Unlock()
	if ep == nil || !ep.told {
		return
	}
	name := o.env.ChatName(chat)
	o.tellAdmins(ctx, "chat reachable again", chat, func(lang string) string {
		return i18n.T(lang, "Chat %s is reachable again (it was not since %s); its queued messages are going out.", name, o.env.Stamp(ep.since))
	})
}

// deadLettered tells the admins a message was given up on, at most once
// an hour per chat.
func (o *Outbox) deadLettered(ctx context.Context, it store.OutboxItem, cause error) {
	if it.Kind == KindAdminNotice {
		return // announcing it would only fail the same way
	}
	now := o.env.Now()
	o.downMu.Lock()
	if o.deadTold == nil {
		o.deadTold = map[string]time.Time{}
	}
	last, ok := o.deadTold[it.Chat]
	if ok && now.Sub(last) < deadNoticeEvery {
		o.downMu.Unlock()
		return
	}
	o.deadTold[it.Chat] = now
	o.downMu.Unlock()
	name := o.env.ChatName(it.Chat)
	o.tellAdmins(ctx, "message given up", it.Chat, func(lang string) string {
		return i18n.T(lang, "A message (%s, case #%d) to %s was given up: %s. /outbox %s lists what was given up; /outbox resend %d sends it again.", it.Kind, it.Case, name, cause.Error(), it.Chat, it.ID)
	})
}

func (o *Outbox) tellAdmins(ctx context.Context, what, chat string, text func(lang string) string) {
	n := 0
	err := o.env.Store.Update(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		var err error
		n, err = NotifyAdmins(tx, o.env, o.env.Now(), text, "")
		return err
	})
	if err != nil {
		o.env.Log.Error("notify admins", "what", what, "chat", chat, "err", err)
		return
	}
	o.env.Log.Warn("admins notified", "what", what, "chat", chat, "admins", n)
}
