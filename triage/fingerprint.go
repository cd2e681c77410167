package triage

import (
	"bytes"
	"math/bits"
	"slices"
	"unicode/utf8"
)

// FingerprintBands is how many 16-bit bands Bands splits a fingerprint into.
// Two fingerprints within Hamming distance 3 differ in at most 3 bands, so
// by pigeonhole at least one band is equal: the store indexes each band and
// only compares candidates that share one.
const FingerprintBands = 4

// nearDistance is the largest Hamming distance NearDuplicate accepts.
const nearDistance = 3

// NearDuplicate reports whether two fingerprints are within Hamming
// distance 3, i.e. the texts are the same plea with small edits.
func NearDuplicate(a, b uint64) bool { return bits.OnesCount64(a^b) <= nearDistance }

// Bands splits a fingerprint into FingerprintBands 16-bit bands, lowest first.
func Bands(fp uint64) [FingerprintBands]uint16 {
	return [FingerprintBands]uint16{uint16(fp), uint16(fp >> 16), uint16(fp >> 32), uint16(fp >> 48)}
}

// forwardPrefixes are repost markers stripped (repeatedly) from the front of
// the normalised text before fingerprinting.
var forwardPrefixes = [][]byte{
	[]byte("转发"), []byte("[转]"), []byte("转:"), []byte("转载"), []byte("fwd:"), []byte("fw:"),
	[]byte("forwarded:"), []byte("forward:"), []byte("repost:"), []byte("扩散"), []byte("急转"),
}

// forwardFirst marks the bytes a repost marker can start with, so a text
// that starts with none of them is done after one lookup.
var forwardFirst = func() (t [256]bool) {
	for _, p := range forwardPrefixes {
		t[p[0]] = true
	}
	t['r'], t['@'] = true, true
	return t
}()

// stripForward removes repost prefixes: "转发:", "【转】", "Fwd:", "RT @x:".
func stripForward(b []byte) []byte {
	for {
		b = trimLeadingPunct(b)
		if len(b) == 0 || !forwardFirst[b[0]] {
			return b
		}
		n := len(b)
		for _, p := range forwardPrefixes {
			if bytes.HasPrefix(b, p) {
				b = b[len(p):]
			}
		}
		if bytes.HasPrefix(b, []byte("rt ")) || bytes.HasPrefix(b, []byte("rt@")) {
			b = b[2:]
			b = bytes.TrimLeft(b, " ")
		}
		if len(b) > 0 && b[0] == '@' {
			// "@user:" addressing a repost; drop the handle.
			if i := bytes.IndexAny(b, ": "); i > 0 && i < 40 {
				b = b[i+1:]
			}
		}
		if len(b) == n {
			return b
		}
	}
}

// fingerprint is a 64-bit SimHash over the letters and digits of the
// normalised text, leaving out the sorted byte ranges in skip (so punctuation, emoji, spacing, width and script are
// already gone): Han characters contribute unigrams and bigrams, other
// scripts whole words.
func fingerprint(buf []byte, skip []span) uint64 {
	b := stripForward(buf)
	off := int32(len(buf) - len(b)) // skip spans are offsets into buf
	si := 0
	var h simhash
	var prev rune
	havePrev := false
	inWord := false
	var wordHash uint64
	for i := 0; i < len(b) && h.total < maxFeatures; {
		for si < len(skip) && skip[si].end <= int32(i)+off {
			si++
		}
		if si < len(skip) && skip[si].start <= int32(i)+off {
			i = int(skip[si].end - off)
			continue
		}
		r, size := rune(b[i]), 1
		han, word := false, false
		if r < utf8.RuneSelf {
			word = asciiWord[r] // isWordRune, one load instead of branches
		} else {
			r, size = decodeNorm(b, i)
			han = isHan(r)
			word = !han && isWordRune(r)
		}
		switch {
		case han:
			if inWord {
				h.add(wordHash)
				inWord = false
			}
			h.add(uint64(r))
			if havePrev {
				h.add(uint64(prev)<<21 | uint64(r))
			}
			prev, havePrev = r, true
		case word:
			if !inWord {
				inWord, wordHash = true, 14695981039346656037
			}
			wordHash = (wordHash ^ uint64(r)) * 1099511628211
			havePrev = false
		default:
			if inWord {
				h.add(wordHash)
				inWord = false
			}
			// Punctuation and spaces do not break Han bigrams: "急需，透析"
			// and "急需透析" are the same plea.
		}
		i += size
	}
	if inWord {
		h.add(wordHash)
	}
	return h.sum()
}

// asciiWord is isWordRune for ASCII.
var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = isWordRune(rune(c))
	}
	return t
}()

// decodeNorm is utf8.DecodeRune(b[i:]) for normalised text, which is
// valid UTF-8 (the normaliser writes only whole runes): the three-byte
// runes of Han text decode inline; anything else goes the long way.
func decodeNorm(b []byte, i int) (rune, int) {
	if c := b[i]; c&0xF0 == 0xE0 && i+2 < len(b) {
		return rune(c&0x0F)<<12 | rune(b[i+1]&0x3F)<<6 | rune(b[i+2]&0x3F), 3
	}
	return utf8.DecodeRune(b[i:])
}

// maxFeatures caps the features hashed per text; the start of a plea
// identifies it.
const maxFeatures = 4096

// simhash accumulates SimHash bit votes in 8-bit lanes packed eight to a
// uint64 (SWAR): each feature costs 8 table additions instead of 64
// branches. Lanes spill into wide counters before they can overflow.
type simhash struct {
	acc            [8]uint64 // lane k of acc[i] counts bit 8*i+k
	wide           [64]int32
	total, pending int
}

func (s *simhash) add(h uint64) {
	h = mix(h)
	s.acc[0] += byteLanes[h&0xFF]
	s.acc[1] += byteLanes[h>>8&0xFF]
	s.acc[2] += byteLanes[h>>16&0xFF]
	s.acc[3] += byteLanes[h>>24&0xFF]
	s.acc[4] += byteLanes[h>>32&0xFF]
	s.acc[5] += byteLanes[h>>40&0xFF]
	s.acc[6] += byteLanes[h>>48&0xFF]
	s.acc[7] += byteLanes[h>>56]
	s.total++
	if s.pending++; s.pending == 255 {
		s.spill()
	}
}

func (s *simhash) spill() {
	for i, a := range s.acc {
		for k := 0; k < 8; k++ {
			s.wide[8*i+k] += int32(a >> (8 * k) & 0xFF)
		}
		s.acc[i] = 0
	}
	s.pending = 0
}

func (s *simhash) sum() uint64 {
	if s.total == 0 {
		return 0
	}
	if s.pending == s.total {
		return s.sumLanes()
	}
	s.spill()
	var fp uint64
	for bit, c := range s.wide {
		if int(c)*2 > s.total {
			fp |= 1 << bit
		}
	}
	return fp
}

// byteLanes[n] puts bit k of byte n into 8-bit lane k.
var byteLanes = func() (t [256]uint64) {
	for n := range t {
		for k := 0; k < 8; k++ {
			if n>>k&1 == 1 {
				t[n] |= 1 << (8 * k)
			}
		}
	}
	return t
}()

// mix is the splitmix64 finaliser: it spreads feature ids over all 64 bits.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// sumLanes is sum for the common case of fewer than 255 features, when
// every count still sits in its 8-bit lane: a lane x votes for its bit
// when 2x > total, i.e. x > h with h = total/2 <= 127. For x < 128,
// (x + 127 - h) reaches 128 exactly when x > h and cannot carry into the
// next lane; x >= 128 is always above h. One add per eight bits.
func (s *simhash) sumLanes() uint64 {
	const lo7, hi1, ones = 0x7F7F7F7F7F7F7F7F, 0x8080808080808080, 0x0101010101010101
	k := uint64(127-s.total/2) * ones
	var fp uint64
	for i, a := range s.acc {
		m := (((a & lo7) + k) | a) & hi1
		// Gather the eight lane bits into one byte: after >>7 each lane
		// holds 0 or 1, and the multiply shifts lane j to bit 56+j with
		// no two partial products on the same bit, so nothing carries.
		fp |= ((m >> 7) * 0x0102040810204080) >> 56 << (8 * i)
	}
	return fp
}

// trimLeadingPunct drops leading spaces and the punctuation that wraps
// repost markers (":", "[", "]"...), without building a cutset per call.
func trimLeadingPunct(b []byte) []byte {
	for len(b) > 0 {
		switch b[0] {
		case ' ', ':', ',', '.', '!', '-', '"', '\'', '[', ']':
			b = b[1:]
		default:
			return b
		}
	}
	return b
}

// Repost wrappers: words and brackets people add around a plea they pass
// on ("扩散", "求转发", "（转自业主群）", "转自浦东群："). They say nothing
// about the plea, so wrapperSpans leaves them out of the fingerprint, and
// phone numbers too: a repost often drops or swaps the contact, and the
// merge rule compares phones itself.

// wrapperWords are skipped wherever they appear.
var wrapperWords = [][]byte{
	[]byte("求扩散"), []byte("请扩散"), []byte("帮忙扩散"), []byte("扩散"), []byte("急转"), []byte("求转发"),
	[]byte("帮转"), []byte("速转"), []byte("转发"), []byte("求转"), []byte("repost"), []byte("please share"), []byte("pls share"),
}

// wrapperOpeners start a bracketed wrapper when followed by a marker.
var wrapperBrackets = [][2][]byte{
	{[]byte("("), []byte(")")}, {[]byte("["), []byte("]")}, {[]byte("【"), []byte("】")},
	{[]byte("〔"), []byte("〕")}, {[]byte("「"), []byte("」")}, {[]byte("<"), []byte(">")}, {[]byte("《"), []byte("》")},
}

// wrapperMarkers begin the text of a wrapper: "转自…", "来自…", "源自…".
var wrapperMarkers = [][]byte{[]byte("转自"), []byte("来自"), []byte("源自"), []byte("来源"), []byte("转"), []byte("扩散"), []byte("from "), []byte("via ")}

// maxWrapper bounds a wrapper's length in bytes: a bracket that runs
// longer holds part of the plea.
const maxWrapper = 90

// wrapperSpans appends to skip the byte ranges of buf (normalised text)
// that are repost wrappers or phone numbers.
func wrapperSpans(buf []byte, skip []span) []span {
	for i := 0; i < len(buf); {
		c := buf[i]
		if c >= '0' && c <= '9' || c == '+' {
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
			if j == i {
				j++
			}
			i = j
			continue
		}
		if !mayStartWrapper(buf[i:]) {
			_, size := utf8.DecodeRune(buf[i:])
			i += size
			continue
		}
		if n := bracketWrapper(buf[i:]); n > 0 {
			skip = append(skip, span{int32(i), int32(i + n)})
			i += n
			continue
		}
		if n := markerClause(buf[i:]); n > 0 {
			skip = append(skip, span{int32(i), int32(i + n)})
			i += n
			continue
		}
		matched := false
		for _, w := range wrapperWords {
			if bytes.HasPrefix(buf[i:], w) {
				skip = append(skip, span{int32(i), int32(i + len(w))})
				i += len(w)
				matched = true
				break
			}
		}
		if !matched {
			_, size := utf8.DecodeRune(buf[i:])
			i += size
		}
	}
	return skip
}

// wrapperStarts holds the first two bytes of every wrapper word, marker
// clause and multi-byte bracket, and wrapperStartByte the one-byte
// brackets: most positions of a message start none, and are passed over
// with one table lookup instead of a comparison per wrapper.
var wrapperStarts, wrapperStartByte = func() (pairs [1 << 16 / 64]uint64, single [256 / 64]uint64) {
	starts := slices.Clone(wrapperWords)
	starts = append(starts, markerClauses...)
	for _, br := range wrapperBrackets {
		starts = append(starts, br[0])
	}
	for _, w := range starts {
		if len(w) == 1 {
			single[w[0]/64] |= 1 << (w[0] % 64)
			continue
		}
		k := uint16(w[0])<<8 | uint16(w[1])
		pairs[k/64] |= 1 << (k % 64)
	}
	return pairs, single
}()

// mayStartWrapper reports whether b could begin a wrapper word, a marker
// clause or a bracketed wrapper.
func mayStartWrapper(b []byte) bool {
	if wrapperStartByte[b[0]/64]&(1<<(b[0]%64)) != 0 {
		return true
	}
	if len(b) < 2 {
		return false
	}
	k := uint16(b[0])<<8 | uint16(b[1])
	return wrapperStarts[k/64]&(1<<(k%64)) != 0
}

// bracketWrapper returns the length of a bracketed wrapper at the start
// of b ("(转自业主群)", "【扩散】"), or 0.
func bracketWrapper(b []byte) int {
	for _, br := range wrapperBrackets {
		if !bytes.HasPrefix(b, br[0]) {
			continue
		}
		in := bytes.TrimLeft(b[len(br[0]):], " ")
		if !hasMarker(in) {
			return 0
		}
		end := bytes.Index(b, br[1])
		if end < 0 || end+len(br[1]) > maxWrapper {
			return 0
		}
		return end + len(br[1])
	}
	return 0
}

// markerClauses begin a source clause that runs to the next colon.
var markerClauses = [][]byte{[]byte("转自"), []byte("来源:"), []byte("来自")}

// markerClause returns the length of "转自浦东互助群:" at the start of b:
// a source marker up to the next colon, or 0 when there is none close by.
func markerClause(b []byte) int {
	for _, m := range markerClauses {
		if !bytes.HasPrefix(b, m) {
			continue
		}
		lim := min(len(b), maxWrapper/2)
		if i := bytes.IndexAny(b[:lim], ":,"); i > 0 {
			return i + 1
		}
		return 0
	}
	return 0
}

func hasMarker(b []byte) bool {
	for _, m := range wrapperMarkers {
		if bytes.HasPrefix(b, m) {
			return true
		}
	}
	return false
}

// contactLabels name a phone number before it.
var contactLabels = [][]byte{
	[]byte("联系电话"), []byte("联系方式"), []byte("电话"), []byte("手机号"), []byte("手机"), []byte("联系我"), []byte("联系人"), []byte("联系"),
	[]byte("tel"), []byte("phone"), []byte("call"), []byte("contact"),
}

// contactLabel returns where a phone number at buf[i:] starts with its
// label ("电话:138…" starts at "电话").
func contactLabel(buf []byte, i int) int {
	k := i
	for k > 0 && (buf[k-1] == ':' || buf[k-1] == ' ') {
		k--
	}
	for _, l := range contactLabels {
		if bytes.HasSuffix(buf[:k], l) {
			return k - len(l)
		}
	}
	return i
}
