package triage

import (
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

//go:generate go run ./internal/gen/s2t -out s2t_table.go

// s2tTables are the Simplified→Traditional tables, built on first use.
type s2tTables struct {
	phrases map[string]string
	first   map[rune]bool // runes that start a phrase
	maxLen  int           // longest phrase in runes
}

var s2t = sync.OnceValue(func() *s2tTables {
	t := &s2tTables{phrases: map[string]string{}, first: map[rune]bool{}}
	for line := range strings.Lines(s2tPhrases) {
		k, v, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		if !ok {
			continue
		}
		t.phrases[k] = v
		r, _ := utf8.DecodeRuneInString(k)
		t.first[r] = true
		t.maxLen = max(t.maxLen, utf8.RuneCountInString(k))
	}
	return t
})

// toTraditionalRune converts one Simplified character; other runes are
// returned unchanged.
func toTraditionalRune(r rune) rune {
	if r < 0x3400 {
		return r
	}
	i := sort.Search(len(s2tPairs), func(i int) bool { return s2tPairs[i][0] >= r })
	if i < len(s2tPairs) && s2tPairs[i][0] == r {
		return s2tPairs[i][1]
	}
	return r
}

// ToTraditional converts Simplified Chinese to Traditional, as Taiwan and
// Hong Kong readers write it (OpenCC's s2tw: 头发 → 頭髮, 一只 → 一隻,
// 为 → 為), for the bot's replies to a Traditional writer. Text that is
// already Traditional, and anything that is not Chinese, is unchanged.
func ToTraditional(s string) string {
	t := s2t()
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	var ends [32]int // byte offsets after each of the next runes
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r >= 0x3400 && t.first[r] {
			// The longest phrase starting here, by byte offsets into s so
			// that looking it up allocates nothing.
			n, j := 0, i
			for n < t.maxLen && n < len(ends) && j < len(s) {
				_, w := utf8.DecodeRuneInString(s[j:])
				j += w
				ends[n] = j
				n++
			}
			matched := false
			for ; n >= 2; n-- {
				if v, ok := t.phrases[s[i:ends[n-1]]]; ok {
					b.WriteString(v)
					i = ends[n-1]
					matched = true
					break
				}
			}
			if matched {
				continue
			}
		}
		b.WriteRune(toTraditionalRune(r))
		i += size
	}
	return b.String()
}

// scriptMarks holds, for each character of the dense Han range, +1 when
// only Traditional text uses it (it has a Simplified form) and -1 when
// only Simplified text does (it has a different Traditional form).
var scriptMarks = sync.OnceValue(func() []int8 {
	m := make([]int8, hanHi-hanLo+1)
	for _, p := range s2tPairs {
		if p[0] >= hanLo && p[0] <= hanHi {
			m[p[0]-hanLo] = -1
		}
	}
	for _, p := range t2sPairs {
		if p[0] >= hanLo && p[0] <= hanHi {
			m[p[0]-hanLo] = 1
		}
	}
	return m
})

// IsTraditional reports whether text is written in Traditional Chinese:
// more of its characters exist only in Traditional (頭, 電, 藥) than only in
// Simplified (头, 电, 药). Text with neither (English, 你好) is not.
func IsTraditional(text string) bool {
	marks := scriptMarks()
	score, n := 0, 0
	for _, r := range text {
		if r >= hanLo && r <= hanHi {
			score += int(marks[r-hanLo])
		}
		if n++; n > MaxRunes {
			break
		}
	}
	return score > 0
}
