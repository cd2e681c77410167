package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
)

// fakePlatform records every send with the engine's clock and can fail
// chosen sends.
type fakePlatform struct {
	mu     sync.Mutex
	name   string
	limits bot.Limits
	now    func() time.Time
	sent   []sentMsg
	calls  int
	// fail, when set, may turn call n (1-based) into an error.
	fail func(n int, m bot.OutMessage) error
}

type sentMsg struct {
	at time.Time
	m  bot.OutMessage
}

func (f *fakePlatform) Name() string       { return f.name }
func (f *fakePlatform) Limits() bot.Limits { return f.limits }
func (f *fakePlatform) Send(ctx context.Context, m bot.OutMessage) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		if err := f.fail(f.calls, m); err != nil {
			return "", err
		}
	}
	f.sent = append(f.sent, sentMsg{at: f.now(), m: m})
	return fmt.Sprint(len(f.sent)), nil
}

func (f *fakePlatform) sends() []sentMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentMsg(nil), f.sent...)
}

var telegramLike = bot.Limits{
	Global:     bot.Rate{N: 30, Period: time.Second},
	PerGroup:   bot.Rate{N: 20, Period: time.Minute},
	PerPrivate: bot.Rate{N: 1, Period: time.Second},
}

func newFakeHarness(t *testing.T, limits bot.Limits, tweak ...func(*bot.Options)) (*harness, *fakePlatform) {
	t.Helper()
	h := newHarness(t, append([]func(*bot.Options){func(o *bot.Options) {
		o.Groups = append(o.Groups,
			bot.GroupBinding{Chat: "fake:group1", Role: store.RoleCoordination},
			bot.GroupBinding{Chat: "fake:group2", Role: store.RoleCoordination})
	}}, tweak...)...)
	f := &fakePlatform{name: "fake", limits: limits, now: h.now}
	h.e.AddPlatform(f)
	return h, f
}

// enqueue puts n plain messages for chat straight into the outbox.
func enqueueN(t *testing.T, h *harness, chat string, n int) {
	t.Helper()
	err := h.st.Update(context.Background(), func(tx *store.Tx) error {
		for i := range n {
			payload, _ := json.Marshal(bot.OutMessage{Chat: chat, Text: fmt.Sprintf("msg %d", i)})
			it := store.OutboxItem{Chat: chat, Kind: "reply", Payload: payload, NextAt: h.now(), Created: h.now()}
			if _, err := tx.Enqueue(&it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// deliverAll runs delivery passes, moving the clock to whenever the next
// send is allowed, until the outbox is empty or the step budget runs out.
func deliverAll(t *testing.T, h *harness, maxSteps int) {
	t.Helper()
	for range maxSteps {
		wait, err := h.e.DeliverDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if pending(t, h) == 0 {
			return
		}
		if wait <= 0 {
			wait = 100 * time.Millisecond
		}
		h.advance(wait)
	}
	t.Fatalf("outbox still has %d messages after %d passes", pending(t, h), maxSteps)
}

func pending(t *testing.T, h *harness) int {
	t.Helper()
	var n int
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		n, err = tx.PendingOutbox()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// maxInWindow is the most sends to chat ("" = all) inside any window of d.
func maxInWindow(sends []sentMsg, chat string, d time.Duration) int {
	var times []time.Time
	for _, s := range sends {
		if chat == "" || s.m.Chat == chat {
			times = append(times, s.at)
		}
	}
	best := 0
	for i := range times {
		n := 0
		for j := i; j < len(times) && times[j].Sub(times[i]) < d; j++ {
			n++
		}
		best = max(best, n)
	}
	return best
}

func TestOutboxFloodKeepsEveryLimitAndLosesNothing(t *testing.T) {
	h, f := newFakeHarness(t, telegramLike)
	enqueueN(t, h, "fake:group1", 70)
	enqueueN(t, h, "fake:group2", 70)
	enqueueN(t, h, "fake:555", 5) // a private chat: 1 per second
	if err := h.st.Update(context.Background(), func(tx *store.Tx) error {
		return tx.PutChat(&store.Chat{Ref: "fake:555", Role: store.RolePrivate, Active: true})
	}); err != nil {
		t.Fatal(err)
	}
	deliverAll(t, h, 10_000)

	sends := f.sends()
	if len(sends) != 145 {
		t.Fatalf("delivered %d messages, want 145", len(sends))
	}
	seen := map[string]bool{}
	for _, s := range sends {
		key := s.m.Chat + "/" + s.m.Text
		if seen[key] {
			t.Errorf("%s delivered twice", key)
		}
		seen[key] = true
	}
	for _, chat := range []string{"fake:group1", "fake:group2"} {
		if n := maxInWindow(sends, chat, time.Minute); n > 20 {
			t.Errorf("%s got %d messages in one minute, limit 20", chat, n)
		}
	}
	if n := maxInWindow(sends, "fake:555", time.Second); n > 1 {
		t.Errorf("private chat got %d messages in one second, limit 1", n)
	}
	if n := maxInWindow(sends, "", time.Second); n > 30 {
		t.Errorf("%d messages in one second overall, limit 30", n)
	}
	// Order inside a chat is kept.
	last := -1
	for _, s := range sends {
		if s.m.Chat != "fake:group1" {
			continue
		}
		var i int
		fmt.Sscanf(s.m.Text, "msg %d", &i)
		if i <= last {
			t.Fatalf("group1 got msg %d after msg %d", i, last)
		}
		last = i
	}
	// 70 messages at 20/min need at least three full windows.
	if span := sends[len(sends)-1].at.Sub(sends[0].at); span < 3*time.Minute {
		t.Errorf("flood finished in %s; the per-group limit can't allow that", span)
	}
}

func TestOutboxHonoursRetryAfter(t *testing.T) {
	h, f := newFakeHarness(t, bot.Limits{})
	var rejectedAt time.Time
	f.fail = func(n int, m bot.OutMessage) error {
		if n == 3 {
			rejectedAt = h.now()
			return fmt.Errorf("send: %w", &bot.RetryAfterError{After: 7 * time.Second, Err: errors.New("429 Too Many Requests")})
		}
		return nil
	}
	enqueueN(t, h, "fake:group1", 5)
	deliverAll(t, h, 1000)
	sends := f.sends()
	if len(sends) != 5 {
		t.Fatalf("delivered %d, want 5", len(sends))
	}
	for _, s := range sends[2:] {
		if s.at.Sub(rejectedAt) < 7*time.Second {
			t.Errorf("%q sent %s after the 429, before retry_after 7s", s.m.Text, s.at.Sub(rejectedAt))
		}
	}
	if sends[2].m.Text != "msg 2" {
		t.Errorf("after the 429 the first message sent was %q, want the rejected one (msg 2)", sends[2].m.Text)
	}
}

func TestOutboxRetriesTransientErrorsWithBackoff(t *testing.T) {
	h, f := newFakeHarness(t, bot.Limits{})
	var failures []time.Time
	f.fail = func(n int, m bot.OutMessage) error {
		if n <= 3 {
			failures = append(failures, h.now())
			return errors.New("502 bad gateway")
		}
		return nil
	}
	enqueueN(t, h, "fake:group1", 1)
	deliverAll(t, h, 1000)
	if len(f.sends()) != 1 {
		t.Fatalf("delivered %d, want 1", len(f.sends()))
	}
	// Jitter is zero in the harness: waits are half the doubling backoff.
	for i := 1; i < len(failures); i++ {
		gap := failures[i].Sub(failures[i-1])
		want := time.Second << (i - 1) // 2s·2^(i-1) / 2
		if gap < want {
			t.Errorf("retry %d after %s, want at least %s", i, gap, want)
		}
	}
}

func TestOutboxGivesUpOnPermanentErrorAndRecordsIt(t *testing.T) {
	h, f := newFakeHarness(t, bot.Limits{})
	f.fail = func(n int, m bot.OutMessage) error {
		if m.Chat == "fake:group2" {
			return fmt.Errorf("send: %w", bot.Unreachable(errors.New("403 bot was kicked from the group chat")))
		}
		return nil
	}
	// Not an alert: a reply is given up on at the first permanent error.
	enqueueN(t, h, "fake:group2", 1)
	deliverAll(t, h, 100)
	if f.calls != 1 {
		t.Errorf("platform called %d times, want 1 (no retry of the permanent failure)", f.calls)
	}
	var chat *store.Chat
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		chat, err = tx.Chat("fake:group2")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if chat.Active {
		t.Error("chat the bot was kicked from is still active")
	}
	dead := deadLetters(t, h)
	if len(dead) != 1 || !strings.Contains(dead[0].Reason, "kicked") {
		t.Errorf("dead letters = %+v, want the reply with its reason", dead)
	}
}

func TestOutboxFoldsBurstOfAlertsBeyondGroupBudget(t *testing.T) {
	limits := bot.Limits{PerGroup: bot.Rate{N: 3, Period: time.Minute}}
	h, f := newFakeHarness(t, limits, func(o *bot.Options) {
		o.Groups = o.Groups[:0:0]
		o.Groups = append(o.Groups, bot.GroupBinding{Chat: "console:intake", Role: store.RoleIntake},
			bot.GroupBinding{Chat: "fake:group1", Role: store.RoleCoordination})
	})
	pleas := []string{
		"[intake] A: 老人心脏病发作，胸口剧痛喘不上气，长宁新华路，13612345671",
		"[intake] B: 外婆突然昏迷不醒，叫不到救护车，闵行莘庄，13912345672",
		"[intake] C: 孕妇羊水破了要生了，出不了小区，徐汇田林，13712345673",
		"[intake] D: My father had a stroke, face drooping, can't speak, 12 Oak Street, +1 415 555 0100",
		"[intake] E: 我朋友说不想活了，已经割腕，流了很多血，杨浦五角场，15012345675",
	}
	for _, p := range pleas {
		h.feed(p) // all five arrive before the next delivery pass
	}
	deliverAll(t, h, 100)
	sends := f.sends()
	if len(sends) != 1 {
		t.Fatalf("sent %d messages for a burst of 5 alerts with a budget of 3, want 1 folded message", len(sends))
	}
	for i := 1; i <= 5; i++ {
		if !strings.Contains(sends[0].m.Text, fmt.Sprintf("#%d ", i)) {
			t.Errorf("folded alert lacks case #%d:\n%s", i, sends[0].m.Text)
		}
	}
}

// A message the platform refuses for itself (a bad edit) is dropped, but
// the chat stays in use.
func TestOutboxPermanentErrorOfOneMessageKeepsTheChat(t *testing.T) {
	h, f := newFakeHarness(t, bot.Limits{})
	f.fail = func(n int, m bot.OutMessage) error {
		if n == 1 {
			return fmt.Errorf("edit: %w", bot.Permanent(errors.New("400 message to edit not found")))
		}
		return nil
	}
	enqueueN(t, h, "fake:group1", 3)
	deliverAll(t, h, 100)
	if got := len(f.sends()); got != 2 {
		t.Errorf("delivered %d after one refused message, want 2", got)
	}
	var chat *store.Chat
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		chat, err = tx.Chat("fake:group1")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !chat.Active {
		t.Error("one refused message deactivated the whole chat")
	}
}

// On a platform that can't edit messages, a change to a case doesn't
// repost its whole card in the coordination chat.
func TestNoCardRepostsWhereEditsAreImpossible(t *testing.T) {
	h, f := newFakeHarness(t, bot.Limits{NoEdits: true})
	h.say(critical)
	deliverAll(t, h, 100)
	before := len(f.sends())
	h.say("[volunteers] vol: /volunteer medical")
	h.say("[volunteers] vol: /claim 1")
	deliverAll(t, h, 100)
	for _, s := range f.sends()[before:] {
		if s.m.EditOf != "" || strings.Contains(s.m.Text, "CRITICAL") {
			t.Errorf("card reposted on a platform without edits: %+v", s.m)
		}
	}
	// Where edits work, the same claim edits both alert cards in place.
	h2, f2 := newFakeHarness(t, bot.Limits{})
	h2.say(critical)
	deliverAll(t, h2, 100)
	h2.say("[volunteers] vol: /volunteer medical")
	h2.say("[volunteers] vol: /claim 1")
	deliverAll(t, h2, 100)
	edits := 0
	for _, s := range f2.sends() {
		if s.m.EditOf != "" {
			edits++
		}
	}
	if edits != 2 {
		t.Errorf("%d card edits on a platform with edits, want 2 (one per coordination chat)", edits)
	}
}

// A folded alert that keeps failing is retried like any message and then
// given up, with the failure recorded on every case it stood for.
func TestFoldedAlertThatFailsForGoodIsGivenUpOnEveryCase(t *testing.T) {
	limits := bot.Limits{PerGroup: bot.Rate{N: 1, Period: time.Minute}}
	h, f := newFakeHarness(t, limits, func(o *bot.Options) {
		o.Groups = []bot.GroupBinding{{Chat: "console:intake", Role: store.RoleIntake},
			{Chat: "fake:group1", Role: store.RoleCoordination}}
	})
	f.fail = func(int, bot.OutMessage) error {
		return bot.Permanent(errors.New("400 Bad Request: message is too long"))
	}
	h.feed(critical)
	h.feed("[intake] Tom: My father had a stroke, face drooping, can't speak, 12 Oak Street, +1 415 555 0100")
	deliverAll(t, h, 1000)
	if f.calls != 1 {
		t.Errorf("folded alert tried %d times, want 1", f.calls)
	}
	for id := int64(1); id <= 2; id++ {
		var events []store.Event
		if err := h.st.View(context.Background(), func(tx *store.Tx) error {
			var err error
			events, err = tx.Events(id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, ev := range events {
			found = found || ev.Kind == "delivery_failed" && ev.To == "fake:group1"
		}
		if !found {
			t.Errorf("case #%d has no delivery_failed event: %+v", id, events)
		}
	}
}
