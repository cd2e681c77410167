package cards_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

type names map[string]string

func (n names) ChatName(ref string) string {
	if s, ok := n[ref]; ok {
		return s
	}
	return ref
}

var render = cards.Renderer{Names: names{"test:intake": "互助1群", "test:vol": "李医生"}, Loc: time.UTC}

// plea is a case as intake makes it from text.
func plea(text string) *store.Case {
	a := triage.Default().Assess(text)
	return &store.Case{ID: 7, Text: text, Assessment: a, Category: a.Category, Urgency: a.Urgency, Phones: a.Phones,
		Status: store.StatusVerifying, SourceChat: "test:intake", Assignees: []string{"test:vol"},
		Created: time.Date(2026, 4, 10, 9, 5, 0, 0, time.UTC)}
}

func TestCardShowsPersonalDataOnlyUnmasked(t *testing.T) {
	c := plea("外婆突然昏迷不醒，叫不到救护车，闵行莘庄，电话13912345672")
	tests := []struct {
		p          cards.Privacy
		want, lack []string
	}{
		{cards.Unmasked, []string{"13912345672", "求助 #7", "互助1群 · 04-10 09:05", "负责人：@李医生", "/claim 7 also"}, nil},
		{cards.Masked, []string{"139****5672", "求助 #7"}, []string{"13912345672"}},
	}
	for _, tt := range tests {
		got := render.Card(c, "zh", tt.p)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("privacy %v: card lacks %q:\n%s", tt.p, w, got)
			}
		}
		for _, b := range tt.lack {
			if strings.Contains(got, b) {
				t.Errorf("privacy %v: card shows %q:\n%s", tt.p, b, got)
			}
		}
		if line := cards.Line(c, "zh", tt.p); tt.p == cards.Masked && strings.Contains(line, "13912345672") {
			t.Errorf("masked line shows the phone: %s", line)
		}
	}
}

func TestFinishedCardHasNoButtonsOrNextStep(t *testing.T) {
	c := plea("my mother ran out of insulin, call 13912340000")
	if b := cards.Buttons(c, "en"); len(b) != 1 || len(b[0]) != 4 || b[0][0].Data != "/claim 7 also" {
		t.Errorf("open case buttons %+v", b)
	}
	c.Status = store.StatusResolved
	if b := cards.Buttons(c, "en"); b != nil {
		t.Errorf("finished case has buttons %+v", b)
	}
	if got := render.Card(c, "en", cards.Unmasked); strings.Contains(got, "Next:") {
		t.Errorf("finished card offers a next step:\n%s", got)
	}
}

func TestPublicCardKeepsOnlyTheDistrict(t *testing.T) {
	c := plea("浦东新区张江路100弄5号楼1204室 独居老人断药三天，电话13812345678")
	got := cards.Public(c, "zh")
	for _, bad := range []string{"13812345678", "1204", "张江路100弄"} {
		if strings.Contains(got, bad) {
			t.Errorf("public card shows %q:\n%s", bad, got)
		}
	}
	if d := cards.District(c); d != "浦东新区" {
		t.Errorf("District = %q, want 浦东新区", d)
	}
}

func TestClip(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"外婆突然昏迷不醒", 4, "外婆突…"},
		{"abcdef", 6, "abcdef"},
	} {
		if got := cards.Clip(tt.s, tt.n); got != tt.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

// FuzzPublicCard: whatever a plea says, the public card never shows a
// phone number triage found in it.
func FuzzPublicCard(f *testing.F) {
	for _, s := range []string{
		"外婆突然昏迷不醒，叫不到救护车，闵行莘庄，电话13912345672",
		"My father had a stroke, 12 Oak Street, +1 415 555 0100",
		"急！浦东新区张江路100弄5号楼1204室 独居老人断药三天 13812345678 13812345678",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c := plea(text)
		got := cards.Public(c, "zh") + cards.Public(c, "en")
		for _, p := range c.Phones {
			if len(p) >= 7 && strings.Contains(got, p) {
				t.Fatalf("public card shows phone %q:\n%s", p, got)
			}
		}
	})
}
