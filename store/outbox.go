package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DeadLetter is an outbox item given up on, kept for coordinators to see
// and to resend (RequeueDead).
type DeadLetter struct {
	Item   OutboxItem `json:"item"`
	Reason string     `json:"reason"`
	At     time.Time  `json:"at"`
	// Purged is set once retention removed the item's text (Payload and
	// DedupeKey); it can no longer be resent.
	Purged bool `json:"purged,omitempty"`
}

// ErrPurged is returned for a dead letter whose text retention removed.
var ErrPurged = errors.New("removed by retention")

// Queue states in outbox_chat values.
const (
	stateQueued byte = 'q' // pending, never tried
	stateStuck  byte = 's' // pending, tried and not sent
	stateDead   byte = 'd' // given up on
)

// chatEntry is an outbox_chat value: state, lane, and since when (queued
// for pending items, given up for dead letters).
func chatEntry(state byte, lane Priority, since time.Time) []byte {
	b := make([]byte, 2, 10)
	b[0], b[1] = state, byte(lane)
	return binary.BigEndian.AppendUint64(b, timeBits(since))
}

func pendingState(it *OutboxItem) byte {
	if it.Attempts > 0 || it.LastError != "" {
		return stateStuck
	}
	return stateQueued
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

// putOutbox writes a pending item and its due and chat entries, settling
// its lane first.
func (tx *Tx) putOutbox(it *OutboxItem) error {
	it.Priority = laneOf(it)
	if err := putJSON(tx.b(bOutbox), u64(it.ID), it); err != nil {
		return fmt.Errorf("write outbox item %d: %w", it.ID, err)
	}
	if err := tx.b(bOutDue).Put(dueKey(it.Priority, it.NextAt, it.ID), []byte{}); err != nil {
		return fmt.Errorf("index outbox item %d: %w", it.ID, err)
	}
	if err := tx.b(bOutChat).Put(outChatKey(it.Chat, it.ID), chatEntry(pendingState(it), it.Priority, it.Created)); err != nil {
		return fmt.Errorf("index outbox item %d by chat: %w", it.ID, err)
	}
	return nil
}

func (tx *Tx) removeOutbox(it *OutboxItem) error {
	if err := tx.b(bOutDue).Delete(dueKey(laneOf(it), it.NextAt, it.ID)); err != nil {
		return fmt.Errorf("unindex outbox item %d: %w", it.ID, err)
	}
	if err := tx.b(bOutChat).Delete(outChatKey(it.Chat, it.ID)); err != nil {
		return fmt.Errorf("unindex outbox item %d by chat: %w", it.ID, err)
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

// Due returns up to limit pending items (all when limit <= 0) whose
// NextAt is not after now: every due item of the alert lane before any of
// the reply lane, and those before the bulk lane, however many are
// queued; within a lane soonest first, then by id.
func (tx *Tx) Due(now time.Time, limit int) ([]OutboxItem, error) {
	var out []OutboxItem
	max := timeBits(now)
	cur := tx.b(bOutDue).Cursor()
	for _, lane := range lanes {
		for k, _ := cur.Seek([]byte{byte(lane)}); k != nil && k[0] == byte(lane); k, _ = cur.Next() {
			if len(k) != 17 || binary.BigEndian.Uint64(k[1:]) > max {
				break
			}
			it, err := tx.outboxItem(binary.BigEndian.Uint64(k[9:]))
			if err != nil {
				return out, fmt.Errorf("outbox due index: %w", err)
			}
			out = append(out, *it)
			if limit > 0 && len(out) >= limit {
				return out, nil
			}
		}
	}
	return out, nil
}

// DueOutbox is Due: items due at now, alert lane first.
func (tx *Tx) DueOutbox(now time.Time, limit int) ([]OutboxItem, error) {
	return tx.Due(now, limit)
}

// NextOutboxDue returns when the soonest pending item falls due; ok is
// false when the outbox is empty, so the worker can sleep until then.
func (tx *Tx) NextOutboxDue() (time.Time, bool, error) {
	cur := tx.b(bOutDue).Cursor()
	var next uint64
	var id uint64
	found := false
	for _, lane := range lanes {
		k, _ := cur.Seek([]byte{byte(lane)})
		if k == nil || k[0] != byte(lane) || len(k) != 17 {
			continue
		}
		if t := binary.BigEndian.Uint64(k[1:]); !found || t < next {
			next, id, found = t, binary.BigEndian.Uint64(k[9:]), true
		}
	}
	if !found {
		return time.Time{}, false, nil
	}
	it, err := tx.outboxItem(id)
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
	if err := tx.b(bOutDue).Delete(dueKey(laneOf(it), it.NextAt, it.ID)); err != nil {
		return fmt.Errorf("unindex outbox item %d: %w", id, err)
	}
	it.NextAt, it.Attempts, it.LastError = next, attempts, lastErr
	return tx.putOutbox(it)
}

// DropOutbox gives up on an item: it moves to the dead-letter bucket with
// the reason, and its dedupe key stays used.
func (tx *Tx) DropOutbox(id uint64, reason string) error {
	return tx.DropOutboxAt(id, reason, time.Now())
}

// DropOutboxAt is DropOutbox with the time it was given up on (retention
// counts from it).
func (tx *Tx) DropOutboxAt(id uint64, reason string, at time.Time) error {
	it, err := tx.outboxItem(id)
	if err != nil {
		return fmt.Errorf("drop outbox: %w", err)
	}
	if err := tx.removeOutbox(it); err != nil {
		return err
	}
	if err := putJSON(tx.b(bDead), u64(id), DeadLetter{Item: *it, Reason: reason, At: at}); err != nil {
		return fmt.Errorf("write dead letter %d: %w", id, err)
	}
	if err := tx.b(bOutChat).Put(outChatKey(it.Chat, id), chatEntry(stateDead, it.Priority, at)); err != nil {
		return fmt.Errorf("index dead letter %d by chat: %w", id, err)
	}
	if err := tx.b(bDeadAt).Put(timeIDKey(at, id), []byte{}); err != nil {
		return fmt.Errorf("index dead letter %d by time: %w", id, err)
	}
	return nil
}

// DeadLetter returns one dead letter; the error wraps ErrNotFound.
func (tx *Tx) DeadLetter(id uint64) (*DeadLetter, error) {
	d := new(DeadLetter)
	ok, err := getJSON(tx.b(bDead), u64(id), d)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("dead letter %d: %w", id, ErrNotFound)
	}
	return d, nil
}

// RequeueDead puts a dead letter back in the outbox under its id, due at
// now with its attempts reset, and returns it. The error wraps
// ErrNotFound when there is no such dead letter, and ErrPurged when
// retention removed its text.
func (tx *Tx) RequeueDead(id uint64, now time.Time) (*OutboxItem, error) {
	d, err := tx.DeadLetter(id)
	if err != nil {
		return nil, fmt.Errorf("requeue: %w", err)
	}
	if d.Purged {
		return nil, fmt.Errorf("requeue dead letter %d: its text was %w", id, ErrPurged)
	}
	if err := tx.removeDead(id, d); err != nil {
		return nil, fmt.Errorf("requeue: %w", err)
	}
	it := d.Item
	it.Attempts, it.LastError, it.NextAt = 0, "", now
	if err := tx.putOutbox(&it); err != nil {
		return nil, fmt.Errorf("requeue: %w", err)
	}
	return &it, nil
}

func (tx *Tx) removeDead(id uint64, d *DeadLetter) error {
	if err := tx.b(bDead).Delete(u64(id)); err != nil {
		return fmt.Errorf("delete dead letter %d: %w", id, err)
	}
	if err := tx.b(bOutChat).Delete(outChatKey(d.Item.Chat, id)); err != nil {
		return fmt.Errorf("unindex dead letter %d: %w", id, err)
	}
	if err := tx.b(bDeadAt).Delete(timeIDKey(d.At, id)); err != nil {
		return fmt.Errorf("unindex dead letter %d: %w", id, err)
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

// QueueStats counts one chat's (or platform's) outbox: what waits, what
// keeps failing and what was given up on, with the oldest of each.
type QueueStats struct {
	Queued int // pending, never tried
	Stuck  int // pending, tried and not sent (an error or a 429)
	Dead   int // dead letters not yet purged
	Alerts int // pending items in the alert lane
	// When the oldest pending item of each kind was queued, and when the
	// oldest dead letter was given up on; zero when there is none.
	OldestQueued, OldestStuck, OldestDead time.Time
}

func (q *QueueStats) add(v []byte) {
	if len(v) != 10 {
		return
	}
	since := timeFromBits(binary.BigEndian.Uint64(v[2:]))
	older := func(t *time.Time) {
		if t.IsZero() || since.Before(*t) {
			*t = since
		}
	}
	switch v[0] {
	case stateQueued:
		q.Queued++
		older(&q.OldestQueued)
	case stateStuck:
		q.Stuck++
		older(&q.OldestStuck)
	case stateDead:
		q.Dead++
		older(&q.OldestDead)
	}
	if v[0] != stateDead && Priority(v[1]) == PriorityAlert {
		q.Alerts++
	}
}

// OutboxSummary is the outbox at a glance, for /outbox, metrics and
// readiness: totals, and the same per platform and per chat.
type OutboxSummary struct {
	Total     QueueStats
	Platforms map[string]QueueStats // by platform ("telegram")
	Chats     map[string]QueueStats // by chat ref
}

// OutboxSummary counts pending items and dead letters per chat and
// platform. It reads the small chat index, not the items.
func (tx *Tx) OutboxSummary() (OutboxSummary, error) {
	sum := OutboxSummary{Platforms: map[string]QueueStats{}, Chats: map[string]QueueStats{}}
	err := tx.b(bOutChat).ForEach(func(k, v []byte) error {
		chat, _, ok := splitOutChatKey(k)
		if !ok {
			return fmt.Errorf("outbox chat index key %x: bad form", k)
		}
		sum.Total.add(v)
		c := sum.Chats[chat]
		c.add(v)
		sum.Chats[chat] = c
		p := platformOf(chat)
		ps := sum.Platforms[p]
		ps.add(v)
		sum.Platforms[p] = ps
		return nil
	})
	return sum, err
}

// ChatQueue is one chat's outbox in detail.
type ChatQueue struct {
	Chat  string
	Stats QueueStats
	Items []OutboxItem // pending (queued and stuck), oldest first
	Dead  []DeadLetter // dead letters not yet purged, newest first
}

// ChatOutbox lists a chat's pending items and dead letters, at most limit
// of each (all when limit <= 0), with the counts of all of them.
func (tx *Tx) ChatOutbox(chat string, limit int) (ChatQueue, error) {
	q := ChatQueue{Chat: chat}
	prefix := refPrefix(chat)
	var dead []uint64
	cur := tx.b(bOutChat).Cursor()
	for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, v = cur.Next() {
		q.Stats.add(v)
		id := binary.BigEndian.Uint64(k[len(prefix):])
		if len(v) > 0 && v[0] == stateDead {
			dead = append(dead, id)
			continue
		}
		if limit > 0 && len(q.Items) >= limit {
			continue
		}
		it, err := tx.outboxItem(id)
		if err != nil {
			return q, fmt.Errorf("outbox of %s: %w", chat, err)
		}
		q.Items = append(q.Items, *it)
	}
	for i := len(dead) - 1; i >= 0 && (limit <= 0 || len(q.Dead) < limit); i-- {
		d, err := tx.DeadLetter(dead[i])
		if err != nil {
			return q, fmt.Errorf("outbox of %s: %w", chat, err)
		}
		q.Dead = append(q.Dead, *d)
	}
	return q, nil
}

// splitOutChatKey reads an outbox_chat key.
func splitOutChatKey(k []byte) (chat string, id uint64, ok bool) {
	n, w := binary.Uvarint(k)
	// Only the key outChatKey writes: canonical length, then chat and id.
	if w <= 0 || w != len(binary.AppendUvarint(nil, n)) || n > uint64(len(k)) || uint64(len(k)-w) != n+8 {
		return "", 0, false
	}
	return string(k[w : w+int(n)]), binary.BigEndian.Uint64(k[w+int(n):]), true
}

// platformOf is the platform part of a chat ref ("telegram:-100…").
func platformOf(ref string) string {
	if i := strings.IndexByte(ref, ':'); i >= 0 {
		return ref[:i]
	}
	return ref
}

// WakeChat makes every pending item for a chat due at now (attempts and
// errors kept), for when the chat is reachable again (the bot was added
// back, /bind, a message from it): what waited for it goes out at once,
// in its lanes. It returns how many items it rescheduled.
func (tx *Tx) WakeChat(chat string, now time.Time) (int, error) {
	prefix := refPrefix(chat)
	var ids []uint64
	cur := tx.b(bOutChat).Cursor()
	for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, v = cur.Next() {
		if len(v) > 0 && v[0] != stateDead {
			ids = append(ids, binary.BigEndian.Uint64(k[len(prefix):]))
		}
	}
	n := 0
	for _, id := range ids {
		it, err := tx.outboxItem(id)
		if err != nil {
			return n, fmt.Errorf("wake %s: %w", chat, err)
		}
		if !it.NextAt.After(now) {
			continue
		}
		if err := tx.RescheduleOutbox(id, now, it.Attempts, it.LastError); err != nil {
			return n, fmt.Errorf("wake %s: %w", chat, err)
		}
		n++
	}
	return n, nil
}

// PendingByKey says whether the item queued under dedupeKey is still
// waiting to be sent (not yet delivered, dropped or never queued).
func (tx *Tx) PendingByKey(dedupeKey string) (bool, error) {
	v := tx.b(bOutDedupe).Get([]byte(dedupeKey))
	if len(v) != 8 {
		return false, nil
	}
	ok, err := getJSON(tx.b(bOutbox), v, new(OutboxItem))
	if err != nil {
		return false, fmt.Errorf("outbox item for %q: %w", dedupeKey, err)
	}
	return ok, nil
}
