package media

import (
	"fmt"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/bot/rooms"
	"github.com/lifeline-aid/lifeline/store"
)

// QueueRelays queues media item md of message m, which belongs to case c,
// for every coordination chat and the case's open room, after whatever is
// already queued there (the alert card comes first). The caption names
// the case, the item and its sender, and carries the sender's own caption;
// these chats may see personal data. A relay is queued once per chat
// however often m is handled.
func (s *Service) QueueRelays(tx *store.Tx, c *store.Case, m platform.Message, md platform.Media) error {
	if !Relayable(md.Kind) {
		return nil
	}
	targets, err := env.ChatsWithRole(tx, store.RoleCoordination)
	if err != nil {
		return err
	}
	type dest struct {
		chat   *store.Chat
		thread string
	}
	var dests []dest
	for _, ch := range targets {
		dests = append(dests, dest{chat: ch})
	}
	if st, err := rooms.Load(tx, c.ID); err != nil {
		return err
	} else if st.Open() && !st.Fallback {
		ch, err := tx.Chat(st.Chat)
		if err != nil {
			ch = &store.Chat{Ref: st.Chat}
		}
		dests = append(dests, dest{chat: ch, thread: st.Thread})
	}
	rec := Record(m, md)
	from := m.SenderName
	if from == "" {
		from = platform.LocalID(m.Sender)
	}
	for _, d := range dests {
		lang := s.env.Lang(d.chat)
		caption := i18n.T(lang, "#%d · %s · from %s", c.ID, cards.MediaLabel(rec, lang), from)
		if t := strings.TrimSpace(m.Text); t != "" {
			caption += "\n" + cards.Clip(t, 600)
		}
		out := platform.OutMessage{Chat: d.chat.Ref, Thread: d.thread, Text: caption, Attachment: &platform.Attachment{
			Kind: md.Kind, CopyOf: &platform.MessageRef{Chat: m.Chat, ID: m.ID}, Name: md.Name, MIME: md.MIME}}
		key := fmt.Sprintf("relay:%d:%s/%s:%s/%s/%s", c.ID, d.chat.Ref, d.thread, m.Chat, m.ID, md.Ref)
		if err := delivery.Enqueue(tx, s.env.Now(), delivery.KindRelay, c.ID, out, key); err != nil {
			return err
		}
	}
	return nil
}
