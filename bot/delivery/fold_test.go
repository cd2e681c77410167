package delivery

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

func TestFoldLineCarriesWhatAVolunteerActsOn(t *testing.T) {
	long := strings.Repeat("很长的地址", 40)
	tests := []struct {
		name    string
		c       store.Case
		p       cards.Privacy
		want    []string
		notWant []string
	}{
		{"full", store.Case{ID: 7, Urgency: triage.Critical, Category: triage.CatMedicalEmergency, Address: "长宁新华路12号",
			Phones: []string{"13612345671", "+1 415 555 0100"}, Text: "老人心脏病发作"},
			cards.Unmasked, []string{"#7 ", "CRITICAL", "medical", "长宁新华路12号", "☎ 13612345671, +1 415 555 0100", "老人心脏病发作"}, nil},
		{"no place, no phone", store.Case{ID: 8, Urgency: triage.High, Category: triage.CatMedicalEmergency, Text: "help"},
			cards.Unmasked, []string{"#8 ", "HIGH", "place unknown", "no phone given"}, nil},
		{"masked outside coordination", store.Case{ID: 9, Urgency: triage.Critical, Address: "x",
			Phones: []string{"13612345671"}, Text: "call 13612345671"},
			cards.Masked, []string{"#9 ", "☎ "}, []string{"13612345671"}},
		{"long place clipped, phone kept", store.Case{ID: 10, Urgency: triage.Critical, Address: long,
			Phones: []string{"13612345671"}, Text: strings.Repeat("水", 500)},
			cards.Unmasked, []string{"☎ 13612345671"}, []string{long}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := FoldLine(&tt.c, "en", tt.p)
			for _, w := range tt.want {
				if !strings.Contains(l, w) {
					t.Errorf("line lacks %q: %s", w, l)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(l, w) {
					t.Errorf("line has %q: %s", w, l)
				}
			}
			if strings.Contains(l, "\n") {
				t.Errorf("line spans lines: %q", l)
			}
			if n := utf8.RuneCountInString(l); n > 250 {
				t.Errorf("line of %d runes", n)
			}
		})
	}
}

func TestPackFoldsKeepsBudgetOrderAndLeavesTheRest(t *testing.T) {
	overhead := func(n int) int { return 20 }
	line := strings.Repeat("x", 99) // 100 with its newline
	lines := make([]string, 25)
	for i := range lines {
		lines[i] = line
	}
	tests := []struct {
		name              string
		budget, maxMsgs   int
		wantMsgs, wantOut int
	}{
		{"all fit in three", 1000, 5, 3, 25},    // 9 per message (900+20 ≤ 1000)
		{"limited by messages", 1000, 2, 2, 18}, // the rest wait for the next fold
		{"line over budget still goes", 50, 3, 3, 3},
		{"one message", 100000, 1, 1, 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groups := packFolds(lines, tt.budget, tt.maxMsgs, overhead)
			if len(groups) != tt.wantMsgs {
				t.Fatalf("%d messages, want %d", len(groups), tt.wantMsgs)
			}
			out := 0
			for _, g := range groups {
				size := overhead(len(g))
				for _, l := range g {
					size += utf8.RuneCountInString(l) + 1
				}
				if size > tt.budget && len(g) > 1 {
					t.Errorf("group of %d lines is %d runes, budget %d", len(g), size, tt.budget)
				}
				out += len(g)
			}
			if out != tt.wantOut {
				t.Errorf("%d lines folded, want %d", out, tt.wantOut)
			}
		})
	}
}

func FuzzPackFolds(f *testing.F) {
	f.Add("a\nbb\nccc", 10, 2)
	f.Fuzz(func(t *testing.T, text string, budget, maxMsgs int) {
		if maxMsgs < 1 || maxMsgs > 100 {
			return
		}
		lines := strings.Split(text, "\n")
		groups := packFolds(lines, budget, maxMsgs, func(int) int { return 3 })
		if len(groups) > maxMsgs {
			t.Fatalf("%d groups, max %d", len(groups), maxMsgs)
		}
		i := 0
		for _, g := range groups {
			if len(g) == 0 {
				t.Fatal("empty group")
			}
			for _, l := range g {
				if l != lines[i] {
					t.Fatalf("line %d out of order", i)
				}
				i++
			}
		}
	})
}
