package triage

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaskText hides the personal data in a text shown to people who should
// not have it (broadcast groups, digests to intake groups, masked exports,
// logs), keeping the need, the district and the street readable. It is
// the one masker every such output uses. It hides:
//
//   - phone numbers however written: grouped by spaces, dashes, dots or
//     brackets, full-width, in Chinese numerals (一三八…, 幺三八…) or mixed,
//     after tel:, +852 / 00 44 / 1 415… international forms, North-American
//     (415) 555-2671, and the Hong Kong, Macau and Taiwan forms of every
//     phone region: a mainland mobile keeps 138****5678, a landline its
//     area code and last 4 digits, any other number a written country code
//     and its last 2 digits; at least 4 digits are always hidden;
//   - 18-digit ID card numbers (with an X check digit) and bank card
//     numbers (15–19 digits, spaced in fours or not): all but the last 4;
//   - any other run of 7 or more digits that is not a date, a price, a
//     count or an order number (its last 2 digits stay);
//   - account ids: WeChat (wxid_…, 微信 li_nainai88, vx: …, 微信号：…),
//     QQ, LINE and Telegram ids after their name, and e-mail addresses
//     (the mailbox; a public mail provider's domain stays);
//   - room and flat numbers (3号楼502室 → 3号楼***室, 五一一室, 5栋1201,
//     Flat 3, Room 502) and the inward half of UK postcodes (SW1A 1AA →
//     SW1A ***).
//
// A hidden digit becomes '*' in place (the writer's spacing stays); a
// room number, an id or a mailbox becomes "***" whatever its length.
// MaskText is idempotent, and its output is at most three times as long
// as its input.
func MaskText(text string) string {
	// A pass only ever hides more, but what it writes can make a new
	// reading next to it (a hidden postcode half "A0***" beside digits
	// reads as a masked number), so passes repeat until nothing changes:
	// that is what makes masking twice the same as masking once. Each
	// pass that changes the text hides at least one more character, and
	// in practice the second pass already changes nothing.
	for range maxMaskPasses {
		out := maskOnce(text)
		if out == text {
			break
		}
		text = out
	}
	return text
}

// maxMaskPasses bounds the passes of MaskText; FuzzMaskText checks that
// no text needs more.
const maxMaskPasses = 8

func maskOnce(text string) string {
	m := newMasker(text)
	m.maskTokens()
	m.maskNumbers()
	m.maskRooms()
	m.maskPostcodes()
	return m.String()
}

// What a masker does with one rune of the original text.
const (
	keepRune  = iota
	starRune  // written as '*'
	spanStart // the first rune of a hidden span, written as "***"
	spanRest  // the rest of a hidden span, dropped
)

// masker holds a text as runes, a folded copy for scanning (full-width to
// ASCII, lower case, Traditional to Simplified) with a map from folded
// bytes back to runes, and what to do with each rune.
type masker struct {
	orig   []rune
	folded []byte
	pos    []int // folded byte -> rune index in orig; one more entry at the end
	act    []uint8
}

func newMasker(text string) *masker {
	m := &masker{orig: []rune(text)}
	m.folded = make([]byte, 0, len(text))
	m.pos = make([]int, 0, len(text)+1)
	// The folded copy is the normaliser's (see normalize): whitespace,
	// emoji and symbols are one space, none between two Han characters;
	// so whatever Assess reads as a phone, the masker reads too.
	pending, prevHan := -1, false
	for i, r := range m.orig {
		f, c := foldRune(r)
		switch c {
		case classDrop:
			continue // zero-width joiners inside a number do not split it
		case classSpace:
			if pending < 0 && len(m.folded) > 0 {
				pending = i
			}
			continue
		}
		if f >= utf8.RuneSelf && unicode.IsDigit(f) {
			if d, ok := ndDigit(f); ok {
				f = rune(d) // Arabic-Indic, Devanagari… digits read as digits
			}
		}
		isH := f >= utf8.RuneSelf && isHan(f)
		if pending >= 0 && !(isH && prevHan) {
			m.folded = append(m.folded, ' ')
			m.pos = append(m.pos, pending)
		}
		pending, prevHan = -1, isH
		n := len(m.folded)
		m.folded = utf8.AppendRune(m.folded, f)
		for k := n; k < len(m.folded); k++ {
			m.pos = append(m.pos, i)
		}
	}
	m.pos = append(m.pos, len(m.orig))
	m.act = make([]uint8, len(m.orig))
	return m
}

// String writes the masked text.
func (m *masker) String() string {
	var sb strings.Builder
	sb.Grow(len(m.orig) + 8)
	for i, r := range m.orig {
		switch m.act[i] {
		case keepRune:
			sb.WriteRune(r)
		case starRune:
			sb.WriteByte('*')
		case spanStart:
			sb.WriteString("***")
		}
	}
	return sb.String()
}

// free reports that folded bytes [i, j) belong to nothing hidden yet.
func (m *masker) free(i, j int) bool {
	for k := i; k < j; k++ {
		if m.act[m.pos[k]] != keepRune {
			return false
		}
	}
	return true
}

// hide replaces the runes of folded bytes [i, j) by one "***".
func (m *masker) hide(i, j int) {
	if i >= j {
		return
	}
	first := m.pos[i]
	m.act[first] = spanStart
	for r := first + 1; r < m.pos[j]; r++ {
		m.act[r] = spanRest
	}
}

// ndDigit reads a decimal digit of another script (the Unicode Nd ranges
// are whole blocks of ten starting at zero).
func ndDigit(r rune) (byte, bool) {
	for _, rg := range unicode.Nd.R16 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return byte('0' + (r-rune(rg.Lo))%10), true
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return byte('0' + (r-rune(rg.Lo))%10), true
		}
	}
	return 0, false
}

// ------------------------------------------------------------------ numbers

// maskNumbers hides phones, ID and bank card numbers and other long digit
// runs.
func (m *masker) maskNumbers() {
	b := m.folded
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= '0' && c <= '9' || c == '+' || c >= 0xE3 && c <= 0xE9 && zhDigit(b, i) != 0) {
			continue
		}
		if !m.free(i, i+1) {
			continue
		}
		r := scanRun(b, i)
		if r.n == 0 {
			continue
		}
		i = m.maskRun(&r) - 1
	}
}

// maskRun masks what the run holds and returns where scanning resumes.
func (m *masker) maskRun(r *numRun) int {
	if r.n < 7 {
		return r.end
	}
	if r.overrun {
		// More digits than any number has: hide them all.
		for k := r.start; k < r.end; k++ {
			if _, w, _ := digitAt(m.folded, k, 1); w > 0 {
				m.star(k)
				k += w - 1
			}
		}
		return r.end
	}
	if r.ng > 3 {
		// A date and what follows it ("2022-04-15 13812345678"): the date
		// stays, the rest is scanned on its own.
		if d := r.prefix(3); d.dateShaped() {
			return d.end
		}
	}
	// The reading of any phone region that takes the most groups, and of
	// those the one that hides the most: masking covers every region. A
	// number that is a phone as a whole is one; an ID or bank card comes
	// before the phones that a part of it could be.
	var p, best phone
	bestK, bestHidden := 0, -1
	card := !r.plus && r.n >= 15 && cardGrouping(r) // and longer: nothing that long is left readable
	for reg := range phoneRegions {
		k := findPhone(m.folded, r, uint32(reg), &p)
		if card && k < r.ng {
			k = 0
		}
		if k == 0 {
			continue
		}
		q := r.prefix(k)
		keep, tail := hiddenSplit(q.n, p.keep, p.tail)
		if k > bestK || k == bestK && q.n-keep-tail > bestHidden {
			best, bestK, bestHidden = p, k, q.n-keep-tail
		}
	}
	if bestK > 0 {
		q := r.prefix(bestK)
		keep, tail := hiddenSplit(q.n, best.keep, best.tail)
		m.starDigits(&q, q.n, keep, tail)
		return q.end
	}
	if card {
		m.starDigits(r, r.n, 0, 4) // an ID card or a bank card: the last 4 stay
		return r.end
	}
	if r.dateShaped() || r.compactDate() || roundRange(r) || r.han == r.n || lookAlike(m.folded, r.start, r.end) {
		if r.ng > 1 {
			return int(r.at[r.grp[0]]) // the next group may start a number
		}
		return r.end
	}
	// An unknown long number: keep a written country code and the last 2.
	keep := 0
	d := string(r.d[:r.n])
	if r.plus {
		keep = ccLen(d)
	} else if strings.HasPrefix(d, "00") {
		if cc := ccLen(d[2:]); cc > 0 {
			keep = 2 + cc
		}
	}
	if strings.Contains(d[:keep], "*") {
		keep = 0
	}
	keep, tail := hiddenSplit(r.n, keep, 2)
	m.starDigits(r, r.n, keep, tail)
	return r.end
}

// hiddenSplit bounds what masking shows of an n-digit number so that at
// least 4 digits stay hidden (138****5678 is the shortest mainland
// convention): the tail shrinks to 2 first, then the kept prefix goes,
// whole (a prefix shown in part would read as another number when the
// masked text is masked again).
func hiddenSplit(n, keep, tail int) (int, int) {
	const minHidden = 4
	for n-keep-tail < minHidden && tail > 2 {
		tail--
	}
	if n-keep-tail < minHidden {
		keep = 0
	}
	for n-keep-tail < minHidden && tail > 0 {
		tail--
	}
	return keep, tail
}

// cardGrouping accepts an ID or bank card number as written: unbroken,
// in fours (6222 0212 3456 7890 123), or an ID as 6-8-4.
func cardGrouping(r *numRun) bool {
	if r.ng == 1 {
		return true
	}
	if r.ng == 3 && r.grp[0] == 6 && r.grp[1] == 8 && r.grp[2] == 4 {
		return true
	}
	for _, g := range r.grp[:r.ng-1] {
		if g != 4 {
			return false
		}
	}
	return r.grp[r.ng-1] <= 4
}

// roundRange is "2000-3000" or "0800-1700": a quantity or an opening
// time, not a number to hide.
func roundRange(r *numRun) bool {
	return r.ng == 2 && r.grp[0] == 4 && r.grp[1] == 4 && r.d[2] == '0' && r.d[3] == '0' && r.d[6] == '0' && r.d[7] == '0'
}

// starDigits stars the digits of the run's first n but the first keep and
// the last tail.
func (m *masker) starDigits(r *numRun, n, keep, tail int) {
	for k := keep; k < n-tail; k++ {
		m.star(int(r.at[k]))
	}
}

func (m *masker) star(at int) {
	if i := m.pos[at]; m.act[i] == keepRune {
		m.act[i] = starRune
	}
}

// ------------------------------------------------------------------ tokens

// accountCues name an account before its id. A Latin cue is a whole word.
var accountCues = []string{"微信号", "微信", "威信", "薇信", "维信", "v信", "vx", "wx", "weixin", "wechat", "qq号", "qq", "扣扣", "line id", "telegram"}

// accountFillers may stand between a cue and its id ("微信号：", "wechat id
// is"); all but "is" say that an id follows.
var accountFillers = []string{":", "号码", "号", "账号", "帐号", "id", "是", "为", "@", "=", "is"}

// publicMail are mail providers whose name in an address says nothing
// about the person; other domains (a family or company name) are hidden.
var publicMail = map[string]bool{
	"qq.com": true, "163.com": true, "126.com": true, "yeah.net": true, "foxmail.com": true, "sina.com": true,
	"sina.cn": true, "sohu.com": true, "139.com": true, "189.cn": true, "aliyun.com": true, "gmail.com": true,
	"outlook.com": true, "hotmail.com": true, "live.com": true, "yahoo.com": true, "yahoo.com.hk": true,
	"yahoo.com.tw": true, "icloud.com": true, "me.com": true, "msn.com": true, "proton.me": true,
	"protonmail.com": true, "netvigator.com": true, "hinet.net": true,
}

func isIDByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func isMailLocal(c byte) bool { return isIDByte(c) || c == '.' || c == '+' || c == '%' }

// maskTokens hides e-mail addresses and account ids.
func (m *masker) maskTokens() {
	b := m.folded
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '@':
			m.maskMail(i)
		case hasPrefixAt(b, i, "wxid_"):
			start := i + len("wxid_")
			end := start
			for end < len(b) && isIDByte(b[end]) {
				end++
			}
			if end > start && (i == 0 || !isIDByte(b[i-1])) {
				m.hide(start, end)
			}
			i = end - 1
		default:
			if j := m.maskAccount(i); j > i {
				i = j - 1
			}
		}
	}
}

// maskMail hides the mailbox around the '@' at b[at].
func (m *masker) maskMail(at int) {
	b := m.folded
	s := at
	for s > 0 && isMailLocal(b[s-1]) {
		s--
	}
	e := at + 1
	dots := 0
	for e < len(b) && (isIDByte(b[e]) || b[e] == '.' && e+1 < len(b) && isIDByte(b[e+1])) {
		if b[e] == '.' {
			dots++
		}
		e++
	}
	if s == at || dots == 0 || !m.free(s, e) {
		return
	}
	m.hide(s, at)
	if !publicMail[string(b[at+1:e])] {
		m.hide(at+1, e)
	}
}

// maskAccount hides the id after an account cue at b[i], and returns the
// end of what it read (i when there is no cue).
func (m *masker) maskAccount(i int) int {
	b := m.folded
	cue := ""
	for _, c := range accountCues {
		if hasPrefixAt(b, i, c) {
			cue = c
			break
		}
	}
	if cue == "" {
		return i
	}
	latin := cue[0] < utf8.RuneSelf && cue[len(cue)-1] < utf8.RuneSelf
	j := i + len(cue)
	if latin && (i > 0 && isWordByte(b[i-1]) || j < len(b) && isWordByte(b[j])) {
		return i // "vx" in "vxworks", "wechat" in "wechatpay"
	}
	explicit := false
	for {
		for j < len(b) && b[j] == ' ' {
			j++
		}
		filled := false
		for _, f := range accountFillers {
			if !hasPrefixAt(b, j, f) {
				continue
			}
			if word := f[0] >= 'a' && f[0] <= 'z'; word && j+len(f) < len(b) && isWordByte(b[j+len(f)]) {
				continue // "id" in "idea"
			}
			j += len(f)
			filled, explicit = true, explicit || f != "is"
			break
		}
		if !filled {
			break
		}
	}
	k := j
	for k < len(b) && isIDByte(b[k]) {
		k++
	}
	if k-j < 5 || k-j > 40 || !m.free(j, k) {
		return j
	}
	tok := b[j:k]
	digits, marks := 0, 0
	for _, c := range tok {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '_' || c == '-':
			marks++
		}
	}
	if digits == len(tok) && digits >= 7 {
		return j // a number: maskNumbers hides it as one
	}
	// In Chinese text, Latin letters right after 微信 are the id; after
	// an English cue a plain word ("wechat is down") is not.
	if !(explicit || !latin || digits > 0 || marks > 0) {
		return j
	}
	m.hide(j, k)
	return k
}

// ------------------------------------------------------------------- rooms

// Room and flat numbers: a number right before 室/房/户 ("502室"), three to
// five digits after 栋/幢/单元/楼, '#' or a building number and a dash
// ("5栋1201", "3-502"), and the number after room/flat/apt/unit/suite.
var (
	roomBefore = []string{"栋", "幢", "单元", "号楼", "楼", "座", "房间", "房号"}
	flatBefore = []string{"room", "rm", "flat", "apt", "apartment", "unit", "suite"}
)

func (m *masker) maskRooms() {
	b := m.folded
	for i := 0; i < len(b); {
		d, w, _ := digitAt(b, i, 0)
		if w == 0 || d == '*' {
			i++
			continue
		}
		j, n, han := i, 0, 0
		for j < len(b) {
			d, w, h := digitAt(b, j, 0)
			if w == 0 || d == '*' {
				break
			}
			if h {
				han++
			}
			n++
			j += w
		}
		if !m.free(i, j) {
			i = j
			continue
		}
		// A number before 室 is a room (502室); before 房 or 户 only from
		// two or three digits (2房1厅 is a layout, 3户 three households);
		// in Chinese numerals from three (五一一室, not 一室一厅).
		mark := hasPrefixAt(b, j, "室") && (han == 0 || n >= 3) ||
			hasPrefixAt(b, j, "房") && n >= 2 && (han == 0 || n >= 3) ||
			hasPrefixAt(b, j, "户") && n >= 3
		head := b[:i]
		for len(head) > 0 && head[len(head)-1] == ' ' {
			head = head[:len(head)-1]
		}
		if !mark && n >= 3 && n <= 5 && (j == len(b) || !isWordByte(b[j])) {
			for _, s := range roomBefore {
				if hasSuffixAt(head, len(head), s) {
					mark = true
					break
				}
			}
			// "#502", and "3-502" (a building's 1-3 digits, a dash, a room).
			if i > 0 && b[i-1] == '#' {
				mark = true
			}
			if i > 1 && b[i-1] == '-' {
				k := i - 1
				for k > 0 && isASCIIDigit(b[k-1]) {
					k--
				}
				mark = mark || i-1-k >= 1 && i-1-k <= 3 && (k == 0 || !isWordByte(b[k-1]))
			}
		}
		end := j
		if !mark && han == 0 && n <= 5 && len(head) < i {
			// English: "Flat 3", "room 502", "apt 4b", "Unit 12".
			for _, s := range flatBefore {
				if hasSuffixAt(head, len(head), s) {
					mark = true
					if end < len(b) && b[end] >= 'a' && b[end] <= 'z' && (end+1 == len(b) || !isWordByte(b[end+1])) {
						end++ // "4b"
					}
					break
				}
			}
			if mark && end < len(b) && isWordByte(b[end]) {
				mark = false // "room 3d printing"
			}
		}
		if mark && !(i > 0 && isWordByte(b[i-1]) && b[i-1] > '9') {
			m.hide(i, end)
		}
		i = end
	}
}

func isWordByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func isASCIIDigit(c byte) bool { return c >= '0' && c <= '9' }

// --------------------------------------------------------------- postcodes

// maskPostcodes hides the inward code of UK postcodes ("SW1A 1AA" →
// "SW1A ***", "M1 1AE" → "M1 ***"): the outward code is a district and
// stays, the inward code narrows it to a street.
func (m *masker) maskPostcodes() {
	b := m.folded
	for i := 0; i < len(b); i++ {
		if b[i] < 'a' || b[i] > 'z' || i > 0 && isWordByte(b[i-1]) {
			continue
		}
		// Outward: 1-2 letters, a digit, and an optional letter or digit.
		j := i
		for j < len(b) && j-i < 2 && b[j] >= 'a' && b[j] <= 'z' {
			j++
		}
		if j == len(b) || !isASCIIDigit(b[j]) {
			continue
		}
		j++
		ends := [2]int{j, -1}
		if j < len(b) && isWordByte(b[j]) {
			ends[1] = j + 1
		}
		for _, out := range ends {
			if out < 0 {
				continue
			}
			k := out
			if k < len(b) && b[k] == ' ' {
				k++
			}
			// Inward: a digit and two letters (never C, I, K, M, O or V).
			if k+3 > len(b) || !isASCIIDigit(b[k]) || !inwardLetter(b[k+1]) || !inwardLetter(b[k+2]) ||
				k+3 < len(b) && isWordByte(b[k+3]) {
				continue
			}
			if !m.upperAt(k+1) && ordinal(b[k+1:k+3]) {
				continue // "A1 2nd floor": lower case and an ordinal
			}
			if m.free(k, k+3) {
				m.hide(k, k+3)
			}
			break
		}
	}
}

func inwardLetter(c byte) bool {
	return c >= 'a' && c <= 'z' && !strings.ContainsRune("cikmov", rune(c))
}

func ordinal(s []byte) bool {
	switch string(s) {
	case "st", "nd", "rd", "th":
		return true
	}
	return false
}

// upperAt reports that the original rune behind folded byte i is upper case.
func (m *masker) upperAt(i int) bool { return unicode.IsUpper(m.orig[m.pos[i]]) }

// ------------------------------------------------------------------- phones

// MaskPhone hides most of one phone number (as Assessment.Phones holds
// them) for display: 13812345678 → 138****5678, 021-12345678 →
// 021-****5678, +8613812345678 → +86 138****5678, +85291234567 →
// +852 ******67. Separators in the input are dropped except the area-code
// dash; anything shorter than 7 digits is starred whole.
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
	if plus {
		if len(d) == 13 && string(d[:2]) == "86" && isMobile(string(d[2:])) {
			return "+86 " + starMiddle(d[2:], 3, 4)
		}
		cc := ccLen(string(d))
		if strings.Contains(string(d[:cc]), "*") {
			cc = 0
		}
		keep, tail := hiddenSplit(len(d)-cc, 0, 2)
		return "+" + string(d[:cc]) + " " + starMiddle(d[cc:], keep, tail)
	}
	if isMobile(string(d)) {
		return starMiddle(d, 3, 4)
	}
	if d[0] == '0' && len(d) >= 10 {
		area := 4
		if d[1] == '1' || d[1] == '2' {
			area = 3
		}
		keep, tail := hiddenSplit(len(d)-area, 0, 4)
		return string(d[:area]) + "-" + starMiddle(d[area:], keep, tail)
	}
	keep, tail := hiddenSplit(len(d), 0, 2)
	return starMiddle(d, keep, tail)
}

// starMiddle stars d but its first keep and last tail digits.
func starMiddle(d []byte, keep, tail int) string {
	if keep+tail > len(d) {
		keep, tail = 0, 0
	}
	return string(d[:keep]) + strings.Repeat("*", len(d)-keep-tail) + string(d[len(d)-tail:])
}
