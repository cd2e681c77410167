package store

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestOnCommitTellsTouchedCasesOnlyAfterCommit(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	var mu sync.Mutex
	var got [][]int64
	s.OnCommit(func(ids []int64) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ids)
	})
	now := time.Date(2026, 4, 10, 9, 0, 0, 0, time.UTC)
	var a, b Case
	if err := s.Update(ctx, func(tx *Tx) error {
		a = Case{Text: "need insulin", Status: StatusNew, Created: now, Updated: now}
		b = Case{Text: "need food", Status: StatusNew, Created: now, Updated: now}
		if err := tx.CreateCase(&a); err != nil {
			return err
		}
		return tx.CreateCase(&b)
	}); err != nil {
		t.Fatal(err)
	}
	// A rolled-back write tells nothing.
	boom := errors.New("boom")
	if err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.AppendEvent(&Event{Case: a.ID, Kind: "note"}); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("rollback: %v", err)
	}
	// An event alone touches its case; team events (case 0) touch none.
	if err := s.Batch(ctx, func(tx *Tx) error {
		if err := tx.AppendEvent(&Event{Case: 0, Kind: "grant"}); err != nil {
			return err
		}
		return tx.AppendEvent(&Event{Case: b.ID, Kind: "note"})
	}); err != nil {
		t.Fatal(err)
	}
	// A write touching no case tells nothing.
	if err := s.Update(ctx, func(tx *Tx) error { return tx.PutState("k", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := [][]int64{{a.ID, b.ID}, {b.ID}}
	if len(got) != len(want) || !slices.Equal(got[0], want[0]) || !slices.Equal(got[1], want[1]) {
		t.Fatalf("hook calls %v, want %v", got, want)
	}
}
