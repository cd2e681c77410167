package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestGroupCommitsEveryWriteOnce(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ctx := context.Background()
	err := s.Group(ctx, func(ctx context.Context) error {
		for i := range 10 {
			if err := s.PutState(ctx, fmt.Sprint("k", i), []byte{byte(i)}); err != nil {
				return err
			}
			// Reads inside the group see its writes.
			v, err := s.GetState(ctx, fmt.Sprint("k", i))
			if err != nil || len(v) != 1 || v[0] != byte(i) {
				return fmt.Errorf("read own write k%d: %v %v", i, v, err)
			}
			if err := s.Batch(ctx, func(tx *Tx) error { return tx.PutState(fmt.Sprint("b", i), []byte{1}) }); err != nil {
				return err
			}
		}
		errs, err := s.UpdateBatch(ctx, []func(*Tx) error{func(tx *Tx) error { return tx.PutState("ub", []byte{1}) }})
		if err != nil || errs[0] != nil {
			return fmt.Errorf("update batch in group: %v %v", errs, err)
		}
		// Not visible outside the group before it commits.
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"k0", "k9", "b5", "ub"} {
		if v, err := s.GetState(ctx, k); err != nil || v == nil {
			t.Errorf("%s after the group: %v %v", k, v, err)
		}
	}
}

func TestGroupFailedWriteRollsBackEverything(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ctx := context.Background()
	boom := errors.New("boom")
	var later error
	err := s.Group(ctx, func(ctx context.Context) error {
		if err := s.PutState(ctx, "before", []byte{1}); err != nil {
			return err
		}
		_ = s.Update(ctx, func(tx *Tx) error {
			if err := tx.PutState("half", []byte{1}); err != nil {
				return err
			}
			return boom
		})
		later = s.PutState(ctx, "after", []byte{1}) // the group is poisoned
		return nil                                  // a caller that ignores the error still gets the rollback
	})
	if !errors.Is(err, ErrGroupFailed) || !errors.Is(err, boom) {
		t.Fatalf("err = %v, want ErrGroupFailed wrapping boom", err)
	}
	if !errors.Is(later, boom) {
		t.Errorf("write after the failure: %v, want it refused", later)
	}
	for _, k := range []string{"before", "half", "after"} {
		if v, _ := s.GetState(ctx, k); v != nil {
			t.Errorf("%s survived a failed group", k)
		}
	}
	// The context kept after the group takes the normal path.
	var kept context.Context
	if err := s.Group(ctx, func(ctx context.Context) error { kept = ctx; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.PutState(kept, "late", []byte{1}); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.GetState(ctx, "late"); v == nil {
		t.Error("write with a context kept after its group was lost")
	}
}

func TestGroupReturnsFnError(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ctx := context.Background()
	stop := errors.New("stop")
	err := s.Group(ctx, func(ctx context.Context) error {
		if err := s.PutState(ctx, "x", []byte{1}); err != nil {
			return err
		}
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v", err)
	}
	if v, _ := s.GetState(ctx, "x"); v != nil {
		t.Error("write kept after fn failed")
	}
}
