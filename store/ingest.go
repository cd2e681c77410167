package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Action is what a merge rule decides about a candidate case.
type Action uint8

// Actions a Decide function returns.
const (
	// None: not the same plea, and not worth a link.
	None Action = iota
	// Merge: the same plea; the message joins the candidate.
	Merge
	// Link: maybe the same, maybe not (the evidence points both ways):
	// open a new case and link the two.
	Link
)

// Decision is a merge rule's answer about one candidate case.
type Decision struct {
	Action Action
	// Reason is shown with a link ("same contact", "similar text"); when
	// empty the store says how the candidate was found.
	Reason string
}

// MaxCandidates bounds the open cases one ingest considers for a merge
// or a link, so a phone or a template shared by hundreds of open cases
// does not make each new message slower.
const MaxCandidates = 8

// IngestRequest is one incoming help request, already triaged.
type IngestRequest struct {
	// Msg identifies the platform message; a second Ingest of the same
	// key is a no-op reported as Duplicate.
	Msg MessageKey
	// At is when the message was received; it stamps the case, the source
	// and the events.
	At time.Time
	// Case is the case to create when no open case matches. Its ID is
	// ignored. When Phones is empty, Assessment.Phones are used. Its Text
	// (the message's text), Asker and AskerName also make the message's
	// source record.
	Case Case
	// Merge asks to look for open cases with one of the new case's phone
	// numbers or a near-duplicate text (fingerprint within Hamming
	// distance 3), and to fold the message into one of them instead of
	// opening a new case.
	Merge bool
	// Decide, when set, is the merge rule: with Merge, it is asked about
	// every candidate (at most MaxCandidates: those with the same phone
	// and a near-duplicate text first, then the same phone, then the
	// nearest texts, then the asker's own newest open cases, newest
	// first on a tie). The first Merge wins;
	// otherwise the new case is linked to every candidate that got Link.
	// Without Decide the message merges into the newest open case with
	// one of its phones, else into the one with the nearest text.
	// Like Alerts it may run more than once, so it must be pure.
	Decide func(candidate, proposed *Case) Decision
	// Kind is the merged message's source kind; empty means SourceUpdate
	// when the sender is the case's asker, else SourceRepost.
	Kind SourceKind
	// Alerts returns the outbox items to enqueue for the resulting case
	// (merged reports whether it was an existing case). It may run more
	// than once under Store.Ingest, so it must be a pure function of its
	// arguments. Items with a DedupeKey already used are skipped.
	// c.Latest is the case's newest source by time, which a message
	// delivered late is not: name this message by Msg.
	Alerts func(c *Case, merged bool) []OutboxItem
}

// IngestResult says what Ingest did.
type IngestResult struct {
	Duplicate bool       // the message was already ingested; nothing changed
	Case      *Case      // the created or merged-into case (nil for a duplicate)
	Merged    bool       // the message joined an existing open case
	Source    *Source    // the message's source record (nil for a duplicate)
	Links     []CaseLink // the cases the new case was linked to
	Enqueued  int        // outbox items written (deduplicated ones not counted)
}

// Ingest records a message and creates or merges its case and enqueues its
// alerts, all in this transaction: a crash leaves either all of it or none
// of it, never a case without its alert or an alert without its case.
// Its cost does not grow with the number of cases, messages or sources.
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
	nc.SourceCount, nc.Latest, nc.Links = 0, nil, nil
	src := Source{Chat: req.Msg.Chat, Msg: req.Msg.ID, Sender: nc.Asker, SenderName: nc.AskerName, At: at, Text: nc.Text}

	var existing *Case
	var links []candidate
	switch {
	case req.Merge && req.Decide != nil:
		existing, links, err = tx.decide(&nc, req.Decide)
	case req.Merge:
		existing, err = tx.findMergeTarget(&nc)
	}
	if err != nil {
		return IngestResult{}, fmt.Errorf("ingest %s/%s: %w", req.Msg.Chat, req.Msg.ID, err)
	}
	res := IngestResult{}
	if existing != nil {
		c := existing
		old := *c
		src.Kind = req.Kind
		if src.Kind == "" {
			src.Kind = SourceRepost
			if nc.Asker != "" && nc.Asker == c.Asker {
				src.Kind = SourceUpdate
			}
		}
		c.Phones = slices.Clone(c.Phones)
		for _, p := range nc.Phones {
			if p != "" && !slices.Contains(c.Phones, p) && len(c.Phones) < MaxCasePhones {
				c.Phones = append(c.Phones, p)
			}
		}
		ev := Event{Case: c.ID, At: at, Actor: actor(nc.Asker), Kind: "merged",
			Note: req.Msg.Chat + "/" + req.Msg.ID}
		if nc.Urgency > c.Urgency {
			ev.From, ev.To = c.Urgency.String(), nc.Urgency.String()
			src.From, src.To = ev.From, ev.To
			c.Urgency = nc.Urgency
		}
		if c.Address == "" {
			c.Address = nc.Address
		}
		// The case's text stays the one volunteers already read; the new
		// text is in the source record and, cut, in Latest.
		if at.After(c.Updated) {
			c.Updated = at
		}
		if err := tx.putSource(c, &src); err != nil {
			return IngestResult{}, fmt.Errorf("ingest: merge into case #%d: %w", c.ID, err)
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
		if c.SourceChat == "" && c.SourceMsg == "" {
			c.SourceChat, c.SourceMsg = req.Msg.Chat, req.Msg.ID
		}
		if c.Created.IsZero() {
			c.Created = at
		}
		if c.Updated.IsZero() {
			c.Updated = at
		}
		if err := tx.newCaseID(c); err != nil {
			return IngestResult{}, fmt.Errorf("ingest: %w", err)
		}
		src.Kind = SourceFirst
		if err := tx.putSource(c, &src); err != nil {
			return IngestResult{}, fmt.Errorf("ingest: %w", err)
		}
		for _, l := range links {
			c.Links = withLink(c.Links, CaseLink{Case: l.c.ID, Reason: l.reason, At: at})
		}
		if err := tx.writeCase(nil, c); err != nil {
			return IngestResult{}, fmt.Errorf("ingest: %w", err)
		}
		ev := Event{Case: c.ID, At: at, Actor: actor(c.Asker), Kind: "created",
			To: string(c.Status), Note: req.Msg.Chat + "/" + req.Msg.ID}
		if err := tx.AppendEvent(&ev); err != nil {
			return IngestResult{}, fmt.Errorf("ingest: %w", err)
		}
		for _, l := range links {
			if err := tx.addLink(l.c, CaseLink{Case: c.ID, Reason: l.reason, At: at}); err != nil {
				return IngestResult{}, fmt.Errorf("ingest: %w", err)
			}
			for _, e := range []Event{
				{Case: c.ID, At: at, Actor: Actor, Kind: "linked", To: strconv.FormatInt(l.c.ID, 10), Note: l.reason},
				{Case: l.c.ID, At: at, Actor: Actor, Kind: "linked", To: strconv.FormatInt(c.ID, 10), Note: l.reason},
			} {
				if err := tx.AppendEvent(&e); err != nil {
					return IngestResult{}, fmt.Errorf("ingest: %w", err)
				}
			}
		}
		res.Case, res.Links = c, slices.Clone(c.Links)
	}
	res.Source = &src
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

// Actor is the event actor for what the store does by itself (links).
const Actor = "lifeline"

// findMergeTarget is the rule without Decide: the newest open case with
// one of the new case's phone numbers, else the one with the nearest text.
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

// candidate is an open case that resembles a new one.
type candidate struct {
	c      *Case
	phone  bool   // shares a phone number
	asker  bool   // has the same asker
	dist   int    // Hamming distance of the fingerprints, -1 when not near
	reason string // for a link
}

// matchReason says how a candidate was found, for a link without a reason.
func (cd candidate) matchReason() string {
	switch {
	case cd.phone && cd.dist >= 0:
		return "same contact, similar text"
	case cd.phone:
		return "same contact"
	case cd.dist < 0 && cd.asker:
		return "same asker"
	}
	return "similar text"
}

// maxAskerCandidates bounds the asker's own cases one ingest considers.
const maxAskerCandidates = 3

// candidates lists the open cases that share a phone number with nc or
// have a near-duplicate text, strongest match first, at most
// MaxCandidates.
func (tx *Tx) candidates(nc *Case) ([]candidate, error) {
	seen := map[int64]bool{}
	var ids []int64
	for i, p := range nc.Phones {
		if p == "" || slices.Contains(nc.Phones[:i], p) {
			continue
		}
		n := 0
		err := tx.reverseRef(bIdxPhone, p, func(id int64, open []byte) (bool, error) {
			if len(open) == 1 && open[0] == 0 {
				return true, nil
			}
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
			n++
			return n < MaxCandidates, nil
		})
		if err != nil {
			return nil, fmt.Errorf("phone index: %w", err)
		}
	}
	// The asker's own newest cases: an update ("still not awake") may
	// share neither a phone nor the words with the first plea.
	if nc.Asker != "" {
		n := 0
		err := tx.reverseRef(bIdxAsker, nc.Asker, func(id int64, _ []byte) (bool, error) {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
			n++
			return n < maxAskerCandidates, nil
		})
		if err != nil {
			return nil, fmt.Errorf("asker index: %w", err)
		}
	}
	fp := nc.Assessment.Fingerprint
	if fp != 0 && tx.fp != nil {
		for _, m := range tx.fp.near(tx.tx, fp, MaxCandidates) {
			if !seen[m.id] {
				seen[m.id] = true
				ids = append(ids, m.id)
			}
		}
	}
	out := make([]candidate, 0, len(ids))
	for _, id := range ids {
		c, err := tx.Case(id)
		if errors.Is(err, ErrNotFound) && !tx.tx.Writable() {
			continue // created after this read snapshot
		}
		if err != nil {
			return nil, fmt.Errorf("candidate case: %w", err)
		}
		if !c.Status.Open() {
			continue
		}
		cd := candidate{c: c, dist: -1, asker: nc.Asker != "" && c.Asker == nc.Asker}
		for _, p := range nc.Phones {
			if p != "" && slices.Contains(c.Phones, p) {
				cd.phone = true
				break
			}
		}
		if fp != 0 && nearDuplicate(fp, c.Assessment.Fingerprint) {
			cd.dist = popcount(fp ^ c.Assessment.Fingerprint)
		}
		if cd.phone || cd.dist >= 0 || cd.asker {
			out = append(out, cd)
		}
	}
	rank := func(cd candidate) int {
		switch {
		case cd.phone && cd.dist >= 0:
			return 0
		case cd.phone:
			return 1
		case cd.dist >= 0:
			return 2
		}
		return 3
	}
	slices.SortFunc(out, func(a, b candidate) int {
		if r := cmp.Compare(rank(a), rank(b)); r != 0 {
			return r
		}
		if r := cmp.Compare(a.dist, b.dist); r != 0 {
			return r
		}
		return cmp.Compare(b.c.ID, a.c.ID)
	})
	if len(out) > MaxCandidates {
		out = out[:MaxCandidates]
	}
	return out, nil
}

// decide asks the rule about each candidate: the first Merge is the
// target; otherwise the candidates to link, each with its reason.
func (tx *Tx) decide(nc *Case, rule func(candidate, proposed *Case) Decision) (*Case, []candidate, error) {
	cands, err := tx.candidates(nc)
	if err != nil {
		return nil, nil, err
	}
	var links []candidate
	for _, cd := range cands {
		probe := *nc // the rule sees the proposal and cannot change it
		probe.Phones = slices.Clone(nc.Phones)
		d := rule(cd.c, &probe)
		switch d.Action {
		case Merge:
			return cd.c, nil, nil
		case Link:
			cd.reason = d.Reason
			if cd.reason == "" {
				cd.reason = cd.matchReason()
			}
			links = append(links, cd)
		}
	}
	return nil, links, nil
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
