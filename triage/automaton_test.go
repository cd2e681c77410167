package triage

import (
	"math/rand"
	"slices"
	"strings"
	"testing"
)

type acMatch struct{ end, n, pat int64 }

// naiveMatches is the specification of automaton.Walk: every occurrence,
// by end position, longest first.
func naiveMatches(patterns []string, text string) []acMatch {
	var out []acMatch
	for end := 0; end < len(text); end++ {
		var here []acMatch
		for p, s := range patterns {
			if start := end + 1 - len(s); start >= 0 && text[start:end+1] == s {
				here = append(here, acMatch{int64(end), int64(len(s)), int64(p)})
			}
		}
		slices.SortFunc(here, func(a, b acMatch) int { return int(b.n - a.n) })
		out = append(out, here...)
	}
	return out
}

func walkAll(a *automaton, text string, limit int) []acMatch {
	var out []acMatch
	a.Walk([]byte(text), func(end, n, pat int64) bool {
		out = append(out, acMatch{end, n, pat})
		return len(out) < limit
	})
	return out
}

func TestAutomatonMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	alphabet := []string{"a", "b", "c", " ", "透", "析", "求", "é", "\x00", "𠀀", "●"}
	// Text also holds runes no pattern has, some sharing leading bytes
	// with pattern runes (逃 and 透 both start E9 80).
	textAlphabet := append([]string{"逃", "x", "ê", "𠀁"}, alphabet...)
	word := func(max int, from []string) string {
		var b strings.Builder
		for n := 1 + rng.Intn(max); n > 0; n-- {
			b.WriteString(from[rng.Intn(len(from))])
		}
		return b.String()
	}
	for round := 0; round < 300; round++ {
		seen := map[string]bool{}
		var patterns []string
		for n := rng.Intn(40); n >= 0; n-- {
			if p := word(6, alphabet); !seen[p] {
				seen[p] = true
				patterns = append(patterns, p)
			}
		}
		a := buildAutomaton(patterns)
		for k := 0; k < 20; k++ {
			text := word(60, textAlphabet) + "xyz" + word(20, textAlphabet)
			want := naiveMatches(patterns, text)
			if got := walkAll(a, text, 1<<30); !slices.Equal(got, want) {
				t.Fatalf("patterns %q text %q:\n got %v\nwant %v", patterns, text, got, want)
			}
			if len(want) > 2 {
				if got := walkAll(a, text, 2); !slices.Equal(got, want[:2]) {
					t.Fatalf("stop after 2: got %v want %v", got, want[:2])
				}
			}
		}
	}
}

func TestAutomatonEmpty(t *testing.T) {
	a := buildAutomaton(nil)
	if got := walkAll(a, "anything \xff", 10); len(got) != 0 {
		t.Fatalf("got %v", got)
	}
}
