package triage

import (
	"testing"
	"unicode/utf8"
)

// The normaliser's shortcuts must agree with foldRune, which lexicon
// patterns go through.
func TestFoldShortcuts(t *testing.T) {
	for b := rune(0); b < utf8.RuneSelf; b++ {
		f, c := foldRune(b)
		if got := asciiFold[b]; c == classKeep && rune(got) != f || c != classKeep && got != 0 {
			t.Errorf("asciiFold[%#x] = %q, foldRune says %q %d", b, got, f, c)
		}
	}
	for r := rune(hanLo); r <= hanHi; r++ {
		if f, c := foldRune(r); f != toSimplified(r) || c != classKeep {
			t.Fatalf("foldRune(%U) = %U %d, shortcut gives %U", r, f, c, toSimplified(r))
		}
	}
}
