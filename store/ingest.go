package store

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// IngestRequest is one incoming help request, already triaged.
type IngestRequest struct {
	// Msg identifies the platform message; a second Ingest of the same
	// key is a no-op reported as Duplicate.
	Msg MessageKey
	// At is when the message was received; it stamps the case, the source
	// and the events.
	At time.Time
	// Case is the case to create when no open case matches. Its ID is
	// ignored. When Phones is empty, Assessment.Phones are used.
	Case Case
	// Merge asks to fold the message into an open case with the same phone
	// number or a near-duplicate text instead of opening a new one.
	Merge bool
	// Alerts returns the outbox items to enqueue for the resulting case
	// (merged reports whether it was an existing case). It may run more
	// than once under Store.Ingest, so it must be a pure function of its
	// arguments. Items with a DedupeKey already used are skipped.
	Alerts func(c *Case, merged bool) []OutboxItem
}

// IngestResult says what Ingest did.
type IngestResult struct {
	Duplicate bool  // the message was already ingested; nothing changed
	Case      *Case // the created or merged-into case (nil for a duplicate)
	Merged    bool  // the message joined an existing open case
	Enqueued  int   // outbox items written (deduplicated ones not counted)
}

// Ingest records a message and creates or merges its case and enqueues its
// alerts, all in this transaction: a crash leaves either all of it or none
// of it, never a case without its alert or an alert without its case.
func (tx *Tx) Ingest(req IngestRequest) (IngestResult, error) {
	first, err := tx.MarkSeen(req.Msg, req.At)
	if err != nil {
		return IngestResult{}, fmt.Errorf("ingest: %w", err)
	}
	if !first {
		return IngestResult{Duplicate: true}, nil
	}
	at := req.At
	if at.IsZero() {
		at = time.Now()
	}
	// Work on a deep enough copy that a retried Batch run starts from the
	// same request.
	nc := req.Case
	nc.ID = 0
	nc.Phones = slices.Clone(nc.Phones)
	if len(nc.Phones) == 0 {
		nc.Phones = slices.Clone(nc.Assessment.Phones)
	}
	nc.Assignees = slices.Clone(nc.Assignees)
	src := Source{Chat: req.Msg.Chat, Msg: req.Msg.ID, Sender: nc.Asker, At: at}

	var existing *Case
	if req.Merge {
		if existing, err = tx.findMergeTarget(&nc); err != nil {
			return IngestResult{}, fmt.Errorf("ingest %s/%s: %w", req.Msg.Chat, req.Msg.ID, err)
		}
	}
	res := IngestResult{}
	if existing != nil {
		c := existing
		old := *c
		old.Phones = slices.Clone(c.Phones)
		c.Sources = append(c.Sources, src)
		for _, p := range nc.Phones {
			if p != "" && !slices.Contains(c.Phones, p) {
				c.Phones = append(c.Phones, p)
			}
		}
		ev := Event{Case: c.ID, At: at, Actor: actor(nc.Asker), Kind: "merged",
			Note: req.Msg.Chat + "/" + req.Msg.ID}
		if nc.Urgency > c.Urgency {
			ev.From, ev.To = c.Urgency.String(), nc.Urgency.String()
			c.Urgency = nc.Urgency
		}
		if c.Address == "" {
			c.Address = nc.Address
		}
		// The earlier text stays: it is the one volunteers already read.
		if at.After(c.Updated) {
			c.Updated = at
		}
		if err := tx.writeCase(&old, c); err != nil {
			return IngestResult{}, fmt.Errorf("ingest: merge into case #%d: %w", c.ID, err)
		}
		if err := tx.AppendEvent(&ev); err != nil {
			return IngestResult{}, fmt.Errorf("ingest: %w", err)
		}
		res.Case, res.Merged = c, true
	} else {
		c := &nc
		c.Sources = append([]Source{src}, slices.Clone(c.Sources)...)
		if c.SourceChat == "" && c.SourceMsg == "" {
			c.SourceChat, c.SourceMsg = req.Msg.Chat, req.Msg.ID
		}
		if c.Created.IsZero() {
			c.Created = at
		}
		if c.Updated.IsZero() {
			c.Updated = at
		}
		if err := tx.CreateCase(c); err != nil {
			return IngestResult{}, fmt.Errorf("ingest: %w", err)
		}
		ev := Event{Case: c.ID, At: at, Actor: actor(c.Asker), Kind: "created",
			To: string(c.Status), Note: req.Msg.Chat + "/" + req.Msg.ID}
		if err := tx.AppendEvent(&ev); err != nil {
			return IngestResult{}, fmt.Errorf("ingest: %w", err)
		}
		res.Case = c
	}
	if req.Alerts != nil {
		for _, it := range req.Alerts(res.Case, res.Merged) {
			if it.Case == 0 {
				it.Case = res.Case.ID
			}
			if it.Created.IsZero() {
				it.Created = at
			}
			ok, err := tx.Enqueue(&it)
			if err != nil {
				return IngestResult{}, fmt.Errorf("ingest: enqueue alert for case #%d: %w", res.Case.ID, err)
			}
			if ok {
				res.Enqueued++
			}
		}
	}
	return res, nil
}

// findMergeTarget looks for an open case with one of the new case's phone
// numbers, then for one with a near-duplicate text.
func (tx *Tx) findMergeTarget(nc *Case) (*Case, error) {
	var best *Case
	for _, p := range nc.Phones {
		c, err := tx.FindOpenByPhone(p)
		if err != nil {
			return nil, err
		}
		if c != nil && (best == nil || c.ID > best.ID) {
			best = c
		}
	}
	if best != nil {
		return best, nil
	}
	return tx.FindOpenByFingerprint(nc.Assessment.Fingerprint)
}

func actor(asker string) string {
	if asker == "" {
		return "lifeline"
	}
	return asker
}

// Ingest runs Tx.Ingest through Batch, so concurrent ingests share a
// commit (and an fsync). It returns after the commit: a nil error means
// the message, its case and its alerts are on disk.
func (s *Store) Ingest(ctx context.Context, req IngestRequest) (IngestResult, error) {
	var res IngestResult
	err := s.Batch(ctx, func(tx *Tx) error {
		r, err := tx.Ingest(req)
		res = r // only the last (committed) run's result is kept
		return err
	})
	if err != nil {
		return IngestResult{}, err
	}
	return res, nil
}
