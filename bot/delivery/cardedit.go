package delivery

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// Cards stay true even when a case changes before its alert went out: an
// edit of a card that is still queued waits, as the newest version only,
// and is queued the moment the card is delivered (cardSent, called in the
// delivery's own transaction), so a burst that delays the first send
// cannot leave the team reading the first version.

// AlertKey is the dedupe key of the alert of a case in chat at an
// urgency: a repost at the same level alerts nobody again, one that
// raises it alerts once more.
func AlertKey(caseID int64, chat string, u triage.Urgency) string {
	return fmt.Sprintf("alert:%d:%s:%s", caseID, chat, u)
}

func pendingEditKey(caseID int64, chat string) string {
	return fmt.Sprintf("cardedit:%d:%s", caseID, chat)
}

// EditCard queues out as an edit of the alert card of caseID in out.Chat.
// It returns the card's message id when the card was delivered (the edit
// is queued now), "" when the alert is still queued (the edit follows the
// send) or there is no card at all (nothing to do).
func EditCard(tx *store.Tx, now time.Time, caseID int64, out platform.OutMessage) (string, error) {
	id, err := AlertCard(tx, caseID, out.Chat)
	if err != nil {
		return "", err
	}
	if id != "" {
		out.EditOf = id
		return id, Enqueue(tx, now, KindEdit, caseID, out, "")
	}
	queued := false
	for _, u := range []triage.Urgency{triage.Critical, triage.High, triage.Normal} {
		ok, err := tx.PendingByKey(AlertKey(caseID, out.Chat, u))
		if err != nil {
			return "", err
		}
		queued = queued || ok
	}
	if !queued {
		return "", nil
	}
	payload, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("pending edit of case %d: %w", caseID, err)
	}
	return "", tx.PutState(pendingEditKey(caseID, out.Chat), payload)
}

// cardSent records the delivered alert card of a case in chat and queues
// the edit that waited for it, if any.
func cardSent(tx *store.Tx, now time.Time, caseID int64, chat, msgID string) error {
	if err := tx.PutState(cardKey(caseID, chat), []byte(msgID)); err != nil {
		return err
	}
	key := pendingEditKey(caseID, chat)
	raw, err := tx.GetState(key)
	if err != nil || raw == nil {
		return err
	}
	if err := tx.PutState(key, nil); err != nil {
		return err
	}
	var out platform.OutMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil // a damaged pending edit: the card stays as sent
	}
	out.EditOf = msgID
	return Enqueue(tx, now, KindEdit, caseID, out, "")
}

// cardsSettled runs in the transaction that records a delivery: a single
// alert's card is remembered and gets the edit that waited for it; alerts
// delivered folded into one message have no card of their own to edit,
// so an edit that waited for them is dropped (the fold says /case N).
func cardsSettled(tx *store.Tx, now time.Time, it store.OutboxItem, members []store.OutboxItem, msgID string) error {
	if it.Kind == KindAlert && msgID != "" {
		return cardSent(tx, now, it.Case, it.Chat, msgID)
	}
	for _, m := range members {
		if m.Kind != KindAlert || m.Case == 0 {
			continue
		}
		if err := tx.PutState(pendingEditKey(m.Case, m.Chat), nil); err != nil {
			return err
		}
	}
	return nil
}
