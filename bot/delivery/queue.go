package delivery

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

// Kinds of queued messages. Alerts are the ones folded when a burst
// exceeds a chat's rate.
const (
	KindAlert     = "alert"
	KindReply     = "reply"
	KindEdit      = "edit"
	KindNotice    = "notice"
	KindRoom      = "room"
	KindRelay     = "relay"
	KindBroadcast = "broadcast"
	KindDigest    = "digest"
	KindAutoReply = "autoreply"
)

// Item wraps an outgoing message for the store's outbox, due at now.
func Item(now time.Time, kind string, caseID int64, m platform.OutMessage, dedupe string) store.OutboxItem {
	payload, _ := json.Marshal(m) // OutMessage has only marshalable fields
	return store.OutboxItem{Chat: m.Chat, Kind: kind, Case: caseID, Payload: payload, DedupeKey: dedupe, NextAt: now, Created: now}
}

// Enqueue queues one message inside tx, due at now. A message with a
// dedupe key already queued or sent is not queued again.
func Enqueue(tx *store.Tx, now time.Time, kind string, caseID int64, m platform.OutMessage, dedupe string) error {
	it := Item(now, kind, caseID, m, dedupe)
	if _, err := tx.Enqueue(&it); err != nil {
		return fmt.Errorf("queue %s for %s: %w", kind, m.Chat, err)
	}
	return nil
}

// ReplyKey is the dedupe key of the seq-th reply to an incoming message,
// so a reply is queued once however often the message is redelivered.
func ReplyKey(chat, msgID string, seq int) string {
	return fmt.Sprintf("reply:%s:%s:%d", chat, msgID, seq)
}

func cardKey(caseID int64, chat string) string { return fmt.Sprintf("card:%d:%s", caseID, chat) }

// AlertCard is the platform id of the alert card of a case in chat, or ""
// when none was delivered there (yet).
func AlertCard(tx *store.Tx, caseID int64, chat string) (string, error) {
	id, err := tx.GetState(cardKey(caseID, chat))
	return string(id), err
}

func dmKey(person string) string    { return "dm:" + person }
func dmOwnerKey(chat string) string { return "dmowner:" + chat }

// PrivateChat is the bot's private chat with person, or "" when the bot
// has none (bots can't start chats: the person must write first).
func PrivateChat(tx *store.Tx, person string) (string, error) {
	chat, err := tx.GetState(dmKey(person))
	return string(chat), err
}

// RecordPrivateChat remembers chat as the private chat with person, so
// notices, invites and room relays can reach them.
func RecordPrivateChat(tx *store.Tx, person, chat string) error {
	if err := tx.PutState(dmKey(person), []byte(chat)); err != nil {
		return fmt.Errorf("record private chat of %s: %w", person, err)
	}
	if err := tx.PutState(dmOwnerKey(chat), []byte(person)); err != nil {
		return fmt.Errorf("record owner of %s: %w", chat, err)
	}
	return nil
}

// ForgetPrivateChat removes the link between person and their private
// chat (the retention purge: it ties a person to the bot, and through the
// chat to what they asked).
func ForgetPrivateChat(tx *store.Tx, person string) error {
	chat, err := PrivateChat(tx, person)
	if err != nil {
		return err
	}
	if chat != "" {
		if owner, err := tx.GetState(dmOwnerKey(chat)); err == nil && string(owner) == person {
			if err := tx.PutState(dmOwnerKey(chat), nil); err != nil {
				return fmt.Errorf("forget owner of %s: %w", chat, err)
			}
		}
	}
	if err := tx.PutState(dmKey(person), nil); err != nil {
		return fmt.Errorf("forget private chat of %s: %w", person, err)
	}
	return nil
}

// TellPerson sends a private message to a person if the bot has a private
// chat with them; otherwise it does nothing.
func TellPerson(tx *store.Tx, now time.Time, person string, caseID int64, text string) error {
	chat, err := PrivateChat(tx, person)
	if err != nil || chat == "" {
		return err
	}
	return Enqueue(tx, now, KindNotice, caseID, platform.OutMessage{Chat: chat, Text: text}, "")
}
