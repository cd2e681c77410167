package triage

import (
	"math/rand"
	"testing"
)

// The SWAR fast path of simhash.sum must agree with the wide counters.
func TestSumLanesMatchesWide(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for n := 1; n < 255; n++ {
		var a, b simhash
		for i := 0; i < n; i++ {
			h := r.Uint64()
			a.add(h)
			b.add(h)
		}
		b.pending = -1 // force the spill path
		if got, want := a.sumLanes(), b.sum(); got != want {
			t.Fatalf("n=%d: lanes %016x, wide %016x", n, got, want)
		}
	}
}
