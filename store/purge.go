package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Chunk sizes bound how much one purge transaction rewrites, so a first
// purge over a large backlog never holds the writer (and intake) for long.
const (
	purgeChunk     = 500   // cases
	purgeDeadChunk = 1000  // dead letters
	purgeSeenChunk = 20000 // seen-message records
	purgePeople    = 1000  // person records
)

// errNothingDue rolls back a purge transaction that found nothing to do.
var errNothingDue = errors.New("nothing due")

// PurgeReport says what one retention purge removed.
type PurgeReport struct {
	Cases       int // finished cases whose personal data was removed
	Sources     int // their source records cut from text and sender
	Events      int // their events stripped of note and people
	DeadLetters int // dead letters whose text was removed
	Seen        int // seen-message records forgotten
}

// Purge runs PurgeAll and returns the number of cases purged.
func (s *Store) Purge(ctx context.Context, now time.Time, retention time.Duration) (int, error) {
	r, err := s.PurgeAll(ctx, now, retention)
	return r.Cases, err
}

// PurgeAll removes personal data older than retention before now:
//
//   - Cases finished (resolved or closed) before then lose phone numbers,
//     address, free text, the asker and their display name, and the phones
//     and places triage extracted; their sources lose text and sender, and
//     a source from a private chat also loses the chat and message id (it
//     is cut from the person); their events lose notes, actors and any
//     person or private chat in from/to (kinds and times stay). Category,
//     urgency, status, times, assignees, links and the number of sources
//     stay, so reports keep their counts. Purged cases leave the phone,
//     asker and message indexes.
//   - Dead letters given up on before then lose their text (payload and
//     dedupe key) and a private destination; they can no longer be resent.
//   - Seen-message records older than that are forgotten: no platform
//     redelivers a message that old.
//
// Each part reads only what is due, through its own time index, and works
// in bounded transactions. People are purged by PurgePeople.
func (s *Store) PurgeAll(ctx context.Context, now time.Time, retention time.Duration) (PurgeReport, error) {
	var r PurgeReport
	cutoff := now.Add(-retention)
	limit := timeBits(cutoff)
	// The done index lists finished cases by finish time, so only the
	// cases due for purging are read, however many cases exist.
	var ids []int64
	err := s.View(ctx, func(tx *Tx) error {
		cur := tx.b(bIdxDone).Cursor()
		for k, _ := cur.First(); k != nil && len(k) == 16 && binary.BigEndian.Uint64(k) < limit; k, _ = cur.Next() {
			ids = append(ids, keyID(k[8:]))
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("purge: %w", err)
	}
	for len(ids) > 0 {
		chunk := ids[:min(purgeChunk, len(ids))]
		ids = ids[len(chunk):]
		var part PurgeReport
		err := s.Update(ctx, func(tx *Tx) error {
			part = PurgeReport{}
			priv := privateChats(tx)
			for _, id := range chunk {
				c, err := tx.Case(id)
				if err != nil {
					return err
				}
				if !purgeDue(c, cutoff) { // changed since the scan (reopened)
					continue
				}
				if err := tx.purgeCase(c, priv, &part); err != nil {
					return err
				}
				part.Cases++
			}
			return nil
		})
		if err != nil {
			return r, fmt.Errorf("purge: %w", err)
		}
		r.Cases, r.Sources, r.Events = r.Cases+part.Cases, r.Sources+part.Sources, r.Events+part.Events
	}
	if r.Cases > 0 {
		s.log.Info("purged personal data of finished cases", "cases", r.Cases, "older_than", cutoff)
	}
	if r.DeadLetters, err = s.purgeDead(ctx, limit); err != nil {
		return r, fmt.Errorf("purge dead letters: %w", err)
	}
	if r.Seen, err = s.purgeSeen(ctx, limit); err != nil {
		return r, fmt.Errorf("purge seen messages: %w", err)
	}
	return r, nil
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

// privateChats returns a test for "this chat is someone's private chat
// with the bot", remembering the answers for one transaction. A chat is
// private when its record says so, or when it is the sender's own id
// (Telegram's private chats), or a console "@name" chat.
func privateChats(tx *Tx) func(chat, sender string) bool {
	known := map[string]bool{}
	return func(chat, sender string) bool {
		if chat == "" {
			return false
		}
		if chat == sender || strings.HasPrefix(chat, "console:@") {
			return true
		}
		if p, ok := known[chat]; ok {
			return p
		}
		c, err := tx.Chat(chat)
		p := err == nil && c.Role == RolePrivate
		known[chat] = p
		return p
	}
}

func (tx *Tx) purgeCase(c *Case, private func(chat, sender string) bool, r *PurgeReport) error {
	old := *c
	asker := c.Asker
	if private(c.SourceChat, asker) {
		c.SourceChat, c.SourceMsg = "", ""
	}
	c.Phones, c.Address, c.Text = nil, "", ""
	c.Asker, c.AskerName = "", ""
	c.Assessment.Phones, c.Assessment.Places = nil, nil
	if c.Latest != nil {
		l := cutSource(*c.Latest, private)
		c.Latest = &l
	}
	c.Purged = true
	if err := tx.writeCase(&old, c); err != nil {
		return fmt.Errorf("purge case #%d: %w", c.ID, err)
	}
	srcs, err := tx.Sources(c.ID)
	if err != nil {
		return err
	}
	idx := tx.b(bIdxMsg)
	for _, s := range srcs {
		if s.Chat != "" && s.Msg != "" {
			mk := seenKey(MessageKey{Chat: s.Chat, ID: s.Msg})
			// The message may point at a copy on another case (a merge).
			if v := idx.Get(mk); len(v) == 16 && keyID(v) == c.ID {
				if err := idx.Delete(mk); err != nil {
					return fmt.Errorf("purge case #%d: unindex message: %w", c.ID, err)
				}
			}
		}
		cut := cutSource(s, private)
		if cut == s {
			continue
		}
		if err := putJSON(tx.b(bSources), sourceKey(c.ID, s.Seq), cut); err != nil {
			return fmt.Errorf("purge case #%d source %d: %w", c.ID, s.Seq, err)
		}
		r.Sources++
	}
	evs, err := tx.Events(c.ID)
	if err != nil {
		return err
	}
	people := tx.b(bPeople)
	personal := func(v string) bool {
		return v != "" && (v == asker || people.Get([]byte(v)) != nil || private(v, ""))
	}
	for _, e := range evs {
		before := e
		e.Note = ""
		if e.Actor != Actor { // the bot is the only actor who is not a person
			e.Actor = ""
		}
		if personal(e.From) || e.From == before.Actor {
			e.From = ""
		}
		if personal(e.To) || e.To == before.Actor {
			e.To = ""
		}
		if e == before {
			continue
		}
		if err := putJSON(tx.b(bEvents), binary.BigEndian.AppendUint64(idKey(c.ID), e.ID), e); err != nil {
			return fmt.Errorf("purge case #%d event %d: %w", c.ID, e.ID, err)
		}
		r.Events++
	}
	return nil
}

// cutSource removes the personal data of a source: its text and sender,
// and, from a private chat, the chat and message id too.
func cutSource(s Source, private func(chat, sender string) bool) Source {
	if private(s.Chat, s.Sender) {
		s.Chat, s.Msg = "", ""
	}
	s.Text, s.Sender, s.SenderName = "", "", ""
	return s
}

// purgeDead removes the text of dead letters given up on before limit.
func (s *Store) purgeDead(ctx context.Context, limit uint64) (int, error) {
	n := 0
	for {
		done := 0
		err := s.Update(ctx, func(tx *Tx) error {
			done = 0
			priv := privateChats(tx)
			var keys [][]byte
			cur := tx.b(bDeadAt).Cursor()
			for k, _ := cur.First(); k != nil && len(k) == 16 && binary.BigEndian.Uint64(k) < limit && len(keys) < purgeDeadChunk; k, _ = cur.Next() {
				keys = append(keys, bytes.Clone(k))
			}
			if len(keys) == 0 {
				return errNothingDue // roll back: no commit, no fsync
			}
			for _, k := range keys {
				id := binary.BigEndian.Uint64(k[8:])
				d, err := tx.DeadLetter(id)
				if err != nil {
					return err
				}
				if err := tx.removeDead(id, d); err != nil {
					return err
				}
				d.Item.Payload, d.Item.DedupeKey, d.Purged = nil, "", true
				if priv(d.Item.Chat, "") {
					d.Item.Chat = ""
				}
				if err := putJSON(tx.b(bDead), u64(id), d); err != nil {
					return fmt.Errorf("purge dead letter %d: %w", id, err)
				}
				done++
			}
			return nil
		})
		n += done
		if errors.Is(err, errNothingDue) {
			return n, nil
		}
		if err != nil || done < purgeDeadChunk {
			return n, err
		}
	}
}

// purgeSeen forgets seen-message records from before limit, reading the
// expiry index from its oldest end: only the records due are touched.
func (s *Store) purgeSeen(ctx context.Context, limit uint64) (int, error) {
	n := 0
	for {
		done := 0
		err := s.Update(ctx, func(tx *Tx) error {
			done = 0
			exp, seen := tx.b(bSeenExp), tx.b(bSeen)
			var keys [][]byte
			cur := exp.Cursor()
			for k, _ := cur.First(); k != nil && len(k) > 8 && binary.BigEndian.Uint64(k) < limit && len(keys) < purgeSeenChunk; k, _ = cur.Next() {
				keys = append(keys, bytes.Clone(k))
			}
			if len(keys) == 0 {
				return errNothingDue
			}
			for _, k := range keys {
				if err := exp.Delete(k); err != nil {
					return fmt.Errorf("forget seen message: %w", err)
				}
				// Only the record this entry dates (a message seen again
				// after an earlier purge has a newer one).
				if v := seen.Get(k[8:]); bytes.Equal(v, k[:8]) {
					if err := seen.Delete(k[8:]); err != nil {
						return fmt.Errorf("forget seen message: %w", err)
					}
				}
				done++
			}
			return nil
		})
		n += done
		if errors.Is(err, errNothingDue) {
			return n, nil
		}
		if err != nil || done < purgeSeenChunk {
			return n, err
		}
	}
}

// PurgePeople drops the records of people who have no role, have not been
// updated for retention, ask for no open case and are assigned to none,
// unless keep (may be nil) says to keep them (the engine's own reasons).
// It returns the refs dropped, so the caller can forget what it keeps
// about them elsewhere.
func (s *Store) PurgePeople(ctx context.Context, now time.Time, retention time.Duration, keep func(*Person) bool) ([]string, error) {
	cutoff := now.Add(-retention)
	var refs []string
	err := s.View(ctx, func(tx *Tx) error {
		return tx.ForEachPerson(func(p *Person) error {
			if len(p.Roles) == 0 && p.Updated.Before(cutoff) {
				refs = append(refs, p.Ref)
			}
			return nil
		})
	})
	if err != nil || len(refs) == 0 {
		return nil, err
	}
	var dropped []string
	for len(refs) > 0 {
		chunk := refs[:min(purgePeople, len(refs))]
		refs = refs[len(chunk):]
		var part []string
		err := s.Update(ctx, func(tx *Tx) error {
			part = part[:0]
			busy, err := tx.openCaseAssignees()
			if err != nil {
				return err
			}
			for _, ref := range chunk {
				p, err := tx.Person(ref)
				if errors.Is(err, ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				if len(p.Roles) > 0 || !p.Updated.Before(cutoff) || busy[ref] || (keep != nil && keep(p)) {
					continue
				}
				asking, err := tx.asksOpenCase(ref)
				if err != nil {
					return err
				}
				if asking {
					continue
				}
				if err := tx.b(bPeople).Delete([]byte(ref)); err != nil {
					return fmt.Errorf("drop person %s: %w", ref, err)
				}
				part = append(part, ref)
			}
			return nil
		})
		if err != nil {
			return dropped, fmt.Errorf("purge people: %w", err)
		}
		dropped = append(dropped, part...)
	}
	if len(dropped) > 0 {
		s.log.Info("dropped records of people with no role and no open case", "people", len(dropped), "older_than", cutoff)
	}
	return dropped, nil
}

// openCaseAssignees is the set of people assigned to an open case.
func (tx *Tx) openCaseAssignees() (map[string]bool, error) {
	busy := map[string]bool{}
	_, err := tx.OpenCases(0, func(c *Case) bool {
		for _, a := range c.Assignees {
			busy[a] = true
		}
		return false
	})
	return busy, err
}

// asksOpenCase reports whether a person is the asker of an open case.
func (tx *Tx) asksOpenCase(ref string) (bool, error) {
	found := false
	err := tx.reverseRef(bIdxAsker, ref, func(id int64, _ []byte) (bool, error) {
		c, err := tx.Case(id)
		if err != nil {
			return false, fmt.Errorf("asker index: %w", err)
		}
		found = c.Status.Open()
		return !found, nil
	})
	return found, err
}
