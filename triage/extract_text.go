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
		if h.dropped || e.sigs[h.sig].k != kDuration || len(out) >= maxDurations {
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
			if !o.dropped && int(o.end) == j && e.sigs[o.sig].k == kLack && isHanAt(b, int(o.start)) {
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
// function words and verbs that sit before addresses ("住在", "家在",
// "位于", "但社区", "跟社区"), and 日 of a date ("2月4日医院").
const zhPlaceStops = "在住于是的到从往去我家了和与及也还就都被把给向对他她它们请求需要急有没出拿呈为让叫说日送找催问但等由仅现返跟过才个靠"

// maxPlaceRunes bounds how far back a Chinese place name reaches; a
// one-character suffix (区, 路, 号) reaches less far, since it is more often
// the end of an ordinary word. A name that runs on past the bound has no
// clear start and is not taken: "疑似感染五麒里社区" is no address.
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

// boundsPlace reports the cue kinds a place fragment does not reach back
// past: a name does not swallow "联系", "9岁" or "我妈", nor a suffix that
// was no place of its own ("街道社区"). Needs and context are left out,
// since their words occur inside names (水果湖, 火神山).
func boundsPlace(k kindID) bool {
	switch k {
	case kNeed, kContext, kIgnore, kPlaceName:
		return false
	}
	return true
}

// placeSpan is one place being built: a byte range of the normalised text.
type placeSpan struct {
	start, end int
	spaced     bool // joined across a space, which the output leaves out
}

// extractPlaces turns address-suffix hits (区, 路, 小区, "district") and
// gazetteer names into places, in text order. Fragments written one after
// the other make one place ("武汉市汉阳区动物园路77号1单元"); a fragment
// reaches back only to a clear start (the text's start, punctuation, a
// function word, another cue) and a suffix without a name before it is
// not a place ("联系社区", "几所医院").
func (e *Engine) extractPlaces(b []byte, hits []hit, out []string) []string {
	var spans [maxPlaces]placeSpan
	n := 0
	nameEnd := -1
	// join reports whether a fragment starting at j continues the last
	// place, directly or across one space.
	join := func(j int) bool {
		if n == 0 {
			return false
		}
		end := spans[n-1].end
		return j == end || j == end+1 && b[end] == ' '
	}
	add := func(j, end int) {
		if join(j) {
			sp := &spans[n-1]
			sp.spaced = sp.spaced || j != sp.end
			sp.end = end
		} else if n < maxPlaces {
			spans[n] = placeSpan{start: j, end: end}
			n++
		}
	}
	for i := range hits {
		h := &hits[i]
		k := e.sigs[h.sig].k
		if h.dropped || k != kPlace && k != kPlaceName {
			continue
		}
		start := int(h.start)
		if n > 0 && start < spans[n-1].end {
			continue // inside the place before ("东川" in "浦东川沙")
		}
		if k == kPlaceName {
			if start < nameEnd {
				continue
			}
			nameEnd = int(h.end)
			add(start, int(h.end))
			continue
		}
		// The nearest cue before the suffix: the fragment stops there.
		bound := 0
		for m := i - 1; m >= 0 && int(hits[m].end)+4*maxPlaceRunes > start; m-- {
			o := &hits[m]
			// A one-character cue is too often part of a name (望 in 望京).
			if !o.dropped && int(o.end) <= start && boundsPlace(e.sigs[o.sig].k) &&
				(o.end-o.start > 3 || e.sigs[o.sig].k == kAge || e.sigs[o.sig].k == kPlace) {
				bound = int(o.end)
				break
			}
		}
		afterPlace := false // the bound is the end of the place before
		if n > 0 && spans[n-1].end <= start && spans[n-1].end >= bound {
			bound, afterPlace = spans[n-1].end, true
		}
		if isHanAt(b, start) {
			limit := maxPlaceRunes
			if utf8.RuneCount(b[start:h.end]) == 1 {
				limit = maxPlaceRunesShort
			}
			j, runes, clear := start, 0, false
			road := roadSuffix(b[start:h.end])
			digits, digitsInside := false, false // a digit run, and one not at the end
			for {
				if j <= bound {
					clear = true
					break
				}
				r, size := utf8.DecodeLastRune(b[:j])
				if !(isHan(r) || r >= '0' && r <= '9' || r >= 'a' && r <= 'z') {
					clear = true
					break
				}
				// A road's name is at least two characters, and common
				// ones hold a function character (和平路, 国和路, 共和新路):
				// before a road suffix a stop character is part of the
				// name until the name has two, or when only it stands
				// between the name and the place before (东城区和平里北街).
				if strings.ContainsRune(zhPlaceStops, r) && !(road && isHan(r) && (runes < 2 || afterPlace && j-size == bound)) {
					clear = true
					break
				}
				if runes == limit {
					break
				}
				if r >= '0' && r <= '9' {
					if runes > 0 && !digits {
						digitsInside = true // "9岁3人4号": a count, not a number
					}
					digits = true
				} else {
					digits = false
				}
				j -= size
				runes++
			}
			frag := b[j:h.end]
			if !clear || digitsInside || isDate(frag) || runes == 0 && !join(j) {
				continue
			}
			add(j, int(h.end))
			continue
		}
		// English: one word before the suffix, two when the first is a
		// house number ("14 mill lane"; not "hit sindhupalchok district").
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
			if w == k || enPlaceStops[string(b[w:k])] || words == 1 && !isDigits(string(b[w:k])) {
				break
			}
			j = w
			words++
		}
		end := int(h.end)
		if k := numberAfterPlace(b, end); k > end && !e.measureAt(hits[i+1:], k+1) {
			end = k // "sector 7", "ward no. 5", "block c"
		} else if words == 0 {
			continue
		}
		if n < maxPlaces {
			spans[n] = placeSpan{start: j, end: end}
			n++
		}
	}
	for _, sp := range spans[:n] {
		frag := b[sp.start:sp.end]
		if inList(out, frag) || len(out) >= maxPlaces {
			continue
		}
		if sp.spaced {
			out = append(out, strings.ReplaceAll(string(frag), " ", ""))
		} else {
			out = append(out, string(frag))
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

// ageAfter reads an age written after a person word without a unit:
// "my nan, 91,", "patient (76)", "neighbour is 86 and", "mum 72 fell".
// At most one short linking word may stand between them. Only an
// elderly age counts: a bare small number after a person word is too
// often something else ("son, 10 mins away") to read a child in it, and
// a measure after the number ("mum 90 minutes away") makes it an amount.
func (e *Engine) ageAfter(b []byte, hits []hit, end int) bool {
	if !digitNear(b, end) {
		return false // the common case, decided without reading words
	}
	j := skipAgeSep(b, end)
	if k := j; k < len(b) && b[k] >= 'a' && b[k] <= 'z' {
		for k < len(b) && b[k] >= 'a' && b[k] <= 'z' {
			k++
		}
		if k-j > 4 || k >= len(b) || b[k] != ' ' {
			return false
		}
		j = skipAgeSep(b, k)
	}
	if j+2 > len(b) || !isDigit(b[j]) || !isDigit(b[j+1]) {
		return false
	}
	k := j + 2
	if k < len(b) {
		switch c := b[k]; {
		case c == ' ':
			if e.measureAt(hits, k+1) {
				return false
			}
		case c == '.':
			if k+1 < len(b) && isDigit(b[k+1]) {
				return false // a decimal: 39.5
			}
		case c != ',' && c != ')' && c != '!' && c != '?' && c != ';':
			return false
		}
	}
	return int(b[j]-'0')*10+int(b[j+1]-'0') >= elderlyAge
}

// digitNear reports whether a digit follows within the reach of ageAfter.
func digitNear(b []byte, j int) bool {
	for lim := min(len(b), j+9); j < lim; j++ {
		if isDigit(b[j]) {
			return true
		}
	}
	return false
}

func skipAgeSep(b []byte, j int) int {
	for j < len(b) && (b[j] == ' ' || b[j] == ',' || b[j] == '(') {
		j++
	}
	return j
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

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

// maxCaseRestore bounds the search for an English place's original
// spelling; chat messages are far shorter.
const maxCaseRestore = 4096

// restorePlaceCase gives English places the capitals they were written
// with ("14 Mill Lane", not the normalised "14 mill lane"): a volunteer
// reads them on the card. Places that are not plain ASCII, or not found
// as written, stay as normalised.
func restorePlaceCase(text string, places []string) {
	if len(text) > maxCaseRestore {
		return
	}
	for i, p := range places {
		if !isASCIIWithLetter(p) {
			continue
		}
		for j := 0; j+len(p) <= len(text); j++ {
			if equalFoldASCII(text[j:j+len(p)], p) {
				places[i] = text[j : j+len(p)]
				break
			}
		}
	}
}

func isASCIIWithLetter(s string) bool {
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return false
		}
		letter = letter || c >= 'a' && c <= 'z'
	}
	return letter
}

// equalFoldASCII compares s (any case) with lower, already lower-case ASCII.
func equalFoldASCII(s, lower string) bool {
	for i := 0; i < len(lower); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// numberAfterPlace returns where a number naming a place of that type ends
// ("ward 5", "ward no. 5", "block c"), or i when none follows.
func numberAfterPlace(b []byte, i int) int {
	j := i
	if j >= len(b) || b[j] != ' ' {
		return i
	}
	j++
	if bytes.HasPrefix(b[j:], []byte("no. ")) {
		j += 4
	} else if bytes.HasPrefix(b[j:], []byte("no ")) {
		j += 3
	}
	k := j
	for k < len(b) && isDigit(b[k]) {
		k++
	}
	if k == j && k < len(b) && b[k] >= 'a' && b[k] <= 'z' {
		k++ // one letter: "block c"
	}
	if k == j || k-j > 4 {
		return i
	}
	if k < len(b) && isWordByte(b[k]) {
		return i
	}
	return k
}

// measureAt reports whether a duration or an age starts at byte j: the
// number before it is an amount ("school 5 minutes away", "camp 2 days"),
// not the number of a place.
func (e *Engine) measureAt(hits []hit, j int) bool {
	for _, h := range hits { // in order of their ends
		if int(h.end) > j+64 {
			break
		}
		if int(h.start) == j {
			if k := e.sigs[h.sig].k; k == kDuration || k == kAge {
				return true
			}
		}
	}
	return false
}

// roadSuffix reports a suffix that ends a road's name (路, 街, 道, 巷,
// 弄, 大道), whose names are rarely one character.
func roadSuffix(suffix []byte) bool {
	switch string(suffix) {
	case "路", "街", "道", "大道", "巷", "弄", "大街":
		return true
	}
	return false
}

// keepStreetNames drops a not-a-place word that begins with a place
// suffix when a road name runs on from it: 区长 in 普陀区长风路 is 区 and
// the start of 长风路, not the district head. Without this the word
// would cancel the suffix inside it and cut the road's name to 风路.
func (e *Engine) keepStreetNames(b []byte, hits []hit) {
	for i := range hits {
		h := &hits[i]
		if e.sigs[h.sig].k != kNotPlace {
			continue
		}
		suffixAtStart := false
		for j := range hits {
			if q := &hits[j]; q.start == h.start && q.end < h.end && e.sigs[q.sig].k == kPlace {
				suffixAtStart = true
			}
		}
		if !suffixAtStart {
			continue
		}
		for j := range hits {
			p := &hits[j]
			if e.sigs[p.sig].k != kPlace || p.start <= h.end || p.start > h.end+3*maxPlaceRunesShort {
				continue
			}
			if roadSuffix(b[p.start:p.end]) && nameRun(b[h.end:p.start]) {
				h.dropped, h.inert = true, true
				break
			}
		}
	}
}

// nameRun reports Han characters that can make up a name (no stop
// characters, no punctuation).
func nameRun(b []byte) bool {
	for _, r := range string(b) {
		if !isHan(r) || strings.ContainsRune(zhPlaceStops, r) {
			return false
		}
	}
	return true
}
