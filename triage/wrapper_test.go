package triage

import (
	"slices"
	"testing"
	"unicode/utf8"
)

// wrapperSpansEveryPosition is wrapperSpans without the start table: it
// tries every wrapper at every position. The table must change nothing.
func wrapperSpansEveryPosition(buf []byte) []span {
	var skip []span
	for i := 0; i < len(buf); {
		if c := buf[i]; c >= '0' && c <= '9' || c == '+' {
			j, digits := i, 0
			for j < len(buf) && (buf[j] >= '0' && buf[j] <= '9' || buf[j] == '-' || buf[j] == ' ' || buf[j] == '+') {
				if buf[j] >= '0' && buf[j] <= '9' {
					digits++
				}
				j++
			}
			if digits >= 7 {
				skip = append(skip, span{int32(contactLabel(buf, i)), int32(j)})
			}
			i = max(j, i+1)
			continue
		}
		n := bracketWrapper(buf[i:])
		if n == 0 {
			n = markerClause(buf[i:])
		}
		for _, w := range wrapperWords {
			if n == 0 && len(buf[i:]) >= len(w) && string(buf[i:i+len(w)]) == string(w) {
				n = len(w)
			}
		}
		if n > 0 {
			skip = append(skip, span{int32(i), int32(i + n)})
			i += n
			continue
		}
		_, size := utf8.DecodeRune(buf[i:])
		i += size
	}
	return skip
}

func FuzzWrapperSpans(f *testing.F) {
	for _, s := range []string{
		"(转自业主群)我家老人摔倒了", "【扩散】急转 求扩散 13812345678 转自浦东互助群:救命",
		"please share repost <via group> 来源:微博", "[from a friend] my dad fell", "《转自》", "(", "转",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		buf := []byte(text)
		got, want := wrapperSpans(buf, nil), wrapperSpansEveryPosition(buf)
		if !slices.Equal(got, want) {
			t.Fatalf("%q: spans %v, trying every position gives %v", text, got, want)
		}
	})
}
