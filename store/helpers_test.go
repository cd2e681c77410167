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
		add(bOutDue, dueKey(it.NextAt, it.ID), nil)
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
	for _, name := range [][]byte{bIdxOpen, bIdxStale, bIdxPhone, bIdxAsker, bIdxDone, bOutDue} {
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
