package actions

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

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

// Broadcast gates. A card in a big public group is forwarded onwards
// and cannot be called back, so it goes out only when it should:
//   - a case nobody verified yet needs the coordinator to confirm;
//   - a case flagged as a possible scam needs a reason, recorded with it
//     (a scammer's payment address must not be amplified by mistake);
//   - a case is posted to each chat once; asking again says so;
//   - however the case ends, every chat it was posted to gets a short
//     notice to stop forwarding it (and, for a scam, not to pay).

func bcastKey(id int64) string { return fmt.Sprintf("bcast:%d", id) }

// BroadcastRequest is what the coordinator said along with the command.
type BroadcastRequest struct {
	// Confirm pushes a case that is not verified yet.
	Confirm bool
	// Reason is why a case flagged as a possible scam is pushed anyway.
	Reason string
}

// Broadcasted is a case pushed to the broadcast chats.
type Broadcasted struct {
	Case  *store.Case
	Chats int // how many chats it was posted to now
	// Already are the broadcast chats it had been posted to before, which
	// were left alone.
	Already int
}

// Verified says whether someone confirmed the case (verified, or beyond).
func Verified(c *store.Case) bool {
	return c.Status == store.StatusVerified || c.Status == store.StatusInProgress
}

// Broadcast ("推流") posts the public card of open case id to every
// broadcast chat it was not posted to yet, with no confirmation and no
// reason: it refuses an unverified or scam-flagged case.
func (a *Actions) Broadcast(tx *store.Tx, actor access.Actor, id int64) (*Broadcasted, error) {
	return a.BroadcastWith(tx, actor, id, BroadcastRequest{})
}

// BroadcastWith is Broadcast with what the coordinator confirmed.
func (a *Actions) BroadcastWith(tx *store.Tx, actor access.Actor, id int64, req BroadcastRequest) (*Broadcasted, error) {
	c, err := a.load(tx, actor, BroadcastRule, id)
	if err != nil {
		return nil, err
	}
	lang := actor.Lang
	if !c.Status.Open() {
		return nil, conflict(i18n.T(lang, "Case #%d is %s; only open cases are broadcast.", c.ID, i18n.Status(lang, c.Status)))
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if !Verified(c) && !req.Confirm {
		return nil, conflict(i18n.T(lang, "Case #%d is not verified yet (%s). Broadcast a case after someone has called the asker; to push it now anyway, send /broadcast %d confirm.", c.ID, i18n.Status(lang, c.Status), c.ID))
	}
	if c.Assessment.Scam && req.Reason == "" {
		return nil, a.refuse(actor, BroadcastRule.Name, i18n.T(lang, "Case #%d is flagged as a possible scam (it asks for money or a payment code). Broadcast it only with the reason you trust it: /broadcast %d confirm <reason>.", c.ID, c.ID))
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
	res := &Broadcasted{Case: c}
	for _, ch := range chats {
		if slices.Contains(sent, ch.Ref) {
			res.Already++
			continue
		}
		out := platform.OutMessage{Chat: ch.Ref, Text: cards.Public(c, a.env.Lang(ch))}
		// The outbox applies each platform's group rate limit.
		if err := delivery.Enqueue(tx, a.env.Now(), delivery.KindBroadcast, c.ID, out, ""); err != nil {
			return nil, err
		}
		if err := a.event(tx, actor, c, "broadcast", "", ch.Ref, broadcastNote(c, req)); err != nil {
			return nil, err
		}
		sent = append(sent, ch.Ref)
		res.Chats++
	}
	if res.Chats == 0 {
		return nil, conflict(i18n.T(lang, "Case #%d is already in all %d broadcast chats; it is not posted twice.", c.ID, res.Already))
	}
	if err := putBroadcastChats(tx, c.ID, sent); err != nil {
		return nil, err
	}
	if err := a.save(tx, actor, c, "broadcast"); err != nil {
		return nil, err
	}
	return res, nil
}

// broadcastNote records why a gate was passed.
func broadcastNote(c *store.Case, req BroadcastRequest) string {
	var parts []string
	if !Verified(c) {
		parts = append(parts, "confirmed unverified")
	}
	if c.Assessment.Scam {
		parts = append(parts, "scam flag overridden")
	}
	if req.Reason != "" {
		parts = append(parts, req.Reason)
	}
	return strings.Join(parts, ": ")
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

func putBroadcastChats(tx *store.Tx, id int64, chats []string) error {
	if len(chats) == 0 {
		return tx.PutState(bcastKey(id), nil)
	}
	raw, err := json.Marshal(chats)
	if err != nil {
		return fmt.Errorf("encode broadcast chats of case %d: %w", id, err)
	}
	return tx.PutState(bcastKey(id), raw)
}

// broadcastEnded tells every chat a finished case was broadcast to that
// it ended and should no longer be forwarded, in words that fit how it
// ended. The chats are then forgotten: a reopened case is broadcast
// afresh, and only where it is posted again is it retracted again.
func (a *Actions) broadcastEnded(tx *store.Tx, c *store.Case) error {
	if c.Status.Open() {
		return nil
	}
	chats, err := broadcastChats(tx, c.ID)
	if err != nil || len(chats) == 0 {
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
		out := platform.OutMessage{Chat: ref, Text: a.endNotice(c, lang)}
		key := fmt.Sprintf("bcast-end:%d:%s:%d", c.ID, ref, c.Finished.UnixNano())
		if err := delivery.Enqueue(tx, a.env.Now(), delivery.KindBroadcast, c.ID, out, key); err != nil {
			return err
		}
	}
	return putBroadcastChats(tx, c.ID, nil)
}

// endNotice is the short notice for a broadcast chat when c ended.
func (a *Actions) endNotice(c *store.Case, lang string) string {
	cat := i18n.Category(lang, c.Category)
	if c.Status == store.StatusResolved {
		text := i18n.T(lang, "✅ Case #%d (%s) is resolved — please stop forwarding it.", c.ID, cat)
		if a.opts.BroadcastResolved {
			text += " " + i18n.T(lang, "Thank you to everyone who shared and helped!")
		}
		return text
	}
	switch c.CloseReason {
	case "scam":
		return i18n.T(lang, "⚠ Case #%d (%s) is likely a scam. Do not send any money; please stop forwarding it and delete it where you shared it.", c.ID, cat)
	case "invalid":
		return i18n.T(lang, "⚠ Case #%d (%s) could not be confirmed and is closed. Please stop forwarding it and delete it where you shared it.", c.ID, cat)
	case "withdrawn":
		return i18n.T(lang, "Case #%d (%s) was withdrawn by the person who asked. Please stop forwarding it.", c.ID, cat)
	case "duplicate":
		if c.MergedInto != 0 {
			return i18n.T(lang, "Case #%d is the same as case #%d and is closed. Please stop forwarding #%d.", c.ID, c.MergedInto, c.ID)
		}
	}
	return i18n.T(lang, "Case #%d (%s) is closed. Please stop forwarding it.", c.ID, cat)
}
