package triage

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// Extraction caps: a plea names a handful of each; beyond that it is a
// pasted list and more entries would only bloat the case card.
const (
	maxPhones    = 6
	maxDurations = 6
	maxPlaces    = 8
)

// isMaskByte reports an ASCII stand-in for a hidden digit (138****5678,
// 1XX********). '●' is handled by the scanner as a three-byte rune.
func isMaskByte(c byte) bool { return c == '*' || c == 'x' }

// phoneSpan is a phone number found in a byte string: [start, end) and the
// digits, with '*' for masked digits.
type phoneSpan struct {
	start, end int
	num        [20]byte
	n          int
	plus       bool
	firstGroup int // digits before the writer's first separator, 0 if none
}

// scanPhone tries to read a phone number starting at b[i] (a digit or '+').
// Digits may be grouped by spaces, dashes or brackets, as people type them
// ("138 1234 5678", "(021) 1234-5678").
func scanPhone(b []byte, i int) (phoneSpan, bool) {
	p := phoneSpan{start: i}
	j := i
	if b[j] == '+' {
		p.plus = true
		j++
	}
	lastDigitEnd := j
	sep := 0 // separator bytes since the last digit; ") " is two
scan:
	for j < len(b) && p.n < len(p.num) {
		c := b[j]
		switch {
		case c >= '0' && c <= '9':
			p.num[p.n] = c
			p.n++
			j++
			lastDigitEnd, sep = j, 0
		case isMaskByte(c) && p.n > 0:
			p.num[p.n] = '*'
			p.n++
			j++
			lastDigitEnd, sep = j, 0
		case c == 0xE2 && j+2 < len(b) && b[j+1] == 0x97 && b[j+2] == 0x8F && p.n > 0: // ●
			p.num[p.n] = '*'
			p.n++
			j += 3
			lastDigitEnd, sep = j, 0
		case (c == ' ' || c == '-' || c == '(' || c == ')') && sep < 2 && p.n < 15:
			if p.firstGroup == 0 {
				p.firstGroup = p.n
			}
			sep++
			j++
		default:
			break scan
		}
	}
	p.end = lastDigitEnd
	// The number must not run on into letters or more digits ("ID 13812345678123").
	if p.end < len(b) {
		r, _ := utf8.DecodeRune(b[p.end:])
		if isWordRune(r) {
			return p, false
		}
	}
	return p, classifyPhone(&p)
}

// classifyPhone keeps mainland mobiles (1[3-9] + 9 digits), landlines with
// an area code (0xx-xxxxxxxx), +86 / 0086 forms and other international
// numbers with a + prefix; it rewrites p.num to the normalised form.
func classifyPhone(p *phoneSpan) bool {
	d := string(p.num[:p.n])
	shown := p.n - strings.Count(d, "*") // digits not masked
	if p.n < 7 {
		return false
	}
	if shown < 4 {
		// Heavily masked numbers still say "a phone was given" when they
		// have a mobile's shape: 1XX********, as data sets publish them.
		if !p.plus && isMobile(d) {
			return p.set(d)
		}
		return false
	}
	if strings.HasPrefix(d, "00") && !p.plus {
		d, p.plus = d[2:], true
	}
	if p.plus {
		if strings.HasPrefix(d, "86") && isMobile(d[2:]) {
			return p.set("+86" + d[2:])
		}
		if len(d) >= 8 && len(d) <= 15 && !strings.Contains(d, "*") {
			return p.set("+" + d)
		}
		return false
	}
	if strings.HasPrefix(d, "86") && len(d) == 13 && isMobile(d[2:]) {
		return p.set(d[2:])
	}
	if isMobile(d) {
		return p.set(d)
	}
	if d[0] == '0' && len(d) >= 10 && len(d) <= 12 && !strings.Contains(d[:4], "*") {
		// Keep the writer's own grouping when there is one: "07700 900123"
		// is a UK mobile, not area code 0770.
		area := p.firstGroup
		if area < 3 || area > 5 {
			area = 4
			if d[1] == '1' || d[1] == '2' {
				area = 3 // 010 Beijing, 02x the big cities
			}
		}
		return p.set(d[:area] + "-" + d[area:])
	}
	return false
}

func isMobile(d string) bool {
	if len(d) != 11 || d[0] != '1' {
		return false
	}
	return d[1] >= '3' && d[1] <= '9' || d[1] == '*'
}

func (p *phoneSpan) set(s string) bool {
	p.n = copy(p.num[:], s)
	return true
}

// extractPhones appends the phone numbers found in normalised text.
func extractPhones(b []byte, out []string) []string {
	for i := 0; i < len(b) && len(out) < maxPhones; i++ {
		c := b[i]
		if !(c >= '0' && c <= '9' || c == '+') {
			continue
		}
		if i > 0 {
			r, _ := utf8.DecodeLastRune(b[:i])
			if isWordRune(r) || r == '+' {
				// inside a longer token; skip to its end
				for i < len(b) && (b[i] >= '0' && b[i] <= '9') {
					i++
				}
				continue
			}
		}
		p, ok := scanPhone(b, i)
		if ok {
			out = appendUnique(out, string(p.num[:p.n]))
		}
		if p.end > i {
			i = p.end - 1
		}
	}
	return out
}

// MaskPhone hides the middle of a phone number for display: 13812345678
// becomes 138****5678, 021-12345678 becomes 021-****5678. Separators in
// the input are dropped except the area-code dash.
func MaskPhone(s string) string {
	var d []byte
	plus := false
	for _, r := range s {
		r, _ = foldRune(r)
		switch {
		case r >= '0' && r <= '9' || r == '*' || r == 'x' || r == '●':
			if r == '●' || r == 'x' {
				r = '*'
			}
			d = append(d, byte(r))
		case r == '+' && len(d) == 0:
			plus = true
		}
	}
	if len(d) < 7 {
		return strings.Repeat("*", len(d))
	}
	prefix := ""
	if plus {
		prefix = "+"
		if len(d) == 13 && string(d[:2]) == "86" {
			prefix, d = "+86 ", d[2:]
		}
	}
	keep := 3
	if !plus && d[0] == '0' && len(d) >= 10 {
		keep = 4
		if d[1] == '1' || d[1] == '2' {
			keep = 3
		}
		return prefix + string(d[:keep]) + "-" + maskMiddle(d[keep:], 0)
	}
	return prefix + maskMiddle(d, keep)
}

// maskMiddle keeps keep leading and 4 trailing digits and stars the rest.
func maskMiddle(d []byte, keep int) string {
	if len(d) <= keep+4 {
		keep = 0
	}
	if len(d) <= 4 {
		return strings.Repeat("*", len(d))
	}
	return string(d[:keep]) + strings.Repeat("*", len(d)-keep-4) + string(d[len(d)-4:])
}

// MaskText masks every phone number in text (keeping its separators) and
// the room or flat number of addresses ("3号楼502室" → "3号楼***室",
// "room 502" → "room ***"), for cards posted to big groups.
func MaskText(text string) string {
	// Scan a folded copy (full-width digits, lower case) with a byte map
	// back to the original, so the original's script and spacing survive.
	orig := []rune(text)
	folded := make([]byte, 0, len(text))
	pos := make([]int, 0, len(text)+1) // folded byte -> rune index in orig
	for i, r := range orig {
		f, c := foldRune(r)
		if c != classKeep {
			f = ' '
		}
		if f == ' ' && r != ' ' && c == classSpace && r != '\t' && r != '\n' {
			f = '~' // emoji etc.: not a phone separator
		}
		n := len(folded)
		folded = utf8.AppendRune(folded, f)
		for k := n; k < len(folded); k++ {
			pos = append(pos, i)
		}
	}
	pos = append(pos, len(orig))
	masked := make([]bool, len(orig))
	inPhone := make([]bool, len(orig))
	for i := 0; i < len(folded); i++ {
		c := folded[i]
		if !(c >= '0' && c <= '9' || c == '+') {
			continue
		}
		if i > 0 {
			r, _ := utf8.DecodeLastRune(folded[:i])
			if isWordRune(r) {
				for i < len(folded) && folded[i] >= '0' && folded[i] <= '9' {
					i++
				}
				continue
			}
		}
		p, ok := scanPhone(folded, i)
		if ok {
			// Star all digits but the first 3 (or the area code) and the last 4.
			var idx []int
			for k := p.start; k < p.end; k++ {
				if folded[k] >= '0' && folded[k] <= '9' {
					idx = append(idx, pos[k])
				}
			}
			keep := 3
			if p.plus && len(idx) == 13 {
				keep = 5
			}
			for k := keep; k < len(idx)-4; k++ {
				masked[idx[k]] = true
			}
			for k := p.start; k < p.end; k++ {
				inPhone[pos[k]] = true
			}
		}
		if p.end > i {
			i = p.end - 1
		}
	}
	room := maskRooms(folded, pos, inPhone)
	var sb strings.Builder
	sb.Grow(len(text))
	for i := 0; i < len(orig); i++ {
		switch {
		case room[i]:
			// A room number becomes a fixed "***" so its length leaks nothing.
			sb.WriteString("***")
			for i+1 < len(orig) && room[i+1] {
				i++
			}
		case masked[i]:
			sb.WriteByte('*')
		default:
			sb.WriteRune(orig[i])
		}
	}
	return sb.String()
}

// roomBefore and roomAfter are the words around a room or flat number.
// A number right before 室/房/户 is a room ("502室"); a number of three or
// more digits after 栋/幢/楼/单元 is one too ("3栋502"); in English one after
// room/flat/apt/unit or "#".
var (
	roomAfter  = []string{"室", "房", "户"}
	roomBefore = []string{"栋", "幢", "单元", "号楼", "楼", "room ", "room", "rm ", "flat ", "apt ", "apt", "unit ", "#", "-"}
)

func maskRooms(folded []byte, pos []int, inPhone []bool) []bool {
	room := make([]bool, len(inPhone))
	for i := 0; i < len(folded); {
		if folded[i] < '0' || folded[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(folded) && folded[j] >= '0' && folded[j] <= '9' {
			j++
		}
		mark := false
		rest := folded[j:]
		for _, w := range roomAfter {
			if bytes.HasPrefix(rest, []byte(w)) {
				mark = true
			}
		}
		if inPhone[pos[i]] {
			i = j
			continue
		}
		if !mark && j-i >= 3 && j-i <= 5 && (j == len(folded) || !isWordByte(folded[j])) {
			head := folded[:i]
			for _, w := range roomBefore {
				if bytes.HasSuffix(head, []byte(w)) && (w != "-" || hasDigitBefore(folded, i-1)) {
					mark = true
					break
				}
			}
		}
		if mark && !(i > 0 && isWordByte(folded[i-1]) && folded[i-1] > '9') {
			for k := i; k < j; k++ {
				room[pos[k]] = true
			}
		}
		i = j
	}
	return room
}

func isWordByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// hasDigitBefore reports a building number before a dash ("3-502").
func hasDigitBefore(b []byte, i int) bool { return i > 0 && b[i-1] >= '0' && b[i-1] <= '9' }
