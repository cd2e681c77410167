package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/triage"
)

func escalations(t *testing.T, h *harness) int {
	t.Helper()
	n, err := h.e.RunDueEscalations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUnclaimedCriticalCaseIsNudgedThenSentToAdmins(t *testing.T) {
	h := newHarness(t)
	h.say("[@admin] admin: /start")
	setUpTeam(t, h) // case #1, critical, at 09:00
	h.advance(9*time.Minute + 59*time.Second)
	if n := escalations(t, h); n != 0 {
		t.Fatalf("escalated %d cases before the 10 minutes", n)
	}
	h.advance(time.Second)
	if n := escalations(t, h); n != 1 {
		t.Fatalf("escalated %d cases at 10 minutes, want 1", n)
	}
	out := h.flush()
	mustContain(t, out, "[volunteers] lifeline: ⏰ Nobody has claimed this for 10 minutes: #1", "13912345672", "/claim 1 to take it")
	if strings.Count(out, "⏰") != 1 {
		t.Errorf("want one short nudge, got:\n%s", out)
	}
	mustNotContain(t, out, "[@admin]")
	// No repeat before the next stage.
	h.advance(5 * time.Minute)
	if n := escalations(t, h); n != 0 {
		t.Errorf("escalated again after 15 minutes: %d", n)
	}
	h.advance(5 * time.Minute)
	if n := escalations(t, h); n != 1 {
		t.Fatalf("escalated %d cases at 20 minutes, want 1 (to the admins)", n)
	}
	out = h.flush()
	mustContain(t, out, "[@admin] lifeline: ⚙ Case #1 is still unclaimed after 20 minutes")
	mustNotContain(t, out, "[volunteers]")
	// And then it stays quiet: the team knows.
	h.advance(time.Hour)
	if n := escalations(t, h); n != 0 {
		t.Errorf("escalated %d more times after the admins were told", n)
	}
}

func TestClaimStopsEscalation(t *testing.T) {
	h := newHarness(t)
	h.say("[@admin] admin: /start")
	setUpTeam(t, h)
	h.advance(10 * time.Minute)
	if n := escalations(t, h); n != 1 {
		t.Fatalf("escalated %d, want the nudge", n)
	}
	mustContain(t, h.say("[volunteers] vol: /claim 1"), "Case #1 is yours")
	h.advance(time.Hour)
	if n := escalations(t, h); n != 0 {
		t.Errorf("claimed case escalated %d times", n)
	}
	mustNotContain(t, h.flush(), "still unclaimed")
}

func TestHighCaseWaitsLongerAndZeroTurnsEscalationOff(t *testing.T) {
	h := newHarness(t)
	mustContain(t, h.say("[intake] Ann: my mother ran out of insulin two days ago, call 13912340000"), "")
	h.advance(29 * time.Minute)
	if n := escalations(t, h); n != 0 {
		t.Fatalf("high case escalated after 29 minutes")
	}
	h.advance(time.Minute)
	if n := escalations(t, h); n != 1 {
		t.Fatalf("high case escalated %d times at 30 minutes, want 1", n)
	}
	off := newHarness(t, func(o *bot.Options) {
		o.Workflow.EscalateAfter = map[triage.Urgency]time.Duration{triage.Critical: 0}
	})
	off.say(critical)
	off.advance(24 * time.Hour)
	if n := escalations(t, off); n != 0 {
		t.Errorf("escalation turned off still escalated %d", n)
	}
}
