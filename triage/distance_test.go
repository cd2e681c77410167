package triage

import "testing"

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"critcal", "critical", 1}, {"kitten", "sitting", 3}, {"危急", "紧急", 1}, {"abc", "", 3}, {"", "xyz", 3}} {
		if got := EditDistance(tc.a, tc.b); got != tc.d {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
}
