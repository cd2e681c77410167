package store

import (
	"context"
	"slices"
	"testing"
)

func TestForEachStateKeepsToItsPrefix(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ctx := context.Background()
	for _, k := range []string{"conv:b", "conv:a", "conf", "conv", "convx:1", "d"} {
		if err := s.PutState(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	if err := s.View(ctx, func(tx *Tx) error {
		return tx.ForEachState("conv:", func(k string, v []byte) error {
			if string(v) != k {
				t.Errorf("%s holds %q", k, v)
			}
			got = append(got, k)
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"conv:a", "conv:b"}; !slices.Equal(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
}
