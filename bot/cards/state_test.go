package cards_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// The next-step line and the buttons follow the case's state.
func TestCardFollowsState(t *testing.T) {
	for _, tc := range []struct {
		status    store.Status
		held      bool
		next      string
		buttons   []string
		notOnCard string
	}{
		{store.StatusNew, false, "Next: /claim 7 to take it", []string{"/claim 7", "/verify 7", "/resolve 7", "/room 7"}, "also"},
		{store.StatusVerifying, true, "Next: the holder calls the asker, then /verify 7 · /claim 7 also", []string{"/claim 7 also", "/verify 7", "/resolve 7", "/room 7"}, "/claim 7 to take it"},
		{store.StatusVerified, true, "Next: /status 7 in_progress when help is on the way", []string{"/claim 7 also", "/status 7 in_progress", "/resolve 7", "/room 7"}, "/verify 7"},
		{store.StatusInProgress, true, "Next: /note 7 to log progress · /resolve 7 when done", []string{"/claim 7 also", "/resolve 7", "/room 7"}, "/verify 7"},
		{store.StatusResolved, true, "Finished. /reopen 7", nil, "Next:"},
	} {
		t.Run(string(tc.status), func(t *testing.T) {
			c := plea("my mother ran out of insulin, call 13912340000")
			c.Status = tc.status
			if !tc.held {
				c.Assignees = nil
			}
			card := render.Card(c, "en", cards.Unmasked)
			if !strings.Contains(card, tc.next) {
				t.Errorf("card lacks %q:\n%s", tc.next, card)
			}
			if strings.Contains(card, tc.notOnCard) {
				t.Errorf("card has %q:\n%s", tc.notOnCard, card)
			}
			var got []string
			for _, row := range cards.Buttons(c, "en") {
				for _, b := range row {
					got = append(got, b.Data)
				}
			}
			if strings.Join(got, "|") != strings.Join(tc.buttons, "|") {
				t.Errorf("buttons %v, want %v", got, tc.buttons)
			}
		})
	}
}

// The reason line does not keep the old level after a change.
func TestCardShowsUrgencyChanges(t *testing.T) {
	c := plea("外婆突然昏迷不醒，叫不到救护车，闵行莘庄，电话13912345672")
	c.Urgency = triage.High
	c.Override = &store.Override{From: "critical", To: "high", Reason: "家属说已经醒了", By: "test:vol", At: time.Now()}
	mustHave(t, render.Card(c, "zh", cards.Unmasked), "判断依据：昏迷 + 叫不到救护车 + 外婆 → critical", "协调员调整：critical → high，原因：家属说已经醒了")

	c = plea("外婆降压药快吃完了，闵行莘庄，电话13912345672")
	c.Urgency = triage.Critical
	mustHave(t, render.Card(c, "en", cards.Unmasked), "Now critical: raised by a later message (see /case 7)")
	c.Urgency = c.Assessment.Urgency
	if got := render.Card(c, "en", cards.Unmasked); strings.Contains(got, "Now ") || strings.Contains(got, "Coordinator set") {
		t.Errorf("unchanged urgency explained:\n%s", got)
	}
}

// The latest addition and the links show on the card.
func TestCardShowsLatestAdditionAndLinks(t *testing.T) {
	c := plea("外婆昏迷不醒，叫不到救护车，闵行莘庄，电话13912345672")
	c.SourceCount = 2
	c.Latest = &store.Source{Kind: store.SourceUpdate, At: time.Date(2026, 12, 4, 2, 53, 0, 0, time.UTC), Text: "外婆还是没醒，救护车还没来，电话13912345672"}
	c.Links = []store.CaseLink{{Case: 4, Reason: "similar text"}, {Case: 6, Reason: "same contact"}}
	mustHave(t, render.Card(c, "zh", cards.Unmasked), "补充 12-04 02:53：外婆还是没醒，救护车还没来", "关联：与 #6 联系人相同 · 与 #4 内容相似")
	masked := render.Card(c, "zh", cards.Masked)
	if strings.Contains(masked, "13912345672") {
		t.Errorf("masked card shows the phone of the addition:\n%s", masked)
	}
	c.Latest.Kind = store.SourceFirst
	if got := render.Card(c, "zh", cards.Unmasked); strings.Contains(got, "补充") {
		t.Errorf("first message shown as an addition:\n%s", got)
	}
}

func mustHave(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("card lacks %q:\n%s", w, got)
		}
	}
}
