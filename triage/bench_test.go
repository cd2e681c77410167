package triage

import (
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
	f.Fuzz(func(t *testing.T, text string) {
		start := time.Now()
		a := Assess(text)
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
