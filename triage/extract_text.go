package triage

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// zhNumerals are the characters that can make up a Chinese count before a
// unit: 两周, 三天, 十几天, 半个月, 一个多月.
const zhNumerals = "零一二两三四五六七八九十百千半几多数"

// enNumbers are English count words before a unit ("two weeks", "a few days").
var enNumbers = map[string]bool{
	"a": true, "an": true, "one": true, "two": true, "three": true, "four": true, "five": true,
	"six": true, "seven": true, "eight": true, "nine": true, "ten": true, "eleven": true,
	"twelve": true, "few": true, "several": true, "many": true, "couple": true, "48": true,
}

// zhLackHeads start the Chinese phrase that follows a duration and says
// what has been missing ("两周没透析", "三天未进食").
const zhLackHeads = "没未无不断停缺"

// extractDurations finds numeral + unit spans around duration-kind hits.
func (e *Engine) extractDurations(b []byte, hits []hit, out []string) []string {
	for i := range hits {
		h := &hits[i]
		if h.dropped || e.sigs[h.sig].kind != KindDuration || len(out) >= maxDurations {
			continue
		}
		start := int(h.start)
		j := start
		// Chinese: numeral characters directly before the unit.
		for j > 0 {
			r, size := utf8.DecodeLastRune(b[:j])
			if !(r >= '0' && r <= '9' || r == '.' || strings.ContainsRune(zhNumerals, r)) {
				break
			}
			j -= size
		}
		if j == start {
			// English: "3 days", "two weeks", "a few days".
			k := start
			if k > 0 && b[k-1] == ' ' {
				k--
			}
			w := k
			for w > 0 && isWordByte(b[w-1]) {
				w--
			}
			word := string(b[w:k])
			if w == k || !(enNumbers[word] || isDigits(word)) {
				continue
			}
			j = w
			if word == "few" || word == "couple" {
				if w >= 2 && b[w-1] == ' ' && b[w-2] == 'a' && (w == 2 || b[w-3] == ' ') {
					j = w - 2
				}
			}
		}
		if j == start || strings.Trim(string(b[j:start]), ".") == "" {
			continue
		}
		end := int(h.end)
		// A preceding lack cue joins the phrase ("断药三天").
		for k := range hits {
			o := &hits[k]
			if !o.dropped && int(o.end) == j && e.sigs[o.sig].kind == KindLack && isHanAt(b, int(o.start)) {
				j = int(o.start)
				break
			}
		}
		// And so does a following "没/未 + verb" ("两周没透析").
		if r, _ := utf8.DecodeRune(b[end:]); strings.ContainsRune(zhLackHeads, r) {
			n := 0
			for end < len(b) && n < 4 {
				r, size := utf8.DecodeRune(b[end:])
				if !isHan(r) {
					break
				}
				end += size
				n++
			}
		}
		out = appendUnique(out, string(b[j:end]))
	}
	return out
}

func isHanAt(b []byte, i int) bool {
	r, _ := utf8.DecodeRune(b[i:])
	return isHan(r)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// zhPlaceStops end a place fragment when scanning back from its suffix:
// function words and verbs that sit before addresses ("住在", "家在", "位于").
const zhPlaceStops = "在住于是的到从往去我家了和与及也还就都被把给向对他她它们请求需要急有没出拿呈为让叫说"

// maxPlaceRunes bounds how far back a Chinese place name reaches; a
// one-character suffix (区, 路, 号) reaches less far, since it is more often
// the end of an ordinary word.
const (
	maxPlaceRunes      = 7
	maxPlaceRunesShort = 5
)

// enPlaceStops are words that cannot begin an English place name.
var enPlaceStops = map[string]bool{
	"the": true, "a": true, "an": true, "this": true, "that": true, "our": true, "my": true,
	"in": true, "at": true, "of": true, "on": true, "to": true, "from": true, "near": true,
	"every": true, "each": true, "any": true, "some": true, "same": true, "his": true, "her": true,
	"their": true, "your": true, "and": true, "or": true, "main": true, "is": true, "are": true,
}

// extractPlaces turns address-suffix hits (区, 路, 小区, "district") into
// fragments such as "汉阳区" or "gongabu road", in text order.
func (e *Engine) extractPlaces(b []byte, hits []hit, out []string) []string {
	prevEnd, nameEnd := -1, -1
	// Where each fragment starts and whether it is a bare gazetteer name,
	// so that a suffixed fragment swallows the names inside it ("涿州" in
	// "涿州码头镇").
	var starts [maxPlaces]int
	var named [maxPlaces]bool
	for i := range hits {
		h := &hits[i]
		k := e.sigs[h.sig].kind
		if h.dropped || k != KindPlace && k != KindPlaceName || len(out) >= maxPlaces {
			continue
		}
		start := int(h.start)
		if k == KindPlaceName {
			// Names overlapping the one before are read across a word
			// boundary ("东川" in "浦东川沙"): the first one stands.
			if start < nameEnd {
				continue
			}
			nameEnd = int(h.end)
			// Not a stop for the suffix scan: "浦东川沙镇" is one fragment.
			if n := len(out); !inList(out, b[start:h.end]) {
				out = append(out, string(b[start:h.end]))
				starts[n], named[n] = start, true
			}
			continue
		}
		if isHanAt(b, start) {
			limit := maxPlaceRunes
			if utf8.RuneCount(b[start:h.end]) == 1 {
				limit = maxPlaceRunesShort
			}
			j, n := start, 0
			for j > 0 && j > prevEnd && n < limit {
				r, size := utf8.DecodeLastRune(b[:j])
				if !(isHan(r) || r >= '0' && r <= '9' || r >= 'a' && r <= 'z') || strings.ContainsRune(zhPlaceStops, r) {
					break
				}
				j -= size
				n++
			}
			frag := b[j:h.end]
			if n == 0 || isDate(frag) {
				continue
			}
			prevEnd = int(h.end)
			for len(out) > 0 && named[len(out)-1] && starts[len(out)-1] >= j {
				out = out[:len(out)-1]
			}
			if n := len(out); !inList(out, frag) {
				out = append(out, string(frag))
				starts[n], named[n] = j, false
			}
			continue
		}
		// English: up to two non-stop words before the suffix word.
		j := start
		words := 0
		for words < 2 {
			k := j
			if k > 0 && b[k-1] == ' ' {
				k--
			}
			w := k
			for w > 0 && isWordByte(b[w-1]) {
				w--
			}
			if w == k || enPlaceStops[string(b[w:k])] {
				break
			}
			j = w
			words++
		}
		if words == 0 {
			continue
		}
		if n := len(out); !inList(out, b[j:h.end]) {
			out = append(out, string(b[j:h.end]))
			starts[n], named[n] = j, false
		}
	}
	return out
}

func inList(list []string, b []byte) bool {
	for _, s := range list {
		if s == string(b) { // no allocation: the compiler compares in place
			return true
		}
	}
	return false
}

// Age thresholds for the vulnerable groups named by an age alone.
const (
	elderlyAge = 65
	childAge   = 12
	infantAge  = 1
)

// ageGroup reads the number before an age unit ("80岁", "八十多岁",
// "85-year-old") and returns the vulnerable group it implies, if any.
func ageGroup(b []byte, start int) string {
	j := start
	if j > 0 && (b[j-1] == ' ' || b[j-1] == '-') {
		j--
	}
	k := j
	for k > 0 {
		r, size := utf8.DecodeLastRune(b[:k])
		if !(r >= '0' && r <= '9' || strings.ContainsRune(zhNumerals, r)) {
			break
		}
		k -= size
	}
	if k == j {
		return ""
	}
	n, ok := parseCount(string(b[k:j]))
	switch {
	case !ok:
		return ""
	case n >= elderlyAge && n < 130:
		return "elderly"
	case n <= infantAge:
		return "infant"
	case n <= childAge:
		return "child"
	}
	return ""
}

// parseCount reads an ASCII number or a Chinese numeral up to 99 ("八十二",
// "七十多", "十"); it reports false for anything else.
func parseCount(s string) (int, bool) {
	if isDigits(s) {
		if len(s) > 3 {
			return 0, false
		}
		n := 0
		for i := 0; i < len(s); i++ {
			n = n*10 + int(s[i]-'0')
		}
		return n, true
	}
	digit := func(r rune) int { return strings.IndexRune("零一二三四五六七八九", r) / 3 }
	n, cur, seen := 0, -1, false
	for _, r := range s {
		switch {
		case r == '两':
			cur = 2
		case r == '十':
			if cur < 0 {
				cur = 1
			}
			n += cur * 10
			cur = -1
		case r == '多' || r == '几':
			// "七十多" is at least seventy: ignore the vague tail.
		case strings.ContainsRune("零一二三四五六七八九", r):
			cur = digit(r)
		default:
			return 0, false
		}
		seen = true
	}
	if cur > 0 {
		n += cur
	}
	return n, seen
}

// isDate reports a day of month written like an address number: "2月4号".
func isDate(frag []byte) bool {
	i := bytes.IndexRune(frag, '月')
	return i > 0 && bytes.HasSuffix(frag, []byte("号")) && isDigits(string(frag[i+len("月"):len(frag)-len("号")]))
}
