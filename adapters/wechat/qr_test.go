package wechat

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// The encoder was checked once by decoding its output (versions 1 to 6)
// with an independent QR reader; these tests pin the parts that matter.

func TestReedSolomonKnownVector(t *testing.T) {
	// "HELLO WORLD" at 1-M, from the worked example in the QR literature.
	data := []byte{32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17}
	want := []byte{196, 35, 39, 119, 235, 215, 231, 226, 93, 23}
	if got := rsRemainder(data, rsDivisor(10)); !slices.Equal(got, want) {
		t.Errorf("ecc = %v, want %v", got, want)
	}
}

func TestQRText(t *testing.T) {
	text, err := qrText("https://login.weixin.qq.com/l/4ZHkO2y-pw==")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	// Version 3 is 29 modules; 2 quiet modules each side; two rows a line.
	if len(lines) != 17 {
		t.Errorf("%d lines, want 17", len(lines))
	}
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n != 33 {
			t.Fatalf("line of %d columns, want 33: %q", n, l)
		}
	}
	// Rows 0 and 1 of the top-left finder: dark across, then dark, five
	// light, dark (light modules are the blocks).
	if !strings.HasPrefix(lines[1], "██ ▄▄▄▄▄ ") {
		t.Errorf("finder pattern missing: %q", lines[1])
	}
	if _, err := qrText(strings.Repeat("x", 200)); err == nil {
		t.Error("over-long text encoded")
	}
}
