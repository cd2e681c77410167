package triage

import (
	"fmt"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// PhoneRegion says how a phone number written without a country code is
// read. Most shapes are unambiguous (a mainland mobile has 11 digits and
// starts with 1); the region decides the rest: "9123 4567" is a Hong Kong
// mobile under HK and an unknown number under CN, "0912 345 678" is a
// Taiwan mobile under TW and a Yulin landline under CN.
type PhoneRegion string

// Phone regions. CN is the default.
const (
	RegionCN PhoneRegion = "CN" // mainland China
	RegionHK PhoneRegion = "HK" // Hong Kong: bare 8-digit numbers are +852
	RegionMO PhoneRegion = "MO" // Macau: bare 6xxxxxxx and 28xxxxxx are +853
	RegionTW PhoneRegion = "TW" // Taiwan: 09xx-xxx-xxx and 0x landlines are +886
)

// phoneRegions is the index stored by Engine (0 must be the default).
var phoneRegions = [...]PhoneRegion{RegionCN, RegionHK, RegionMO, RegionTW}

// ParsePhoneRegion reads a region code ("CN", "hk", "TW"…); the empty
// string is the default, CN.
func ParsePhoneRegion(s string) (PhoneRegion, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return RegionCN, nil
	}
	for _, r := range phoneRegions {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown phone region %q (want CN, HK, MO or TW)", s)
}

func regionIndex(r PhoneRegion) uint32 {
	for i, x := range phoneRegions {
		if x == r {
			return uint32(i)
		}
	}
	return 0
}

// phoneRegionSetting is an Engine's phone region. It is atomic so that
// setting it never races with Assess on other goroutines.
type phoneRegionSetting struct{ v atomic.Uint32 }

// SetPhoneRegion sets how the engine reads bare phone numbers in
// Assessment.Phones (see PhoneRegion). An unknown region is CN. Safe to
// call while the engine is in use.
func (e *Engine) SetPhoneRegion(r PhoneRegion) { e.phoneRegion.v.Store(regionIndex(r)) }

// PhoneRegion returns the engine's phone region.
func (e *Engine) PhoneRegion() PhoneRegion { return phoneRegions[e.phoneRegion.v.Load()] }

// Scanner limits: the longest digit string kept (a 19-digit bank card with
// slack) and the most groups the writer may split it into.
const (
	maxRunDigits = 24
	maxRunGroups = 12
	maxRunSep    = 3 // separator bytes between two groups: ") - " is too many
)

// numRun is a run of digits as people type them: groups of digits split by
// spaces, dashes, dots or brackets ("(021) 1234-5678", "138.1234.5678"),
// full-width or ASCII, Chinese numerals used as digits (一三八, 幺 for 1),
// and mask marks standing for hidden digits (138****5678, 1XX…, ●●●).
type numRun struct {
	start, end int // bytes of b: the first digit (or '+') to the last digit
	plus       bool
	n          int                 // digits read
	d          [maxRunDigits]byte  // '0'-'9', or '*' for a mask mark
	at         [maxRunDigits]int32 // byte offset of each digit in b
	w          [maxRunDigits]uint8 // its width in bytes
	han        int                 // digits written as Chinese numerals
	grp        [maxRunGroups]uint8 // digits per group, in order
	ng         int
	overrun    bool // the digits go on past maxRunDigits (or maxRunGroups)
}

// zhDigit reads a Chinese numeral used as a digit at b[i:], as people
// spell out phone numbers (一三八, 幺三八, 〇/零 for 0). 十, 百 and 两 are
// counting words, never phone digits, and stop a run.
func zhDigit(b []byte, i int) byte {
	if i+2 >= len(b) || b[i] < 0xE3 || b[i] > 0xE9 {
		return 0
	}
	switch uint32(b[i])<<16 | uint32(b[i+1])<<8 | uint32(b[i+2]) {
	case 0xE38087, 0xE99BB6: // 〇 零
		return '0'
	case 0xE4B880, 0xE5B9BA: // 一 幺
		return '1'
	case 0xE4BA8C: // 二
		return '2'
	case 0xE4B889: // 三
		return '3'
	case 0xE59B9B: // 四
		return '4'
	case 0xE4BA94: // 五
		return '5'
	case 0xE585AD: // 六
		return '6'
	case 0xE4B883: // 七
		return '7'
	case 0xE585AB: // 八
		return '8'
	case 0xE4B99D: // 九
		return '9'
	}
	return 0
}

// zhDigitBits marks the Chinese numerals of U+4E00..U+9FFF that zhDigit
// reads (〇 is folded to 零 before matching), one bit each, so the phone
// scanner can pass over other characters with one load.
var zhDigitBits = func() (t [(0x9FFF - 0x4E00 + 64) / 64]uint64) {
	for _, r := range "零一二三四五六七八九幺" {
		t[(r-0x4E00)/64] |= 1 << ((r - 0x4E00) % 64)
	}
	return t
}()

// isZhDigitAt reports a Chinese numeral at b[i] (a three-byte character).
func isZhDigitAt(b []byte, i int) bool {
	if i+2 >= len(b) || b[i] < 0xE4 || b[i] > 0xE9 {
		return false
	}
	r := rune(b[i]&0x0F)<<12 | rune(b[i+1]&0x3F)<<6 | rune(b[i+2]&0x3F)
	r -= 0x4E00
	return r >= 0 && zhDigitBits[r/64]&(1<<(r%64)) != 0
}

// digitAt reads one digit-like character at b[i]: its digit ('*' for a
// mask mark), its width, and whether it is a Chinese numeral. A mask mark
// counts only after a digit (prev > 0), so "**" alone is no number.
func digitAt(b []byte, i int, prev int) (d byte, w int, han bool) {
	c := b[i]
	switch {
	case c >= '0' && c <= '9':
		return c, 1, false
	case c == '*' || c == 'x':
		if prev > 0 {
			return '*', 1, false
		}
	case c == 0xE2:
		if prev > 0 && i+2 < len(b) && b[i+1] == 0x97 && b[i+2] == 0x8F { // ●
			return '*', 3, false
		}
	case c >= 0xE3:
		if z := zhDigit(b, i); z != 0 {
			return z, 3, true
		}
	}
	return 0, 0, false
}

func isPhoneSep(c byte) bool { return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' }

// scanRun reads the run of digits that starts at b[i] (a digit, a Chinese
// numeral or '+'). It never fails: a run of one digit is a run.
func scanRun(b []byte, i int) (r numRun) {
	r.start = i
	j := i
	if b[j] == '+' {
		r.plus = true
		j++
		if j < len(b) && b[j] == ' ' {
			j++ // "+ 852"
		}
	}
	r.end = j
	sep, grpStart := 0, 0
	for j < len(b) {
		d, w, han := digitAt(b, j, r.n)
		if w == 0 {
			if isPhoneSep(b[j]) && sep < maxRunSep && r.n > 0 {
				sep++
				j++
				continue
			}
			break
		}
		if r.n == maxRunDigits || (sep > 0 && r.ng+1 == maxRunGroups) {
			r.overrun = true
			break
		}
		if sep > 0 {
			r.grp[r.ng] = uint8(r.n - grpStart)
			r.ng++
			grpStart = r.n
			sep = 0
		}
		r.d[r.n], r.at[r.n], r.w[r.n] = d, int32(j), uint8(w)
		r.n++
		if han {
			r.han++
		}
		j += w
		r.end = j
	}
	if r.n > grpStart {
		r.grp[r.ng] = uint8(r.n - grpStart)
		r.ng++
	}
	if r.overrun {
		// Swallow the rest of the digits so the caller resumes after them.
		for r.end < len(b) {
			if _, w, _ := digitAt(b, r.end, 1); w > 0 {
				r.end += w
				continue
			}
			break
		}
	}
	return r
}

// prefix returns the run cut after its first k groups.
func (r *numRun) prefix(k int) numRun {
	p := *r
	n := 0
	for _, g := range r.grp[:k] {
		n += int(g)
	}
	p.n, p.ng = n, k
	p.end = int(r.at[n-1]) + int(r.w[n-1])
	p.han = 0
	for i := 0; i < n; i++ {
		if r.w[i] == 3 && r.d[i] != '*' {
			p.han++
		}
	}
	p.overrun = false
	return p
}

// phoneKind is the shape a classified number has.
type phoneKind uint8

const (
	notPhone   phoneKind = iota
	cnMobile             // 13812345678, also masked: 138****5678
	cnLandline           // 021-12345678
	e164                 // +85291234567: an international number, shown with +
)

// phone is a classified number: its kind, its normalised form and how many
// leading digits of the run are a prefix (00, the country code, a mainland
// area code) that masking keeps.
type phone struct {
	kind phoneKind
	norm [maxRunDigits + 2]byte
	n    int
	keep int // leading digits of the run kept visible when masking
	tail int // trailing digits kept visible when masking
	// local: a number read by the region's rules (an 8-digit Hong Kong
	// number, a landline), whose shape alone proves less.
	local bool
}

func (p *phone) String() string { return string(p.norm[:p.n]) }

func (p *phone) set(k phoneKind, parts ...string) bool {
	p.kind, p.n, p.local = k, 0, false
	for _, s := range parts {
		p.n += copy(p.norm[p.n:], s)
	}
	return true
}

// setLocal sets an international number read from a bare local one.
func (p *phone) setLocal(parts ...string) bool {
	p.set(e164, parts...)
	p.local = true
	return true
}

// ccLen is the length of the ITU country calling code that d starts with,
// 0 when d cannot start one. Country codes are prefix-free: 1 and 7 are
// one digit, the two-digit codes are listed, every other starts a
// three-digit code.
func ccLen(d string) int {
	if d == "" || d[0] < '1' || d[0] > '9' {
		return 0
	}
	if d[0] == '1' || d[0] == '7' {
		return 1
	}
	if len(d) < 2 || d[1] < '0' || d[1] > '9' {
		return 0
	}
	switch d[:2] {
	case "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49",
		"51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66",
		"81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98":
		return 2
	}
	if len(d) < 3 || d[2] < '0' || d[2] > '9' {
		return 0
	}
	return 3
}

func isMobile(d string) bool {
	if len(d) != 11 || d[0] != '1' {
		return false
	}
	return d[1] >= '3' && d[1] <= '9' || d[1] == '*'
}

// nanp reports a North American number without its 1: area code and
// exchange both start with 2-9.
func nanp(d string) bool {
	return len(d) == 10 && d[0] >= '2' && d[0] <= '9' && d[3] >= '2' && d[3] <= '9' && !strings.Contains(d, "*")
}

// hkNumber is a Hong Kong subscriber number: 8 digits, not starting 0 or 1.
func hkNumber(d string) bool { return len(d) == 8 && d[0] >= '2' && d[0] <= '9' }

// moNumber is a Macau subscriber number: mobiles 6xxxxxxx, landlines 28xxxxxx.
func moNumber(d string) bool { return len(d) == 8 && (d[0] == '6' || d[0] == '2' && d[1] == '8') }

// twMobile is a Taiwan mobile without its trunk 0: 9xxxxxxxx.
func twMobile(d string) bool { return len(d) == 9 && d[0] == '9' }

// classify reads the run as a phone number under region, or says it is
// none. Shapes that hold in every region (a mainland mobile, +CC…, a
// country code written bare where no local number looks like it) come
// first; the region then decides the bare 8-digit and 0-leading numbers.
func (r *numRun) classify(region uint32, p *phone) bool {
	if r.n < 7 || r.overrun || r.n > 15+2 {
		return false
	}
	d := string(r.d[:r.n])
	stars := strings.Count(d, "*")
	if stars > 0 {
		// Masked numbers still say "a phone was given" when they have a
		// mobile's or a landline's shape (1XX********, 138****5678,
		// 021-****5678), as data sets and earlier masking publish them.
		if !r.plus && isMobile(d) {
			p.keep, p.tail = 3, 4
			return p.set(cnMobile, d)
		}
		lead := 0 // "0086…": the 00 stays visible too
		if !r.plus && strings.HasPrefix(d, "0086") {
			lead = 2
		}
		if (r.plus || lead > 0) && strings.HasPrefix(d[lead:], "86") && isMobile(d[lead+2:]) && d[lead+2] != '*' {
			p.keep, p.tail = lead+5, 4
			return p.set(e164, "+86", d[lead+2:])
		}
		if !r.plus && d[0] == '0' && len(d) >= 10 && len(d) <= 12 && !strings.Contains(d[:r.areaLen(d)], "*") && r.n-stars >= 4 {
			return r.landline(d, p)
		}
		return false
	}
	intl := r.plus
	lead := 0
	if !intl && strings.HasPrefix(d, "00") {
		d, intl, lead = d[2:], true, 2
	}
	if intl {
		if strings.HasPrefix(d, "86") && isMobile(d[2:]) {
			p.keep, p.tail = lead+5, 4
			return p.set(e164, "+86", d[2:])
		}
		cc := ccLen(d)
		nat := d[min(cc, len(d)):]
		if cc == 0 || len(nat) < 4 || len(d) > 15 {
			return false
		}
		if nat[0] == '0' && cc > 0 && d[:cc] != "39" {
			nat = nat[1:] // "+44 (0)20…", "+886 0912…": the trunk 0 is not dialled
		}
		p.keep, p.tail = lead+cc, 2
		return p.set(e164, "+", d[:cc], nat)
	}
	// Bare numbers whose shape holds everywhere.
	if isMobile(d) && !(r.grp[0] == 1 && nanp(d[1:])) {
		p.keep, p.tail = 3, 4
		return p.set(cnMobile, d)
	}
	switch {
	case len(d) == 13 && strings.HasPrefix(d, "86") && isMobile(d[2:]):
		p.keep, p.tail = 5, 4
		return p.set(cnMobile, d[2:])
	case len(d) == 11 && strings.HasPrefix(d, "852") && hkNumber(d[3:]):
		p.keep, p.tail = 3, 2
		return p.set(e164, "+", d)
	case len(d) == 11 && strings.HasPrefix(d, "853") && moNumber(d[3:]):
		p.keep, p.tail = 3, 2
		return p.set(e164, "+", d)
	case len(d) == 12 && strings.HasPrefix(d, "886") && twMobile(d[3:]):
		p.keep, p.tail = 3, 2
		return p.set(e164, "+", d)
	case len(d) == 13 && strings.HasPrefix(d, "8860") && twMobile(d[4:]):
		p.keep, p.tail = 3, 2
		return p.set(e164, "+886", d[4:])
	case len(d) == 11 && r.grp[0] == 1 && d[0] == '1' && nanp(d[1:]):
		p.keep, p.tail = 1, 2
		return p.set(e164, "+", d)
	case len(d) == 12 && r.grp[0] == 2 && strings.HasPrefix(d, "447"):
		p.keep, p.tail = 2, 2
		return p.set(e164, "+", d)
	}
	switch phoneRegions[region] {
	case RegionHK:
		if hkNumber(d) && r.eightGrouping() {
			p.keep, p.tail = 0, 2
			return p.setLocal("+852", d)
		}
	case RegionMO:
		if moNumber(d) && r.eightGrouping() {
			p.keep, p.tail = 0, 2
			return p.setLocal("+853", d)
		}
	case RegionTW:
		if len(d) == 10 && d[:2] == "09" {
			p.keep, p.tail = 0, 2
			return p.setLocal("+886", d[1:])
		}
		if d[0] == '0' && d[1] >= '2' && d[1] <= '8' && (len(d) == 9 || len(d) == 10) && !r.dateShaped() {
			p.keep, p.tail = 0, 2
			return p.setLocal("+886", d[1:])
		}
	}
	// A mainland landline; "(02) 2345-6789" (a two-digit area code) is
	// Taipei's way, never the mainland's.
	if d[0] == '0' && len(d) >= 10 && len(d) <= 12 && d[1] != '0' && !(r.ng > 1 && r.grp[0] == 2) && !r.dateShaped() {
		return r.landline(d, p)
	}
	return false
}

// landline formats a mainland landline with its area code: the writer's
// own grouping when there is one ("07700 900123" keeps 07700, not area
// code 0770), else 010 / 02x (three digits) or four.
func (r *numRun) landline(d string, p *phone) bool {
	area := r.areaLen(d)
	p.keep, p.tail = area, 4
	p.set(cnLandline, d[:area], "-", d[area:])
	p.local = true
	return true
}

// areaLen is the length of a mainland landline's area code.
func (r *numRun) areaLen(d string) int {
	area := int(r.grp[0])
	if r.ng < 2 || area < 3 || area > 5 {
		area = 4
		if d[1] == '1' || d[1] == '2' {
			area = 3 // 010 Beijing, 02x the big cities
		}
	}
	return area
}

// eightGrouping accepts how people write an 8-digit local number
// ("91234567", "9123 4567", "9123-4567") and refuses what only looks like
// one: a date (2022-04-15), a range of round numbers (2000-3000).
func (r *numRun) eightGrouping() bool {
	switch {
	case r.ng == 1:
		return !r.compactDate()
	case r.ng == 2 && r.grp[0] == 4:
		return !(r.d[2] == '0' && r.d[3] == '0' && r.d[6] == '0' && r.d[7] == '0')
	}
	return false
}

// dateShaped reports a date written with separators: 2022-04-15,
// 2022.4.15, 15.04.2022.
func (r *numRun) dateShaped() bool {
	if r.ng != 3 {
		return false
	}
	g := r.grp
	d := r.d[:r.n]
	num := func(s []byte) int {
		v := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year := func(s []byte) bool { y := num(s); return y >= 1900 && y <= 2099 }
	md := func(m, dd []byte) bool {
		mv, dv := num(m), num(dd)
		return mv >= 1 && mv <= 12 && dv >= 1 && dv <= 31 || dv >= 1 && dv <= 12 && mv >= 1 && mv <= 31
	}
	a, b := int(g[0]), int(g[0])+int(g[1])
	if g[0] == 4 && g[1] <= 2 && g[2] <= 2 {
		return year(d[:a]) && md(d[a:b], d[b:])
	}
	if g[2] == 4 && g[0] <= 2 && g[1] <= 2 {
		return year(d[b:]) && md(d[:a], d[a:b])
	}
	return false
}

// compactDate reports 8 digits that read as a recent date, 20220415: a
// Hong Kong landline can look like one, but far more often it is a date.
func (r *numRun) compactDate() bool {
	if r.n != 8 || r.ng != 1 {
		return false
	}
	d := r.d[:8]
	v := func(s []byte) int { return int(s[0]-'0')*10 + int(s[1]-'0') }
	for _, c := range d {
		if c < '0' || c > '9' {
			return false
		}
	}
	y := v(d[:2])*100 + v(d[2:4])
	return y >= 1990 && y <= 2039 && v(d[4:6]) >= 1 && v(d[4:6]) <= 12 && v(d[6:]) >= 1 && v(d[6:]) <= 31
}

// lookAlike reports context that makes a bare number something other
// than a phone: money before it ($, ¥, HK$), an order or case number sign
// (#, No.), or a unit, date or count word after it (元, 年, 个, %, kg).
// Only numbers whose shape is weak (8-digit local numbers, dated-looking
// landlines) are checked: a mainland mobile is a phone whatever follows.
func lookAlike(b []byte, start, end int) bool {
	i := start
	for i > 0 && b[i-1] == ' ' {
		i--
	}
	if i > 0 {
		if b[i-1] == '$' || b[i-1] == '#' {
			return true
		}
		for _, w := range lookAlikeBefore {
			if hasSuffixAt(b, i, w) {
				return true
			}
		}
	}
	j := end
	for j < len(b) && b[j] == ' ' {
		j++
	}
	if j < len(b) {
		if b[j] == '%' || b[j] == '$' {
			return true
		}
		for _, w := range lookAlikeAfter {
			if hasPrefixAt(b, j, w) {
				if w[0] < utf8.RuneSelf && j+len(w) < len(b) && isWordByte(b[j+len(w)]) {
					continue // "pc" in "pcs" is fine, "kg" in "kgb" is not a unit
				}
				return true
			}
		}
	}
	return false
}

var (
	lookAlikeBefore = []string{"¥", "￥", "€", "£", "no.", "订单号", "订单", "单号", "编号", "运单", "快递单", "order", "case", "ref", "rmb", "usd", "hkd", "ntd", "价", "总计", "共"}
	lookAlikeAfter  = []string{"元", "块", "蚊", "圆", "万", "亿", "年", "月", "日", "号", "岁", "人", "个", "次", "件", "箱", "袋", "包", "瓶", "斤", "吨", "米", "平", "户", "份", "台", "辆", "条", "张", "本", "港币", "港元", "美元", "台币", "yuan", "dollars", "hkd", "rmb", "usd", "ntd", "people", "persons", "pcs", "kg", "bags", "units", "items"}
)

func hasSuffixAt(b []byte, i int, w string) bool {
	return i >= len(w) && string(b[i-len(w):i]) == w && (w[0] >= utf8.RuneSelf || i == len(w) || !isWordByte(b[i-len(w)-1]))
}

func hasPrefixAt(b []byte, j int, w string) bool {
	return len(b)-j >= len(w) && string(b[j:j+len(w)]) == w
}

// findPhone tries the whole run and then shorter runs cut at the writer's
// group breaks ("13812345678 2号楼" holds a mobile and a building number),
// longest first. It returns how many groups make the phone (0: none).
func findPhone(b []byte, r *numRun, region uint32, p *phone) int {
	for k := r.ng; k >= 1; k-- {
		q := r
		if k < r.ng {
			pq := r.prefix(k)
			q = &pq
		}
		if q.classify(region, p) {
			// Only a shape that does not prove itself is checked against
			// its context: a mainland mobile or a +number is a phone
			// whatever surrounds it.
			if p.kind != cnMobile && !q.plus && lookAlike(b, q.start, q.end) {
				continue
			}
			return k
		}
	}
	return 0
}

// extractPhones appends the phone numbers found in normalised text.
func extractPhones(b []byte, region uint32, out []string) []string {
	var p phone
	cont := -1 // where a run that held no phone left off at its second group
	for i := 0; i < len(b) && len(out) < maxPhones; i++ {
		c := b[i]
		if c >= utf8.RuneSelf {
			// Most of a Chinese text: step over the whole character
			// unless it is a numeral followed by a digit or another
			// numeral (一 in 一个, 三 in 三天 start no number).
			if c >= 0xE0 {
				if !isZhDigitAt(b, i) || !(i+3 < len(b) && (b[i+3] >= '0' && b[i+3] <= '9' || isZhDigitAt(b, i+3))) {
					i += 2
					continue
				}
			} else {
				continue
			}
		} else if !(c >= '0' && c <= '9' || c == '+') {
			continue
		}
		if i > 0 && c < utf8.RuneSelf {
			r, _ := utf8.DecodeLastRune(b[:i])
			if isWordRune(r) || r == '+' {
				// inside a longer token; skip to its end
				for i < len(b) && (b[i] >= '0' && b[i] <= '9') {
					i++
				}
				continue
			}
		}
		r := scanRun(b, i)
		if r.n < 7 {
			if r.end > i {
				i = r.end - 1
			}
			continue
		}
		k := findPhone(b, &r, region, &p)
		if k > 0 && p.local && i == cont {
			// The rest of a longer number ("(02) 2345-6789" is no Hong
			// Kong number): only a shape that proves itself counts.
			k = 0
		}
		end := r.end
		if k == 0 && r.ng > 1 && !r.overrun {
			// The next group may start a number ("2022-04-15 138…").
			end = int(r.at[r.grp[0]])
			cont = end
		}
		if k > 0 {
			q := r.prefix(k)
			end = q.end
			// The number must not run on into letters ("ID 13812345678abc").
			if end >= len(b) || !nextIsWord(b, end) {
				out = appendUnique(out, p.String())
			}
		}
		if end > i {
			i = end - 1
		}
	}
	return out
}

func nextIsWord(b []byte, i int) bool {
	r, _ := utf8.DecodeRune(b[i:])
	return isWordRune(r)
}
