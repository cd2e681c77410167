package triage

import (
	"slices"
	"strings"
	"testing"
)

// gapEngine compiles a tiny lexicon around two gap patterns, so the tests
// see the matcher and not the embedded lexicon's other cues.
func gapEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := compile([]Signal{
		{ID: "woken", Kind: KindNeed, Category: CatMedicalEmergency, Urgency: Critical, Weight: 3,
			Patterns: map[string][]string{"zh": {"叫…不醒", "都不醒"}, "en": {"ran … out of insulin"}}},
		{ID: "not", Kind: KindNegation, Patterns: map[string][]string{"zh": {"不是"}}},
		{ID: "plea", Kind: KindAsk, Weight: 2, Patterns: map[string][]string{"zh": {"求助"}, "en": {"help"}}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestGapPatterns(t *testing.T) {
	e := gapEngine(t)
	cases := []struct {
		text string
		want string // the signal shown for the pair; "" = no pair
	}{
		{"求助，叫不醒", "叫不醒"}, // nothing between
		{"求助，叫了半天都不醒", "叫了半天都不醒"},
		{"求助，叫了他半天都不醒", "叫了他半天都不醒"}, // five characters: the window's edge
		{"求助，叫了他好半天都不醒", ""},        // six: too far (都不醒 alone stands)
		{"求助，叫了 半天 都不醒", "叫了半天都不醒"}, // spaces do not count
		{"求助，叫他，都不醒", ""},           // a clause break between the parts
		{"求助，不醒，叫他", ""},            // wrong order
		{"求助，叫叫了也不醒", "叫了也不醒"},      // the latest left part pairs
		{"求助，叫他。叫了也不醒", "叫了也不醒"},
		{"help, he ran out of insulin", "ran out of insulin"},
		{"help, he ran completely and utterly out of insulin", "ran completely and utterly out of insulin"}, // three words
		{"help, he ran nearly completely and utterly out of insulin", ""},                                   // four
		{"help, the veteran out of insulin", ""},                                                            // a part inside a word
		{"help, he ran, out of insulin", ""},
	}
	for _, c := range cases {
		a := e.Assess(c.text)
		got := ""
		for _, s := range a.Signals {
			if strings.Contains(s, "叫") || strings.Contains(s, "insulin") {
				got = s
			}
		}
		if got != c.want {
			t.Errorf("%q: pair %q, want %q (signals %v)", c.text, got, c.want, a.Signals)
		}
	}
	// The pair is one hit: the literal 都不醒 inside it is shadowed, and
	// the need counts as the critical cue it names.
	a := e.Assess("求助，叫了半天都不醒")
	if slices.Contains(a.Signals, "都不醒") || a.Urgency != Critical {
		t.Errorf("pair did not shadow its inner literal: %v %s", a.Signals, a.Urgency)
	}
	// A negation before the pair cancels it like any cue.
	if a := e.Assess("求助，不是叫了都不醒"); a.Urgency == Critical {
		t.Errorf("negated pair still counts: %v", a.Signals)
	}
}

func TestGapPatternErrors(t *testing.T) {
	for _, p := range []string{"叫……不醒", "…不醒", "叫…", " … ", "叫*…不醒", "叫…*不醒", "a…b…c"} {
		_, err := compile([]Signal{{ID: "x", Kind: KindNeed, Category: CatOther, Patterns: map[string][]string{"zh": {p}}}}, nil)
		lx := &Lexicon{Source: "t", Signals: []Signal{{ID: "x", Kind: KindNeed, Category: CatOther, Patterns: map[string][]string{"zh": {p}}}}}
		if err == nil || lx.validate() == nil {
			t.Errorf("%q: no error (compile %v)", p, err)
		}
	}
}
