package actions

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

// BroadcastRule says who may push a case to the broadcast chats.
var BroadcastRule = access.Rule{Name: "broadcast", Need: access.Coordinator, Where: access.WorkChats}

func bcastKey(id int64) string { return fmt.Sprintf("bcast:%d", id) }

// Broadcasted is a case pushed to the broadcast chats.
type Broadcasted struct {
	Case  *store.Case
	Chats int // how many chats it was posted to
}

// Broadcast ("推流") posts the public card of open case id to every
// broadcast chat: the big public groups the team binds for this.
func (a *Actions) Broadcast(tx *store.Tx, actor access.Actor, id int64) (*Broadcasted, error) {
	c, err := a.load(tx, actor, BroadcastRule, id)
	if err != nil {
		return nil, err
	}
	lang := actor.Lang
	if !c.Status.Open() {
		return nil, conflict(i18n.T(lang, "Case #%d is %s; only open cases are broadcast.", c.ID, i18n.Status(lang, c.Status)))
	}
	chats, err := env.ChatsWithRole(tx, store.RoleBroadcast)
	if err != nil {
		return nil, err
	}
	if len(chats) == 0 {
		return nil, conflict(i18n.T(lang, "There are no broadcast chats yet. An admin can add one by sending /bind broadcast in that group."))
	}
	sent, err := broadcastChats(tx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, ch := range chats {
		out := platform.OutMessage{Chat: ch.Ref, Text: cards.Public(c, a.env.Lang(ch))}
		// The outbox applies each platform's group rate limit.
		if err := delivery.Enqueue(tx, a.env.Now(), delivery.KindBroadcast, c.ID, out, ""); err != nil {
			return nil, err
		}
		if err := a.event(tx, actor, c, "broadcast", "", ch.Ref, ""); err != nil {
			return nil, err
		}
		if !slices.Contains(sent, ch.Ref) {
			sent = append(sent, ch.Ref)
		}
	}
	raw, err := json.Marshal(sent)
	if err != nil {
		return nil, fmt.Errorf("encode broadcast chats of case %d: %w", c.ID, err)
	}
	if err := tx.PutState(bcastKey(c.ID), raw); err != nil {
		return nil, err
	}
	if err := a.save(tx, actor, c, "broadcast"); err != nil {
		return nil, err
	}
	return &Broadcasted{Case: c, Chats: len(chats)}, nil
}

// broadcastChats are the chats case id was broadcast to.
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

// broadcastResolved thanks the broadcast chats a resolved case went to,
// when the team wants that (Options.BroadcastResolved).
func (a *Actions) broadcastResolved(tx *store.Tx, c *store.Case) error {
	if c.Status != store.StatusResolved || !a.opts.BroadcastResolved {
		return nil
	}
	chats, err := broadcastChats(tx, c.ID)
	if err != nil {
		return err
	}
	for _, ref := range chats {
		lang := a.env.Language
		if ch, err := tx.Chat(ref); err == nil {
			if !ch.Active {
				continue
			}
			lang = a.env.Lang(ch)
		}
		out := platform.OutMessage{Chat: ref, Text: i18n.T(lang, "✅ Case #%d (%s) is resolved. Thank you to everyone who shared and helped!", c.ID, i18n.Category(lang, c.Category))}
		if err := delivery.Enqueue(tx, a.env.Now(), delivery.KindBroadcast, c.ID, out, fmt.Sprintf("bcast-resolved:%d:%s", c.ID, ref)); err != nil {
			return err
		}
	}
	return nil
}
