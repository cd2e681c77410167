package commands

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text, name, bot, rest string
		args                  []string
	}{
		{"/claim 3", "claim", "", "3", []string{"3"}},
		{"/Claim@LifelineBot #3", "claim", "LifelineBot", "#3", []string{"#3"}},
		{"  /note 3 called   twice ", "note", "", "3 called   twice", []string{"3", "called", "twice"}},
		{"/help", "help", "", "", nil},
		{"/note\n3 multi-line", "note", "", "3 multi-line", []string{"3", "multi-line"}},
	}
	for _, tt := range tests {
		name, bot, rest, args := parseCommand(tt.text)
		if name != tt.name || bot != tt.bot || rest != tt.rest || !slices.Equal(args, tt.args) {
			t.Errorf("parseCommand(%q) = %q, %q, %q, %q; want %q, %q, %q, %q", tt.text, name, bot, rest, args, tt.name, tt.bot, tt.rest, tt.args)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"/claim 3", "/x@bot a b", "/", "/\n", "/note 3 \xff", "/状态 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		name, _, rest, args := parseCommand(text)
		if strings.ContainsAny(name, " \n@") {
			t.Fatalf("name %q has a separator", name)
		}
		if utf8.ValidString(text) && !utf8.ValidString(rest) {
			t.Fatalf("rest %q split a rune", rest)
		}
		for _, a := range args {
			if a == "" || strings.ContainsAny(a, " \n\t") {
				t.Fatalf("bad arg %q", a)
			}
		}
	})
}
