package triage

import (
	"bytes"
	"math/bits"
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

// stripForward removes repost prefixes: "转发:", "【转】", "Fwd:", "RT @x:".
func stripForward(b []byte) []byte {
	for {
		b = bytes.TrimLeft(b, " :,.!-\"'[]")
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
// scripts whole words. Counting uses 16-bit lanes packed four to a uint64
// (SWAR), so each feature costs 16 additions instead of 64 branches.
func fingerprint(buf []byte, skip []span) uint64 {
	b := stripForward(buf)
	off := int32(len(buf) - len(b)) // skip spans are offsets into buf
	si := 0
	var acc [16]uint64 // lane k of acc[i] counts bit 4*i+k
	total := 0
	add := func(h uint64) {
		h = mix(h)
		for i := range acc {
			acc[i] += nibbleLanes[(h>>(4*i))&0xF]
		}
		total++
	}
	var prev rune
	havePrev := false
	wordStart := -1
	var wordHash uint64
	for i := 0; i < len(b) && total < 4096; {
		for si < len(skip) && skip[si].end <= int32(i)+off {
			si++
		}
		if si < len(skip) && skip[si].start <= int32(i)+off {
			i = int(skip[si].end - off)
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case isHan(r):
			if wordStart >= 0 {
				add(wordHash)
				wordStart = -1
			}
			add(uint64(r))
			if havePrev {
				add(uint64(prev)<<21 | uint64(r))
			}
			prev, havePrev = r, true
		case isWordRune(r):
			if wordStart < 0 {
				wordStart, wordHash = i, 14695981039346656037
			}
			wordHash = (wordHash ^ uint64(r)) * 1099511628211
			havePrev = false
		default:
			if wordStart >= 0 {
				add(wordHash)
				wordStart = -1
			}
			// Punctuation and spaces do not break Han bigrams: "急需，透析"
			// and "急需透析" are the same plea.
		}
		i += size
	}
	if wordStart >= 0 {
		add(wordHash)
	}
	if total == 0 {
		return 0
	}
	var fp uint64
	for i, a := range acc {
		for k := 0; k < 4; k++ {
			if int(a>>(16*k)&0xFFFF)*2 > total {
				fp |= 1 << (4*i + k)
			}
		}
	}
	return fp
}

// nibbleLanes[n] puts bit k of n into 16-bit lane k.
var nibbleLanes = func() (t [16]uint64) {
	for n := range t {
		for k := 0; k < 4; k++ {
			if n>>k&1 == 1 {
				t[n] |= 1 << (16 * k)
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
