package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
)

// throttleCounter is a countingObserver that also counts throttled answers.
type throttleCounter struct {
	countingObserver
	tmu       sync.Mutex
	throttled map[string]int
}

func (o *throttleCounter) Throttled(scope string) {
	o.tmu.Lock()
	defer o.tmu.Unlock()
	o.throttled[scope]++
}

// 10,000 /help from one person in an intake group get a handful of answers
// and one notice, and delay another person's critical alert by seconds.
func TestSpamFromOneSenderDelaysAnAlertBySecondsOnly(t *testing.T) {
	obs := &throttleCounter{countingObserver: countingObserver{messages: map[string]int{}, requests: map[string]int{}}, throttled: map[string]int{}}
	h, f := newFakeHarness(t, telegramLike, func(o *bot.Options) {
		o.Groups = []bot.GroupBinding{{Chat: "fake:intake", Role: store.RoleIntake},
			{Chat: "fake:group1", Role: store.RoleCoordination}}
		o.Observer = obs
	})
	ctx := context.Background()
	handle := func(id, sender, text string) {
		t.Helper()
		m := bot.Message{Chat: "fake:intake", ID: id, Sender: sender, SenderName: strings.TrimPrefix(sender, "fake:"), Text: text, Time: h.now()}
		if err := h.e.HandleMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	const spam = 10000
	start := h.now()
	for i := range spam {
		handle(fmt.Sprint("s", i), "fake:spammer", "/help")
		h.advance(10 * time.Millisecond) // 100 messages a second
		if i%50 == 49 {
			if _, err := h.e.DeliverDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	pleaAt := h.now()
	handle("plea", "fake:victim", "My father had a stroke, face drooping, can't speak, 12 Oak Street, +1 415 555 0100")
	var alertAt time.Time
	for range 10000 {
		wait, err := h.e.DeliverDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range f.sends() {
			if s.m.Chat == "fake:group1" && strings.Contains(s.m.Text, "0100") {
				alertAt = s.at
			}
		}
		if !alertAt.IsZero() {
			break
		}
		h.advance(max(wait, 100*time.Millisecond))
	}
	if alertAt.IsZero() {
		t.Fatal("the critical alert never went out")
	}
	answers, notices := pending(t, h), 0 // answers still queued count too
	for _, s := range f.sends() {
		if s.m.Chat == "fake:intake" {
			answers++
			if strings.Contains(s.m.Text, "faster than I can answer") {
				notices++
			}
		}
	}
	// The notice may still wait behind the answers in the group's budget.
	if err := h.st.View(ctx, func(tx *store.Tx) error {
		queued, err := tx.DueOutbox(h.now().Add(24*time.Hour), 10000)
		for _, it := range queued {
			if it.Chat == "fake:intake" && strings.Contains(string(it.Payload), "faster than I can answer") {
				notices++
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	delay := alertAt.Sub(pleaAt)
	obs.tmu.Lock()
	throttled := obs.throttled["sender"]
	obs.tmu.Unlock()
	t.Logf("%d /help in %v: %d answers (%d notices), %d throttled; critical alert %v after the plea",
		spam, pleaAt.Sub(start), answers, notices, throttled, delay)
	if delay > 10*time.Second {
		t.Errorf("critical alert went out %v after the plea, want seconds", delay)
	}
	if notices != 1 {
		t.Errorf("%d throttle notices to the spammer in 100 s, want 1", notices)
	}
	// Burst of 20, then 20 a minute over 100 s: about 53 answers.
	if answers > 60 {
		t.Errorf("%d answers to 10,000 commands", answers)
	}
	if throttled < spam-60 {
		t.Errorf("%d counted as throttled", throttled)
	}
}

// A plea is never throttled: a person over their limit who writes privately
// for help still has their case recorded and alerted.
func TestThrottledSenderPleaIsStillRecordedAndAlerted(t *testing.T) {
	h := newHarness(t, func(o *bot.Options) {
		o.Throttle = bot.ThrottleOptions{SenderPerMinute: 2}
	})
	for range 10 {
		h.say("[@tom] tom: /help")
	}
	if strings.Count(h.out.String(), "faster than I can answer") != 1 {
		t.Errorf("want one notice, got:\n%s", h.out.String())
	}
	out := h.say("[@tom] tom: My father had a stroke, face drooping, can't speak, 12 Oak Street, +1 415 555 0100")
	if h.countCases() != 1 {
		t.Fatalf("%d cases after a throttled sender's plea", h.countCases())
	}
	mustContain(t, out, "555 0100") // the alert in the coordination chat
	// Commands from someone else are still answered.
	mustContain(t, h.say("[@ann] ann: /help"), "/help")
}
