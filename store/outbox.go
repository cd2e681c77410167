package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// DeadLetter is an outbox item given up on, kept for coordinators to see.
type DeadLetter struct {
	Item   OutboxItem `json:"item"`
	Reason string     `json:"reason"`
	At     time.Time  `json:"at"`
}

func (tx *Tx) outboxItem(id uint64) (*OutboxItem, error) {
	it := new(OutboxItem)
	ok, err := getJSON(tx.b(bOutbox), u64(id), it)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("outbox item %d: %w", id, ErrNotFound)
	}
	return it, nil
}

func (tx *Tx) putOutbox(it *OutboxItem) error {
	if err := putJSON(tx.b(bOutbox), u64(it.ID), it); err != nil {
		return fmt.Errorf("write outbox item %d: %w", it.ID, err)
	}
	if err := tx.b(bOutDue).Put(dueKey(it.NextAt, it.ID), []byte{}); err != nil {
		return fmt.Errorf("index outbox item %d: %w", it.ID, err)
	}
	return nil
}

func (tx *Tx) removeOutbox(it *OutboxItem) error {
	if err := tx.b(bOutDue).Delete(dueKey(it.NextAt, it.ID)); err != nil {
		return fmt.Errorf("unindex outbox item %d: %w", it.ID, err)
	}
	if err := tx.b(bOutbox).Delete(u64(it.ID)); err != nil {
		return fmt.Errorf("delete outbox item %d: %w", it.ID, err)
	}
	return nil
}

// Enqueue adds a message to the outbox, assigning it.ID (and Created when
// zero; a zero NextAt means due now). When it.DedupeKey is set and was used
// before — still pending, delivered or dropped — nothing is written and
// Enqueue returns false: that is how a restart or a redelivered update
// never sends the same alert twice.
func (tx *Tx) Enqueue(it *OutboxItem) (bool, error) {
	dd := tx.b(bOutDedupe)
	if it.DedupeKey != "" && dd.Get([]byte(it.DedupeKey)) != nil {
		return false, nil
	}
	seq, err := tx.b(bOutbox).NextSequence()
	if err != nil {
		return false, fmt.Errorf("allocate outbox id: %w", err)
	}
	it.ID = seq
	if it.Created.IsZero() {
		it.Created = time.Now()
	}
	if it.DedupeKey != "" {
		if err := dd.Put([]byte(it.DedupeKey), u64(it.ID)); err != nil {
			return false, fmt.Errorf("remember outbox dedupe key: %w", err)
		}
	}
	if err := tx.putOutbox(it); err != nil {
		return false, err
	}
	return true, nil
}

// DueOutbox returns up to limit items (all when limit <= 0) whose NextAt is
// not after now, soonest first, then by id.
func (tx *Tx) DueOutbox(now time.Time, limit int) ([]OutboxItem, error) {
	var out []OutboxItem
	max := timeBits(now)
	cur := tx.b(bOutDue).Cursor()
	for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
		if len(k) != 16 || binary.BigEndian.Uint64(k) > max {
			break
		}
		it, err := tx.outboxItem(binary.BigEndian.Uint64(k[8:]))
		if err != nil {
			return out, fmt.Errorf("outbox due index: %w", err)
		}
		out = append(out, *it)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// NextOutboxDue returns when the soonest pending item falls due; ok is
// false when the outbox is empty, so the worker can sleep until then.
func (tx *Tx) NextOutboxDue() (time.Time, bool, error) {
	k, _ := tx.b(bOutDue).Cursor().First()
	if k == nil {
		return time.Time{}, false, nil
	}
	it, err := tx.outboxItem(binary.BigEndian.Uint64(k[8:]))
	if err != nil {
		return time.Time{}, false, fmt.Errorf("outbox due index: %w", err)
	}
	return it.NextAt, true, nil
}

// CompleteOutbox deletes a delivered item. Its dedupe key stays
// remembered so the same message is never queued again.
func (tx *Tx) CompleteOutbox(id uint64) error {
	it, err := tx.outboxItem(id)
	if err != nil {
		return fmt.Errorf("complete outbox: %w", err)
	}
	return tx.removeOutbox(it)
}

// RescheduleOutbox records a failed attempt and when to try again.
func (tx *Tx) RescheduleOutbox(id uint64, next time.Time, attempts int, lastErr string) error {
	it, err := tx.outboxItem(id)
	if err != nil {
		return fmt.Errorf("reschedule outbox: %w", err)
	}
	if err := tx.b(bOutDue).Delete(dueKey(it.NextAt, it.ID)); err != nil {
		return fmt.Errorf("unindex outbox item %d: %w", id, err)
	}
	it.NextAt, it.Attempts, it.LastError = next, attempts, lastErr
	return tx.putOutbox(it)
}

// DropOutbox gives up on an item: it moves to the dead-letter bucket with
// the reason, and its dedupe key stays used.
func (tx *Tx) DropOutbox(id uint64, reason string) error {
	it, err := tx.outboxItem(id)
	if err != nil {
		return fmt.Errorf("drop outbox: %w", err)
	}
	if err := tx.removeOutbox(it); err != nil {
		return err
	}
	if err := putJSON(tx.b(bDead), u64(id), DeadLetter{Item: *it, Reason: reason, At: time.Now()}); err != nil {
		return fmt.Errorf("write dead letter %d: %w", id, err)
	}
	return nil
}

// DeadLetters returns dropped items, newest first, up to limit (all when
// limit <= 0).
func (tx *Tx) DeadLetters(limit int) ([]DeadLetter, error) {
	var out []DeadLetter
	cur := tx.b(bDead).Cursor()
	for k, v := cur.Last(); k != nil; k, v = cur.Prev() {
		var d DeadLetter
		if err := json.Unmarshal(v, &d); err != nil {
			return out, fmt.Errorf("decode dead letter %x: %w", k, err)
		}
		out = append(out, d)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// PendingOutbox counts the items waiting to be delivered.
func (tx *Tx) PendingOutbox() (int, error) {
	n := 0
	cur := tx.b(bOutbox).Cursor()
	for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
		n++
	}
	return n, nil
}
