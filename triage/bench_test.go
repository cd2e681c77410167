package triage

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// BenchmarkAssess runs the hand-written cases (zh simplified and
// traditional, en; requests and chatter) round-robin, one message per op.
func BenchmarkAssess(b *testing.B) {
	cases := loadCases(b)
	msgs := make([]string, len(cases))
	for i, c := range cases {
		msgs[i] = c.text
	}
	e := Default()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = e.Assess(msgs[i%len(msgs)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func FuzzAssess(f *testing.F) {
	for _, c := range loadCases(f) {
		f.Add(c.text)
	}
	f.Add(strings.Repeat("😀", 10000))
	f.Add("\xff\xfe\xfd 求助 \xc3")
	f.Add("#求助#透析#")
	f.Add("+86 138 1234 5678 ●●● 1XX******** 021-1234567")
	f.Add("不需要不需要 no need no need")
	// Build the engine before fuzzing: each fuzz worker is a fresh
	// process, and building the automaton (hundreds of milliseconds,
	// seconds under -race on a loaded machine) inside the first input
	// would be timed as that input's Assess and flake the 2 s bound.
	e := Default()
	f.Fuzz(func(t *testing.T, text string) {
		start := time.Now()
		a := e.Assess(text)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Assess took %v on %d bytes", d, len(text))
		}
		if a.Urgency < None || a.Urgency > Critical {
			t.Errorf("urgency out of range: %d", a.Urgency)
		}
		if a.IsRequest != (a.Urgency != None) {
			t.Errorf("IsRequest=%v but urgency %s", a.IsRequest, a.Urgency)
		}
		if len(a.Signals) > maxSignals || len(a.Phones) > maxPhones || len(a.Places) > maxPlaces || len(a.Durations) > maxDurations {
			t.Errorf("unbounded output: %+v", a)
		}
		for _, s := range append(append(a.Signals, a.Places...), a.Durations...) {
			if !utf8.ValidString(s) {
				t.Errorf("invalid UTF-8 in output: %q", s)
			}
		}
		_ = a.Explain()
		_ = MaskText(text)
		_ = MaskPhone(text)
	})
}

// BenchmarkAssessLexicon shows how the cost per message grows with the
// lexicon: the embedded one plus synthetic place names (a gazetteer) that
// double and quadruple its pattern count.
func BenchmarkAssessLexicon(b *testing.B) {
	cases := loadCases(b)
	base := 0
	for _, p := range Default().pats {
		base += len(p)
	}
	for _, scale := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("x%d", scale), func(b *testing.B) {
			e, err := NewEngine(syntheticGazetteer((scale - 1) * base))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = e.Assess(cases[i%len(cases)].text)
			}
		})
	}
}

// syntheticGazetteer is a lexicon of n made-up place names, half Chinese
// ("青石村", "新安路"), half English ("Kavali Road"), as one place signal.
func syntheticGazetteer(n int) *Lexicon {
	if n == 0 {
		return nil
	}
	const stems = "东南西北中山水河湖江海天地新老大小长安平和华光明德福寿金银石林森木花草田青红白黄"
	const suffixes = "村镇乡路街区坊"
	hanStems, hanSuffixes := []rune(stems), []rune(suffixes)
	syllables := []string{"ka", "ma", "ri", "to", "lu", "pa", "ne", "shi", "go", "dan", "bar", "kot"}
	enSuffixes := []string{"road", "village", "camp", "district"}
	rng := rand.New(rand.NewSource(42))
	seen := map[string]bool{}
	var zh, en []string
	for len(zh)+len(en) < n {
		if rng.Intn(2) == 0 {
			var s []rune
			for k := 2 + rng.Intn(3); k > 0; k-- {
				s = append(s, hanStems[rng.Intn(len(hanStems))])
			}
			name := string(append(s, hanSuffixes[rng.Intn(len(hanSuffixes))]))
			if !seen[name] {
				seen[name] = true
				zh = append(zh, name)
			}
			continue
		}
		var s strings.Builder
		for k := 2 + rng.Intn(3); k > 0; k-- {
			s.WriteString(syllables[rng.Intn(len(syllables))])
		}
		name := s.String() + " " + enSuffixes[rng.Intn(len(enSuffixes))]
		if !seen[name] {
			seen[name] = true
			en = append(en, name)
		}
	}
	return &Lexicon{Source: "synthetic gazetteer", Signals: []Signal{{
		ID: "synthetic_place", Kind: KindPlace, Patterns: map[string][]string{"zh": zh, "en": en},
	}}}
}

// BenchmarkAssessModel is BenchmarkAssess with the decision layer
// consulted on every message (thresholds that give it the say), the cost
// a retrained model that overrides the rules would add.
func BenchmarkAssessModel(b *testing.B) {
	cases := loadCases(b)
	e, err := NewEngine()
	if err != nil {
		b.Fatal(err)
	}
	m := *e.model
	m.Trained = true
	for l := range m.Threshold {
		for h := range nHeads {
			m.Threshold[l][h] = [2]float32{0.5, 0.5}
		}
	}
	e.model = &m
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = e.Assess(cases[i%len(cases)].text)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
