package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// openTest opens a fresh store in a temporary directory, closed at cleanup.
func openTest(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "lifeline.db"), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func update(t testing.TB, s *Store, fn func(*Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t testing.TB, s *Store, fn func(*Tx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

var t0 = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)

// checkConsistency rebuilds every secondary index from the records and
// compares it with what is on disk, key for key, in both directions.
func checkConsistency(tx *Tx) error {
	want := map[string]map[string]string{}
	add := func(bucket, key, val []byte) {
		m := want[string(bucket)]
		if m == nil {
			m = map[string]string{}
			want[string(bucket)] = m
		}
		m[string(key)] = string(val)
	}
	var maxCase int64
	err := tx.ForEachCase(func(c *Case) error {
		maxCase = max(maxCase, c.ID)
		for _, e := range caseIndex(c) {
			add(e.bucket, e.key, e.val)
		}
		if c.Status == "" {
			return fmt.Errorf("case #%d has no status", c.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if seq := tx.b(bCases).Sequence(); uint64(maxCase) > seq {
		return fmt.Errorf("case sequence %d behind case #%d", seq, maxCase)
	}
	dedupe := map[string]uint64{}
	err = tx.b(bOutbox).ForEach(func(k, v []byte) error {
		var it OutboxItem
		if err := json.Unmarshal(v, &it); err != nil {
			return err
		}
		if it.ID != binary.BigEndian.Uint64(k) {
			return fmt.Errorf("outbox key %x holds item %d", k, it.ID)
		}
		if it.Priority < PriorityAlert || it.Priority > PriorityBulk {
			return fmt.Errorf("outbox item %d stored in lane %d", it.ID, it.Priority)
		}
		add(bOutDue, dueKey(it.Priority, it.NextAt, it.ID), nil)
		add(bOutChat, outChatKey(it.Chat, it.ID), chatEntry(pendingState(&it), it.Priority, it.Created))
		if it.DedupeKey != "" {
			dedupe[it.DedupeKey] = it.ID
		}
		if it.Case != 0 && tx.b(bCases).Get(idKey(it.Case)) == nil {
			return fmt.Errorf("outbox item %d for missing case #%d", it.ID, it.Case)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for key, id := range dedupe {
		got := tx.b(bOutDedupe).Get([]byte(key))
		if len(got) != 8 || binary.BigEndian.Uint64(got) != id {
			return fmt.Errorf("dedupe key %q -> %x, want item %d", key, got, id)
		}
	}
	err = tx.b(bDead).ForEach(func(k, v []byte) error {
		var d DeadLetter
		if err := json.Unmarshal(v, &d); err != nil {
			return err
		}
		id := binary.BigEndian.Uint64(k)
		if d.Purged {
			if d.Item.Payload != nil || d.Item.DedupeKey != "" {
				return fmt.Errorf("purged dead letter %d keeps its text", id)
			}
			return nil
		}
		if tx.b(bOutbox).Get(k) != nil {
			return fmt.Errorf("item %d both pending and dead", id)
		}
		add(bOutChat, outChatKey(d.Item.Chat, id), chatEntry(stateDead, laneOf(&d.Item), d.At))
		add(bDeadAt, timeIDKey(d.At, id), nil)
		return nil
	})
	if err != nil {
		return err
	}
	if err := checkSources(tx); err != nil {
		return err
	}
	if err := checkSeen(tx); err != nil {
		return err
	}
	for _, name := range [][]byte{bIdxOpen, bIdxStale, bIdxPhone, bIdxAsker, bIdxDone, bOutDue,
		bIdxCreated, bIdxFinished, bIdxFirst, bOutChat, bDeadAt} {
		w := want[string(name)]
		n := 0
		err := tx.b(name).ForEach(func(k, v []byte) error {
			n++
			wv, ok := w[string(k)]
			if !ok {
				return fmt.Errorf("index %s has stray key %x", name, k)
			}
			if !bytes.Equal([]byte(wv), v) {
				return fmt.Errorf("index %s key %x = %x, want %x", name, k, v, wv)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if n != len(w) {
			return fmt.Errorf("index %s has %d keys, want %d", name, n, len(w))
		}
	}
	return tx.b(bEvents).ForEach(func(k, v []byte) error {
		var e Event
		if err := json.Unmarshal(v, &e); err != nil {
			return err
		}
		if len(k) != 16 || keyID(k) != e.Case || binary.BigEndian.Uint64(k[8:]) != e.ID {
			return fmt.Errorf("event key %x holds case %d event %d", k, e.Case, e.ID)
		}
		if tx.b(bCases).Get(idKey(e.Case)) == nil {
			return fmt.Errorf("event %d for missing case #%d", e.ID, e.Case)
		}
		return nil
	})
}

// mustConsistent checks the indexes on disk and, with no writer running,
// that the in-memory fingerprint index matches the open cases on disk.
func mustConsistent(t testing.TB, s *Store) {
	t.Helper()
	view(t, s, func(tx *Tx) error {
		if err := checkConsistency(tx); err != nil {
			t.Fatalf("inconsistent store: %v", err)
		}
		if err := checkFPIndex(tx); err != nil {
			t.Fatalf("fingerprint index: %v", err)
		}
		return nil
	})
}

func checkFPIndex(tx *Tx) error {
	want := map[int64]uint64{}
	err := tx.ForEachCase(func(c *Case) error {
		if fp := indexedFP(c); fp != 0 {
			want[c.ID] = fp
		}
		return nil
	})
	if err != nil {
		return err
	}
	got := tx.fp.snapshot(tx.tx)
	for id, fp := range want {
		if got[id] != fp {
			return fmt.Errorf("case #%d indexed under %x, want %x", id, got[id], fp)
		}
	}
	for id, fp := range got {
		if want[id] != fp {
			return fmt.Errorf("stray entry: case #%d under %x", id, fp)
		}
	}
	// Every entry must be in all four bands.
	for i := range tx.fp.bands {
		n := 0
		for _, es := range tx.fp.bands[i] {
			n += len(es)
		}
		if n != len(want) {
			return fmt.Errorf("band %d has %d entries, want %d", i, n, len(want))
		}
	}
	return nil
}

// completeDue marks up to limit outbox items due at now as delivered, as
// the engine's worker would (limit 0: all).
func completeDue(tx *Tx, now time.Time, limit int) error {
	due, err := tx.DueOutbox(now, limit)
	if err != nil {
		return err
	}
	for _, it := range due {
		if err := tx.CompleteOutbox(it.ID); err != nil {
			return err
		}
	}
	return nil
}

// checkSources checks every case's source records against its count and
// latest summary, and the message index against the sources, both ways.
func checkSources(tx *Tx) error {
	indexed := map[string]bool{} // seenKey of every message a live source holds
	err := tx.ForEachCase(func(c *Case) error {
		srcs, err := tx.Sources(c.ID)
		if err != nil {
			return err
		}
		if len(srcs) != c.SourceCount {
			return fmt.Errorf("case #%d: SourceCount %d, %d source records", c.ID, c.SourceCount, len(srcs))
		}
		for i, s := range srcs {
			if s.Case != c.ID || s.Seq != uint64(i+1) {
				return fmt.Errorf("case #%d: source %d is case %d seq %d", c.ID, i+1, s.Case, s.Seq)
			}
			if s.Chat != "" && s.Msg != "" && !c.Purged {
				indexed[string(seenKey(MessageKey{Chat: s.Chat, ID: s.Msg}))] = true
			}
		}
		switch {
		case len(srcs) == 0 && c.Latest != nil:
			return fmt.Errorf("case #%d: latest source without sources", c.ID)
		case len(srcs) > 0 && (c.Latest == nil || c.Latest.Seq < 1 || c.Latest.Seq > uint64(len(srcs))):
			return fmt.Errorf("case #%d: latest %+v with %d sources", c.ID, c.Latest, len(srcs))
		case len(srcs) > 0 && *c.Latest != *latestOf(&srcs[c.Latest.Seq-1]):
			return fmt.Errorf("case #%d: latest %+v is not source %d %+v", c.ID, c.Latest, c.Latest.Seq, srcs[c.Latest.Seq-1])
		}
		return nil
	})
	if err != nil {
		return err
	}
	n := 0
	err = tx.b(bIdxMsg).ForEach(func(k, v []byte) error {
		n++
		if len(v) != 16 {
			return fmt.Errorf("message index %x = %x", k, v)
		}
		var s Source
		ok, err := getJSON(tx.b(bSources), v, &s)
		if err != nil || !ok {
			return fmt.Errorf("message index %x points at missing source %x (%v)", k, v, err)
		}
		if string(seenKey(MessageKey{Chat: s.Chat, ID: s.Msg})) != string(k) {
			return fmt.Errorf("message index %x points at source of %s/%s", k, s.Chat, s.Msg)
		}
		if !indexed[string(k)] {
			return fmt.Errorf("message index %x for a purged or missing case", k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n != len(indexed) {
		return fmt.Errorf("message index has %d keys, sources hold %d messages", n, len(indexed))
	}
	return nil
}

// checkSeen checks that every seen record has exactly its expiry entry.
func checkSeen(tx *Tx) error {
	exp := tx.b(bSeenExp)
	n := 0
	err := tx.b(bSeen).ForEach(func(k, v []byte) error {
		n++
		if len(v) != 8 {
			return fmt.Errorf("seen %x has no time", k)
		}
		if exp.Get(append(bytes.Clone(v), k...)) == nil {
			return fmt.Errorf("seen %x has no expiry entry", k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if m := exp.Stats().KeyN; m != n {
		return fmt.Errorf("%d seen records, %d expiry entries", n, m)
	}
	return nil
}
