package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// handleIntake runs a group message through triage and, for a request,
// creates or merges its case and queues the alerts — all in one transaction
// with the message's seen-record, so a crash leaves neither a case without
// its alert nor an alert without its case.
func (e *Engine) handleIntake(ctx context.Context, m Message, chat *store.Chat) error {
	a := e.triage.Assess(m.Text)
	if m.Edited {
		return e.handleEdit(ctx, m, a)
	}
	if !a.IsRequest {
		return e.markSeen(ctx, m)
	}
	c, err := e.ingest(ctx, m, chat, a)
	if err != nil || c == nil {
		return err
	}
	e.maybeAutoRoom(ctx, c)
	e.maybeAutoReply(ctx, m, chat, c)
	return nil
}

// ingest records a request message as a new case or merges it into an open
// one (same phone or a near-duplicate text), queueing the alerts. It
// returns nil for a message that was already handled.
func (e *Engine) ingest(ctx context.Context, m Message, chat *store.Chat, a triage.Assessment) (*store.Case, error) {
	proposal := store.Case{
		Asker:      m.Sender,
		AskerName:  m.SenderName,
		SourceChat: m.Chat,
		SourceMsg:  m.ID,
		Text:       m.Text,
		Assessment: a,
		Category:   a.Category,
		Urgency:    a.Urgency,
		Status:     store.StatusNew,
		Phones:     a.Phones,
		Language:   a.Language,
		Created:    m.Time,
		Updated:    m.Time,
	}
	var res store.IngestResult
	// Batch lets messages from several chats share one commit (one fsync);
	// the function may run again after a failed batch, and is idempotent.
	err := e.store.Batch(ctx, func(tx *store.Tx) error {
		coordination, err := chatsWithRole(tx, store.RoleCoordination)
		if err != nil {
			return err
		}
		res, err = tx.Ingest(store.IngestRequest{
			Msg:   msgKey(m),
			At:    m.Time,
			Case:  proposal,
			Merge: true,
			Alerts: func(c *store.Case, merged bool) []store.OutboxItem {
				if c.Urgency < e.opts.AlertAt {
					return nil
				}
				matches, err := directoryMatches(tx, c)
				if err != nil {
					e.log.Warn("directory lookup", "err", err)
				}
				return e.alertItems(c, merged, coordination, matches)
			},
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ingest request: %w", err)
	}
	if res.Duplicate {
		return nil, nil
	}
	e.log.Info("request recorded", "case", res.Case.ID, "merged", res.Merged, "urgency", res.Case.Urgency.String(),
		"category", string(res.Case.Category), "alerts", res.Enqueued)
	return res.Case, nil
}

// alertItems builds the alert card for every coordination chat when the
// case is urgent enough. The dedupe key carries the urgency, so a repost at
// the same level alerts nobody again, while a repost that raises the level
// alerts once more.
func (e *Engine) alertItems(c *store.Case, merged bool, coordination []*store.Chat, matches []store.DirEntry) []store.OutboxItem {
	if c.Urgency < e.opts.AlertAt {
		return nil
	}
	var items []store.OutboxItem
	for _, ch := range coordination {
		lang := e.lang(ch)
		text := e.cardText(c, lang, unmasked) + e.directoryText(c, lang, matches)
		if merged {
			text = tr(lang, "urgency raised to %s by a repost", urgencyLabel(lang, c.Urgency)) + "\n" + text
		}
		out := OutMessage{Chat: ch.Ref, Text: text, Buttons: cardButtons(c, lang)}
		items = append(items, e.outboxItem("alert", c.ID, out, fmt.Sprintf("alert:%d:%s:%s", c.ID, ch.Ref, c.Urgency)))
	}
	return items
}

// handleEdit applies an edited plea to the case it created.
func (e *Engine) handleEdit(ctx context.Context, m Message, a triage.Assessment) error {
	err := e.once(ctx, m, func(tx *store.Tx) error {
		c, err := caseFromSource(tx, m)
		if err != nil || c == nil {
			return err
		}
		before := c.Urgency
		c.Text, c.Assessment, c.Category, c.Updated = m.Text, a, a.Category, m.Time
		if a.Urgency > c.Urgency || a.Resolved {
			c.Urgency = a.Urgency
		}
		c.Phones = mergeStrings(c.Phones, a.Phones)
		if err := tx.PutCase(c); err != nil {
			return err
		}
		if err := tx.AppendEvent(&store.Event{Case: c.ID, At: m.Time, Actor: m.Sender, Kind: "edited", From: before.String(), To: c.Urgency.String()}); err != nil {
			return err
		}
		if c.Urgency > before {
			return e.queueAlerts(tx, c)
		}
		return nil
	})
	if errors.Is(err, errSeen) {
		return nil
	}
	return err
}

// queueAlerts queues the alert card of c, with matching directory
// entries, for every coordination chat, when c is urgent enough. Alerts
// already sent at this urgency are not repeated (their dedupe key).
func (e *Engine) queueAlerts(tx *store.Tx, c *store.Case) error {
	coordination, err := chatsWithRole(tx, store.RoleCoordination)
	if err != nil {
		return err
	}
	matches, err := directoryMatches(tx, c)
	if err != nil {
		return fmt.Errorf("directory matches for case %d: %w", c.ID, err)
	}
	for _, it := range e.alertItems(c, false, coordination, matches) {
		if _, err := tx.Enqueue(&it); err != nil {
			return fmt.Errorf("queue alert for case %d: %w", c.ID, err)
		}
	}
	return nil
}

// caseFromSource finds the case a message created or was merged into.
func caseFromSource(tx *store.Tx, m Message) (*store.Case, error) {
	c, err := tx.CaseOfMessage(msgKey(m))
	if c != nil && c.Asker != m.Sender {
		return nil, err // a repost merged into someone else's case
	}
	return c, err
}

func chatsWithRole(tx *store.Tx, role store.ChatRole) ([]*store.Chat, error) {
	var out []*store.Chat
	err := tx.ForEachChat(func(c *store.Chat) error {
		if c.Role == role && c.Active {
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s chats: %w", role, err)
	}
	return out, nil
}

// outboxItem wraps an outgoing message for the store's outbox, due now.
func (e *Engine) outboxItem(kind string, caseID int64, m OutMessage, dedupe string) store.OutboxItem {
	payload, _ := json.Marshal(m) // OutMessage has only marshalable fields
	now := e.now()
	return store.OutboxItem{Chat: m.Chat, Kind: kind, Case: caseID, Payload: payload, DedupeKey: dedupe, NextAt: now, Created: now}
}

// enqueue queues one message inside tx, due now.
func (e *Engine) enqueue(tx *store.Tx, kind string, caseID int64, m OutMessage, dedupe string) error {
	it := e.outboxItem(kind, caseID, m, dedupe)
	if _, err := tx.Enqueue(&it); err != nil {
		return fmt.Errorf("queue %s for %s: %w", kind, m.Chat, err)
	}
	return nil
}

func mergeStrings(a, b []string) []string {
	seen := make(map[string]bool, len(a))
	for _, s := range a {
		seen[s] = true
	}
	for _, s := range b {
		if !seen[s] {
			a, seen[s] = append(a, s), true
		}
	}
	return a
}
