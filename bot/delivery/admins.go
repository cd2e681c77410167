package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

// Kinds of the messages the outbox writes to admins about delivery.
const (
	// KindAdminAlert is an alert sent to an admin privately because no
	// coordination chat could take it (alert lane).
	KindAdminAlert = "alert-admin"
	// KindAdminNotice tells admins about a chat that can't be reached or a
	// message given up on (reply lane: ahead of digests). Its own failure
	// is not announced again.
	KindAdminNotice = "admin-notice"
)

// AdminChats are the private chats of every admin — configured (under any
// of their linked identities) or granted — that the bot can reach, on
// every platform, sorted.
func AdminChats(tx *store.Tx, e *env.Env) ([]string, error) {
	refs := e.Admins()
	for _, a := range e.Admins() {
		p, err := tx.Person(a)
		switch {
		case err == nil:
			refs = append(refs, p.Aliases...)
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	if err := tx.ForEachPerson(func(p *store.Person) error {
		if slices.Contains(p.Roles, "admin") {
			refs = append(refs, p.Ref)
			refs = append(refs, p.Aliases...)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list admins: %w", err)
	}
	var chats []string
	for _, ref := range refs {
		chat, err := PrivateChat(tx, ref)
		if err != nil {
			return nil, err
		}
		if chat == "" || slices.Contains(chats, chat) {
			continue
		}
		c, err := tx.Chat(chat)
		if err == nil && !c.Active {
			continue // blocked the bot
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		chats = append(chats, chat)
	}
	slices.Sort(chats)
	return chats, nil
}

// NotifyAdmins queues text (written per language by text) to every admin
// privately. dedupe, when set, makes it once only (per admin chat).
func NotifyAdmins(tx *store.Tx, e *env.Env, now time.Time, text func(lang string) string, dedupe string) (int, error) {
	chats, err := AdminChats(tx, e)
	if err != nil {
		return 0, err
	}
	for _, chat := range chats {
		key := ""
		if dedupe != "" {
			key = dedupe + ":" + chat
		}
		out := platform.OutMessage{Chat: chat, Text: "⚙ " + text(chatLang(tx, e, chat))}
		if err := Enqueue(tx, now, KindAdminNotice, 0, out, key); err != nil {
			return 0, err
		}
	}
	return len(chats), nil
}

func chatLang(tx *store.Tx, e *env.Env, chat string) string {
	c, err := tx.Chat(chat)
	if err != nil {
		return e.Language
	}
	return e.Lang(c)
}

// CoordinationChats lists every chat bound to the coordination role, the
// ones the bot can't reach now included: their alerts wait for them.
func CoordinationChats(tx *store.Tx) (all []*store.Chat, reachable int, err error) {
	err = tx.ForEachChat(func(c *store.Chat) error {
		if c.Role == store.RoleCoordination {
			all = append(all, c)
			if c.Active {
				reachable++
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list coordination chats: %w", err)
	}
	return all, reachable, nil
}

// AdminAlertItems are the alert of caseID (text in the team's language)
// for every admin privately: what is sent when no coordination chat can
// receive it. Personal data stays in the team: admins run it.
func AdminAlertItems(tx *store.Tx, e *env.Env, now time.Time, caseID int64, level string, text func(lang string) string) ([]store.OutboxItem, error) {
	chats, err := AdminChats(tx, e)
	if err != nil {
		return nil, err
	}
	items := make([]store.OutboxItem, 0, len(chats))
	for _, chat := range chats {
		lang := chatLang(tx, e, chat)
		body := "⚠ " + i18n.T(lang, "No coordination chat can receive alerts now, so this one comes to you. It stays queued for the coordination chat.") + "\n\n" + text(lang)
		out := platform.OutMessage{Chat: chat, Text: body}
		items = append(items, Item(now, KindAdminAlert, caseID, out, fmt.Sprintf("alert-admin:%d:%s:%s", caseID, chat, level)))
	}
	return items, nil
}

// Reach is who an alert queued now reaches.
type Reach int

// Who an alert reaches, best first.
const (
	// ReachVolunteers: a coordination chat the bot is in.
	ReachVolunteers Reach = iota
	// ReachAdmins: no coordination chat, but admins privately.
	ReachAdmins
	// ReachNobody: the alert waits until a chat is reachable.
	ReachNobody
)

// AlertReach says whom an alert queued now reaches, so an asker is told
// "the volunteers have been alerted" only when it is true.
func AlertReach(tx *store.Tx, e *env.Env) (Reach, error) {
	_, reachable, err := CoordinationChats(tx)
	if err != nil {
		return ReachNobody, err
	}
	if reachable > 0 {
		return ReachVolunteers, nil
	}
	admins, err := AdminChats(tx, e)
	if err != nil || len(admins) == 0 {
		return ReachNobody, err
	}
	return ReachAdmins, nil
}

// ChatReachable records that the bot can reach chat again (added back,
// /bind, a message from it): what waits for it is due now, and the outbox
// is told to stop holding it back. Call it inside the transaction that
// marks the chat active.
func ChatReachable(tx *store.Tx, e *env.Env, chat string) error {
	if _, err := tx.WakeChat(chat, e.Now()); err != nil {
		return err
	}
	e.ChatBack(chat)
	return nil
}

// alertAdmins sends the alerts of a parcel that a kicked coordination chat
// refused to the admins privately, once per case and urgency.
func (o *Outbox) alertAdmins(ctx context.Context, members []store.OutboxItem) {
	now := o.env.Now()
	n := 0
	err := o.env.Store.Update(ctx, func(tx *store.Tx) error {
		n = 0
		for _, mem := range members {
			if mem.Kind != KindAlert || mem.Case == 0 {
				continue
			}
			var m platform.OutMessage
			if err := json.Unmarshal(mem.Payload, &m); err != nil {
				return fmt.Errorf("decode alert %d: %w", mem.ID, err)
			}
			level := mem.DedupeKey[strings.LastIndexByte(mem.DedupeKey, ':')+1:]
			items, err := AdminAlertItems(tx, o.env, now, mem.Case, level, func(string) string { return m.Text })
			if err != nil {
				return err
			}
			for i := range items {
				ok, err := tx.Enqueue(&items[i])
				if err != nil {
					return fmt.Errorf("queue alert for an admin: %w", err)
				}
				if ok {
					n++
				}
			}
		}
		return nil
	})
	if err != nil {
		o.env.Log.Error("alert admins privately", "err", err)
		return
	}
	if n > 0 {
		o.env.Log.Warn("no coordination chat reachable: alerts sent to admins privately", "messages", n)
	}
}
