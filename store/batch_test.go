package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/triage"
)

// txid is the id of the last committed transaction.
func txid(t *testing.T, s *Store) int {
	var id int
	view(t, s, func(tx *Tx) error { id = tx.tx.ID(); return nil })
	return id
}

func TestUpdateBatchIsolatesFailures(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	errBad := errors.New("bad message")
	runs := make([]int, 10)
	var fns []func(*Tx) error
	for i := range 10 {
		fns = append(fns, func(tx *Tx) error {
			runs[i]++
			if err := tx.PutState(fmt.Sprint("k", i), []byte("v")); err != nil {
				return err
			}
			// Each function sees what the ones before it wrote, except
			// what a failed one wrote.
			prev, _ := tx.GetState(fmt.Sprint("k", i-1))
			if want := i > 0 && i != 4 && i != 8; (prev != nil) != want {
				return fmt.Errorf("function %d sees k%d = %q", i, i-1, prev)
			}
			if i == 3 || i == 7 {
				return errBad
			}
			return nil
		})
	}
	before := txid(t, s)
	errs, err := s.UpdateBatch(context.Background(), fns)
	if err != nil {
		t.Fatal(err)
	}
	if got := txid(t, s) - before; got != 1 {
		t.Errorf("%d commits, want 1", got)
	}
	for i, e := range errs {
		if (i == 3 || i == 7) != errors.Is(e, errBad) || (e != nil && !errors.Is(e, errBad)) {
			t.Errorf("errs[%d] = %v", i, e)
		}
	}
	view(t, s, func(tx *Tx) error {
		for i := range 10 {
			v, _ := tx.GetState(fmt.Sprint("k", i))
			if (v != nil) != (i != 3 && i != 7) {
				t.Errorf("k%d = %q after the batch", i, v)
			}
		}
		return nil
	})
	t.Logf("runs per function: %v", runs)
	if runs[3] != 1 || runs[7] != 1 {
		t.Errorf("a failed function ran again: %v", runs)
	}
}

func TestUpdateBatchWholeFailure(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errs, err := s.UpdateBatch(ctx, []func(*Tx) error{func(tx *Tx) error { return tx.PutState("a", []byte("1")) }})
	if !errors.Is(err, context.Canceled) || !errors.Is(errs[0], context.Canceled) {
		t.Errorf("UpdateBatch(cancelled) = %v, %v", errs, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	errs, err = s.UpdateBatch(context.Background(), []func(*Tx) error{func(tx *Tx) error { return nil }})
	if !errors.Is(err, ErrClosed) || !errors.Is(errs[0], ErrClosed) {
		t.Errorf("UpdateBatch(closed) = %v, %v", errs, err)
	}
}

// TestIngestBatch records a page of messages in one commit: chatter,
// pleas, a repost of a plea in the same page, a redelivery and a message
// without an id, which fails alone.
func TestIngestBatch(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ctx := context.Background()
	reqs := []IngestRequest{
		plea("tg:-1", "1", "tg:a", "dialysis missed", "111", 0xaaaa, triage.Critical),
		plea("tg:-1", "2", "tg:b", "need food", "222", 0x5555_0000_0000_0000, triage.Normal),
		plea("tg:-1", "", "tg:c", "broken", "333", 0x1, triage.High), // no message id
		plea("tg:-2", "9", "tg:d", "repost: dialysis missed", "111", 0xaaab, triage.Critical),
		plea("tg:-1", "1", "tg:a", "dialysis missed", "111", 0xaaaa, triage.Critical), // redelivered
	}
	for i := range reqs {
		reqs[i].At = t0.Add(time.Duration(i) * time.Second)
		reqs[i].Alerts = func(c *Case, merged bool) []OutboxItem {
			return []OutboxItem{{Chat: "tg:coord", Kind: "alert", DedupeKey: fmt.Sprintf("alert:%d:%s", c.ID, c.Urgency)}}
		}
	}
	before := txid(t, s)
	res, errs, err := s.IngestBatch(ctx, reqs)
	if err != nil {
		t.Fatal(err)
	}
	if got := txid(t, s) - before; got != 1 {
		t.Errorf("%d commits, want 1", got)
	}
	want := []struct {
		caseID    int64
		merged    bool
		duplicate bool
		failed    bool
		enqueued  int
	}{
		{1, false, false, false, 1},
		{2, false, false, false, 1},
		{0, false, false, true, 0},
		{1, true, false, false, 0}, // same urgency: the alert's dedupe key is used
		{0, false, true, false, 0},
	}
	for i, w := range want {
		var id int64
		if res[i].Case != nil {
			id = res[i].Case.ID
		}
		if id != w.caseID || res[i].Merged != w.merged || res[i].Duplicate != w.duplicate || (errs[i] != nil) != w.failed || res[i].Enqueued != w.enqueued {
			t.Errorf("message %d: case #%d merged %v dup %v err %v enqueued %d; want %+v", i, id, res[i].Merged, res[i].Duplicate, errs[i], res[i].Enqueued, w)
		}
	}
	mustConsistent(t, s)
	view(t, s, func(tx *Tx) error {
		if n := tx.b(bCases).Stats().KeyN; n != 2 {
			t.Errorf("%d cases, want 2 (the failed message's case rolled back)", n)
		}
		if n, _ := tx.PendingOutbox(); n != 2 {
			t.Errorf("%d outbox items, want 2", n)
		}
		return nil
	})
}
