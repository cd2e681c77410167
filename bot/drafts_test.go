package bot_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot/asker"
	"github.com/lifeline-aid/lifeline/store"
)

// Details sent privately without a request wait for the person to say what
// is needed; if they never do, the volunteers get them anyway, and the
// person is told. A request in time takes the details with it instead.
func TestUnansweredDetailsReachTheVolunteers(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	mustContain(t, h.say("[@Tom] Tom: the old couple at 9 Park Road are still there, 07700 900123"), "What do you need help with?")
	if n := h.countCases(); n != 0 {
		t.Fatalf("%d cases at once, want the details kept for the request", n)
	}
	h.advance(asker.DraftWait - time.Minute)
	if n, err := h.e.RunDueDrafts(ctx); err != nil || n != 0 {
		t.Fatalf("before the wait: %d, %v", n, err)
	}
	h.advance(time.Minute)
	n, err := h.e.RunDueDrafts(ctx)
	if err != nil || n != 1 {
		t.Fatalf("after the wait: %d, %v", n, err)
	}
	out := h.flush()
	mustContain(t, out, "[@Tom] lifeline: I have passed what you sent me to the volunteers as request #1")
	c := h.caseByID(1)
	if c.Asker != "console:Tom" || c.Urgency.String() != "normal" || c.Text != "the old couple at 9 Park Road are still there, 07700 900123" || c.Status != store.StatusNew {
		t.Fatalf("case #1: %s %s %q %s", c.Asker, c.Urgency, c.Text, c.Status)
	}
	mustContain(t, h.say("[volunteers] admin: /cases"), "#1", "9 Park Road")
	// Once only, and what Tom says next fills that case.
	if n, _ := h.e.RunDueDrafts(ctx); n != 0 {
		t.Fatalf("passed on twice")
	}
	h.say("[@Tom] Tom: they are both over 80 and have no food")
	if n := h.countCases(); n != 1 {
		t.Fatalf("%d cases after Tom's follow-up, want 1", n)
	}
	mustContain(t, h.caseByID(1).Text, "no food")
}

func TestDetailsFollowedByARequestAreNotPassedOnTwice(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.say("[@Ann] Ann: 07700 900456, 14 Mill Lane")
	h.advance(2 * time.Minute)
	mustContain(t, h.say("[@Ann] Ann: my mother ran out of insulin two days ago"), "#1")
	h.advance(asker.DraftWait)
	if n, err := h.e.RunDueDrafts(ctx); err != nil || n != 0 {
		t.Fatalf("details already in a request passed on again: %d, %v", n, err)
	}
	c := h.caseByID(1)
	if len(c.Phones) == 0 {
		t.Errorf("the request lost the phone sent before it: %+v", c.Phones)
	}
	// A map pin alone waits the same way.
	h.sayMedia("[@Bo] Bo: [location 31.23,121.47 浦东川沙]")
	h.advance(asker.DraftWait)
	if n, err := h.e.RunDueDrafts(ctx); err != nil || n != 1 {
		t.Fatalf("a lone map pin: %d, %v", n, err)
	}
	if c := h.caseByID(2); c.Location == nil {
		t.Errorf("case #2 has no map pin")
	}
}

// BenchmarkRunDueDrafts is the 30-second scan with 10,000 people who have
// talked to the bot (one in ten with details waiting, none due yet): what
// the check costs when there is nothing to pass on.
func BenchmarkRunDueDrafts(b *testing.B) {
	h := newHarness(b)
	ctx := context.Background()
	if err := h.st.Update(ctx, func(tx *store.Tx) error {
		for i := range 10000 {
			conv := `{"case":` + strconv.Itoa(i+1) + `}`
			if i%10 == 0 {
				conv = `{"draft":"07700 900123","draft_at":"` + h.now().Format(time.RFC3339) + `"}`
			}
			if err := tx.PutState("conv:console:p"+strconv.Itoa(i), []byte(conv)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if n, err := h.e.RunDueDrafts(ctx); err != nil || n != 0 {
			b.Fatalf("%d, %v", n, err)
		}
	}
}
