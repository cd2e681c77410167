package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"
)

// purgeChunk bounds how many cases one purge transaction rewrites, so a
// first purge over a large backlog does not hold the writer for long.
const purgeChunk = 500

// Purge removes the personal data of cases finished (resolved or closed)
// more than retention before now: phone numbers, address, free text, the
// asker and their display name, the senders of merged messages, the
// phones and places triage extracted, and the notes in their audit log.
// Category, urgency, status, times, assignees and the number of merged
// messages stay, so reports keep their counts. Purged cases leave the
// phone and asker indexes. It also forgets seen-message records older
// than retention: no platform redelivers a message that old. It returns
// the number of cases purged.
func (s *Store) Purge(ctx context.Context, now time.Time, retention time.Duration) (int, error) {
	cutoff := now.Add(-retention)
	// The done index lists finished cases by finish time, so only the
	// cases due for purging are read, however many cases exist.
	var ids []int64
	err := s.View(ctx, func(tx *Tx) error {
		limit := timeBits(cutoff)
		cur := tx.b(bIdxDone).Cursor()
		for k, _ := cur.First(); k != nil && len(k) == 16 && binary.BigEndian.Uint64(k) < limit; k, _ = cur.Next() {
			ids = append(ids, keyID(k[8:]))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("purge: %w", err)
	}
	n := 0
	for len(ids) > 0 {
		chunk := ids[:min(purgeChunk, len(ids))]
		ids = ids[len(chunk):]
		err := s.Update(ctx, func(tx *Tx) error {
			for _, id := range chunk {
				c, err := tx.Case(id)
				if err != nil {
					return err
				}
				if !purgeDue(c, cutoff) { // changed since the scan (reopened)
					continue
				}
				if err := tx.purgeCase(c); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("purge: %w", err)
		}
	}
	err = s.Update(ctx, func(tx *Tx) error {
		limit := timeBits(cutoff)
		b := tx.b(bSeen)
		cur := b.Cursor()
		for k, v := cur.First(); k != nil; {
			// Version 0 wrote no time: those entries are kept.
			if len(v) == 8 && binary.BigEndian.Uint64(v) < limit {
				kc := bytes.Clone(k)
				if err := cur.Delete(); err != nil {
					return fmt.Errorf("forget seen message: %w", err)
				}
				// After Delete, Next may skip a key; re-seek from the
				// deleted one instead.
				k, v = cur.Seek(kc)
				continue
			}
			k, v = cur.Next()
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("purge seen messages: %w", err)
	}
	if n > 0 {
		s.log.Info("purged personal data of finished cases", "cases", n, "older_than", cutoff)
	}
	return n, nil
}

func purgeDue(c *Case, cutoff time.Time) bool {
	if c.Purged || c.Status.Open() {
		return false
	}
	done := c.Finished
	if done.IsZero() {
		done = c.Updated
	}
	return done.Before(cutoff)
}

func (tx *Tx) purgeCase(c *Case) error {
	old := *c
	c.Phones, c.Address, c.Text = nil, "", ""
	c.Asker, c.AskerName, c.RelayedBy = "", "", ""
	c.Location, c.Media = nil, nil
	c.Assessment.Phones, c.Assessment.Places = nil, nil
	srcs := make([]Source, len(c.Sources))
	for i, s := range c.Sources {
		srcs[i] = Source{Chat: s.Chat, Msg: s.Msg, At: s.At}
	}
	c.Sources = srcs
	c.Purged = true
	if err := tx.writeCase(&old, c); err != nil {
		return fmt.Errorf("purge case #%d: %w", c.ID, err)
	}
	b := tx.b(bEvents)
	prefix := idKey(c.ID)
	evs, err := tx.Events(c.ID)
	if err != nil {
		return err
	}
	for _, e := range evs {
		if e.Note == "" {
			continue
		}
		e.Note = ""
		if err := putJSON(b, append(prefix[:8:8], u64(e.ID)...), e); err != nil {
			return fmt.Errorf("purge case #%d event %d: %w", c.ID, e.ID, err)
		}
	}
	return nil
}
