package triage

import (
	"sort"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

//go:generate go run ./internal/gen/t2s -out t2s_table.go

// MaxRunes caps how much of a message is analysed. Real pleas are far
// shorter; the cap bounds work on pathological input (a 1 MB paste, ten
// thousand emoji) so one message can never stall the bot.
const MaxRunes = 4000

// hanLo..hanHi is the dense part of the Traditional→Simplified table: the
// CJK Extension A and Unified Ideographs blocks hold almost every pair, so a
// flat array lookup replaces a binary search for the common case.
const (
	hanLo = 0x3400
	hanHi = 0x9FFF
)

// t2sDense maps rune-hanLo to its Simplified form, 0 when unchanged.
// Built once at init from the generated pairs and never written again.
var t2sDense = func() []rune {
	d := make([]rune, hanHi-hanLo+1)
	for _, p := range t2sPairs {
		if p[0] >= hanLo && p[0] <= hanHi {
			d[p[0]-hanLo] = p[1]
		}
	}
	for _, p := range yuePairs {
		d[p[0]-hanLo] = p[1]
	}
	return d
}()

// yuePairs folds the function characters of written Cantonese (Hong Kong
// chat) to their Mandarin counterparts, one character for one, so the zh
// patterns read 冇水冇飯 as 没水没饭 and 叫極都唔應 as 叫极都不应. Only
// characters that Mandarin text does not use otherwise are listed; the
// table is script folding like t2s, not vocabulary, and costs nothing per
// rune (it is merged into the dense table).
var yuePairs = [...][2]rune{
	{'冇', '没'}, {'唔', '不'}, {'佢', '他'}, {'喺', '在'}, {'咗', '了'},
	{'嘅', '的'}, {'哋', '们'}, {'嚟', '来'}, {'啲', '些'}, {'睇', '看'},
	{'搵', '找'}, {'揾', '找'}, {'攞', '拿'}, {'冧', '塌'}, {'瞓', '睡'},
	{'嗰', '那'}, {'喐', '动'},
}

// toSimplified folds one Traditional (or Taiwan/Hong Kong variant)
// character to Simplified; other runes are returned unchanged.
func toSimplified(r rune) rune {
	if r >= hanLo && r <= hanHi {
		if s := t2sDense[r-hanLo]; s != 0 {
			return s
		}
		return r
	}
	if r < 0x2E80 {
		return r
	}
	i := sort.Search(len(t2sPairs), func(i int) bool { return t2sPairs[i][0] >= r })
	if i < len(t2sPairs) && t2sPairs[i][0] == r {
		return t2sPairs[i][1]
	}
	return r
}

// isHan reports whether r is a CJK ideograph (the script of zh patterns).
func isHan(r rune) bool {
	if r >= hanLo && r <= hanHi {
		return true
	}
	return r >= 0x20000 && unicode.Is(unicode.Han, r) || r >= 0xF900 && r <= 0xFAFF
}

// runeClass is what the normaliser does with a rune.
type runeClass uint8

const (
	classDrop  runeClass = iota // invisible joiners, variation selectors
	classSpace                  // whitespace, emoji, symbols: a soft separator
	classKeep                   // letters, digits, punctuation
)

// foldRune maps one input rune to its matching form: full-width to ASCII,
// Traditional to Simplified, upper to lower case, CJK punctuation to ASCII,
// and classifies emoji and symbols as separators. Lexicon patterns go
// through the same function, so both sides always agree.
func foldRune(r rune) (rune, runeClass) {
	if r < utf8.RuneSelf {
		switch {
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A'), classKeep
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f':
			return ' ', classSpace
		case r < ' ' || r == 0x7f:
			return ' ', classSpace
		}
		return r, classKeep
	}
	switch {
	case r == utf8.RuneError:
		return ' ', classSpace
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		r -= 0xFEE0
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r, classKeep
	case r >= 0xFF00 && r <= 0xFFEF: // half-width katakana, full-width signs
		if n := width.LookupRune(r).Narrow(); n != 0 {
			r = n
		}
		return r, classKeep
	case r == 0x3000:
		return ' ', classSpace
	case r == 0x200B || r == 0x200C || r == 0x200D || r == 0x2060 || r == 0xFEFF ||
		r >= 0xFE00 && r <= 0xFE0F || r >= 0xE0100 && r <= 0xE01EF ||
		r >= 0x1F3FB && r <= 0x1F3FF: // zero-width, variation selectors, skin tones
		return 0, classDrop
	}
	if isHan(r) {
		return toSimplified(r), classKeep
	}
	switch r {
	case '〇':
		// The ideographic zero, as in 二〇二二 and phone numbers spelt
		// out (一三八〇…): the same digit as 零, and a Han character.
		return '零', classKeep
	case '，', '、', '､':
		return ',', classKeep
	case '。', '｡':
		return '.', classKeep
	case '！':
		return '!', classKeep
	case '？':
		return '?', classKeep
	case '；':
		return ';', classKeep
	case '：':
		return ':', classKeep
	case '【', '〔', '［', '〖':
		return '[', classKeep
	case '】', '〕', '］', '〗':
		return ']', classKeep
	case '“', '”', '「', '」', '『', '』', '《', '》', '〈', '〉', '„':
		return '"', classKeep
	case '‘', '’', '‚', '′':
		return '\'', classKeep
	case '—', '–', '－', '―', '‐', '‑':
		return '-', classKeep
	case '…':
		return '.', classKeep
	case '●', '○', '•', '·', '★', '☆':
		// ● is a common upstream phone mask (●●●); keep it visible to the
		// phone scanner rather than treating it as emoji noise.
		if r == '●' {
			return r, classKeep
		}
		return ' ', classSpace
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
		return unicode.ToLower(r), classKeep
	}
	if unicode.IsPunct(r) {
		return r, classKeep
	}
	// Symbols, emoji, private use, anything else: noise between words.
	return ' ', classSpace
}

// asciiFold is foldRune for ASCII: the folded byte, or 0 for a separator.
var asciiFold = func() (t [utf8.RuneSelf]byte) {
	for b := range t {
		if f, c := foldRune(rune(b)); c == classKeep {
			t[b] = byte(f)
		}
	}
	return t
}()

// normalize appends the matching form of text to dst and returns it.
// Whitespace and noise collapse to one space, and disappear between two
// Han characters (Chinese needs no spaces, and "透 析" or "透🙏析" should
// still read 透析). At most MaxRunes runes are read.
func normalize(dst []byte, text string) []byte {
	dst, _, _ = normalizeCount(dst, text)
	return dst
}

// normalizeCount is normalize that also counts Han characters and Latin
// letters, so language detection needs no second pass.
func normalizeCount(dst []byte, text string) (out []byte, han, latin int) {
	pending := false
	prevHan := false
	n := 0
	for i := 0; i < len(text) && n < MaxRunes; {
		if b := text[i]; b < utf8.RuneSelf {
			// ASCII, most of any text: foldRune by table.
			i++
			n++
			f := asciiFold[b]
			if f == 0 {
				pending = len(dst) > 0
				continue
			}
			if pending {
				dst = append(dst, ' ')
			}
			pending, prevHan = false, false
			if f >= 'a' && f <= 'z' {
				latin++
			}
			dst = append(dst, f)
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		n++
		var f rune
		var c runeClass
		if r >= hanLo && r <= hanHi {
			// foldRune's answer for the common ideographs, without the
			// checks ahead of it that never match them.
			f, c = toSimplified(r), classKeep
		} else {
			f, c = foldRune(r)
		}
		switch c {
		case classDrop:
			continue
		case classSpace:
			pending = len(dst) > 0
			continue
		}
		isH := f >= utf8.RuneSelf && isHan(f)
		if pending && !(isH && prevHan) {
			dst = append(dst, ' ')
		}
		pending = false
		prevHan = isH
		if f < utf8.RuneSelf {
			if f >= 'a' && f <= 'z' {
				latin++
			}
			dst = append(dst, byte(f))
			continue
		}
		if isH {
			han++
		}
		dst = utf8.AppendRune(dst, f)
	}
	return dst, han, latin
}

// normalizeString is normalize for lexicon patterns and tests.
func normalizeString(s string) string { return string(normalize(nil, s)) }
