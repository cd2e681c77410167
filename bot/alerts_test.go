package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
)

// pleas are distinct critical pleas from distinct people.
var pleas = []string{
	"[intake] 小陈: 外婆突然昏迷不醒，叫不到救护车，闵行莘庄，13912345672",
	"[intake] Tom: my wife is in labour and bleeding heavily, no ambulance, call +1 415 555 0134",
	"[intake] Ann: my father had a stroke, face drooping, can't speak, 12 Oak Street, +1 415 555 0100",
	"[intake] 老王: 我家孩子高烧抽搐昏迷了，宝山大场镇，电话13812345678",
	"[intake] Bob: trapped under the collapsed roof, can't breathe, 4 Elm Road, +1 415 555 0177",
}

var pleaPhones = []string{"13912345672", "0134", "0100", "13812345678", "0177"}

// runUntil runs delivery passes, moving the clock to the next due time
// (at most step at once), until the clock reaches end.
func runUntil(t *testing.T, h *harness, end time.Time, step time.Duration) {
	t.Helper()
	for h.now().Before(end) {
		wait, err := h.e.DeliverDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if wait <= 0 || wait > step {
			wait = step
		}
		h.advance(wait)
	}
}

func TestAlertsSurviveATwoHourOutage(t *testing.T) {
	h, f := newFakeHarness(t, bot.Limits{})
	h.say("[@admin] admin: /start")
	end := h.now().Add(2 * time.Hour)
	f.fail = func(n int, m bot.OutMessage) error {
		if h.now().Before(end) {
			return errors.New("dial tcp 149.154.167.220:443: connect: network is unreachable")
		}
		return nil
	}
	for _, p := range pleas {
		h.feed(p)
	}
	runUntil(t, h, end, time.Minute)
	if got := len(f.sends()); got != 0 {
		t.Fatalf("%d sends went through during the outage", got)
	}
	if dead := deadLetters(t, h); len(dead) != 0 {
		t.Fatalf("alerts given up during the outage: %+v", dead[0])
	}
	// The platform is back: every alert goes out within a minute.
	runUntil(t, h, end.Add(time.Minute), 5*time.Second)
	sends := f.sends()
	var latest time.Duration
	for _, s := range sends {
		latest = max(latest, s.at.Sub(end))
	}
	t.Logf("2 h outage: %d alerts delivered, the last %v after recovery", len(sends), latest)
	for _, chat := range []string{"fake:group1", "fake:group2"} {
		var text strings.Builder
		for _, s := range sends {
			if s.m.Chat == chat {
				text.WriteString(s.m.Text + "\n")
				if late := s.at.Sub(end); late > time.Minute {
					t.Errorf("alert in %s delivered %s after recovery", chat, late)
				}
			}
		}
		for i, phone := range pleaPhones {
			if !strings.Contains(text.String(), phone) {
				t.Errorf("%s never got the alert of plea %d (%s)", chat, i+1, phone)
			}
		}
	}
	if n := pending(t, h); n != 0 {
		t.Errorf("%d messages still queued after recovery", n)
	}
	// The admin heard once per chat that it was down, and once that it is back.
	out := h.flush()
	if n := strings.Count(out, "cannot be reached since"); n != 2 {
		t.Errorf("admin told %d times a chat is down, want 2 (one per chat); got:\n%s", n, out)
	}
	if n := strings.Count(out, "is reachable again"); n != 2 {
		t.Errorf("admin told %d times a chat is back, want 2; got:\n%s", n, out)
	}
}

func TestAlertsRetryForeverButOthersAreGivenUp(t *testing.T) {
	h, f := newFakeHarness(t, bot.Limits{}, func(o *bot.Options) { o.Outbox.MaxAttempts = 3 })
	var alertTries, replyTries []time.Time
	f.fail = func(n int, m bot.OutMessage) error {
		if strings.HasPrefix(m.Text, "msg ") {
			replyTries = append(replyTries, h.now())
		} else {
			alertTries = append(alertTries, h.now())
		}
		return errors.New("502 bad gateway")
	}
	h.feed(pleas[0])
	enqueueN(t, h, "fake:other", 1) // the alerts' chats wait for them

	runUntil(t, h, h.now().Add(30*time.Minute), time.Minute)
	if len(replyTries) != 3 {
		t.Errorf("reply tried %d times, want MaxAttempts = 3", len(replyTries))
	}
	if len(alertTries) < 2*30 {
		t.Errorf("alerts tried %d times in 30 minutes, want them retried about every 30s", len(alertTries))
	}
	for i := 2; i < len(alertTries); i++ {
		if gap := alertTries[i].Sub(alertTries[i-2]); gap > time.Minute+time.Second {
			t.Fatalf("alert retries %s apart, want at most the 30s cap", gap)
		}
	}
	dead := deadLetters(t, h)
	if len(dead) != 1 || dead[0].Item.Kind != "reply" {
		t.Fatalf("dead letters = %+v, want only the reply", dead)
	}
	var stuck int
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		sum, err := tx.OutboxSummary()
		stuck = sum.Total.Stuck
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if stuck != 2 {
		t.Errorf("%d stuck items, want the 2 alerts", stuck)
	}
}

func TestPermanentErrorDeadLettersAnAlertWithItsReasonAndTellsAdmins(t *testing.T) {
	h, f := newFakeHarness(t, bot.Limits{})
	h.say("[@admin] admin: /start")
	f.fail = func(n int, m bot.OutMessage) error {
		if m.Chat == "fake:group2" {
			return fmt.Errorf("send: %w", bot.Permanent(errors.New("400 Bad Request: can't parse entities")))
		}
		return nil
	}
	h.feed(pleas[0])
	deliverAll(t, h, 100)
	if f.calls != 2 {
		t.Errorf("platform called %d times, want 2 (no retry of the permanent failure)", f.calls)
	}
	dead := deadLetters(t, h)
	if len(dead) != 1 || dead[0].Item.Chat != "fake:group2" || !strings.Contains(dead[0].Reason, "400") {
		t.Fatalf("dead letters = %+v, want the alert to group2 with its 400", dead)
	}
	out := h.flush()
	mustContain(t, out, "was given up", "400 Bad Request", fmt.Sprintf("/outbox resend %d", dead[0].Item.ID))
	// A second failure in the same chat within the hour is not announced again.
	h.feed(pleas[1])
	deliverAll(t, h, 100)
	if out := h.flush(); strings.Contains(out, "was given up") {
		t.Errorf("second dead letter announced again within the hour:\n%s", out)
	}
}

func TestKickedCoordinationChatAlertsAdminsPrivatelyAndCatchesUpAfterBind(t *testing.T) {
	h, f := newFakeHarness(t, bot.Limits{}, func(o *bot.Options) {
		o.Groups = []bot.GroupBinding{{Chat: "console:intake", Role: store.RoleIntake},
			{Chat: "fake:coord", Role: store.RoleCoordination}}
		o.Admins = append(o.Admins, "fake:boss")
	})
	h.say("[@admin] admin: /start")
	kicked := true
	f.fail = func(n int, m bot.OutMessage) error {
		if kicked && m.Chat == "fake:coord" {
			return fmt.Errorf("send: %w", bot.Unreachable(errors.New("403 Forbidden: bot was kicked from the group chat")))
		}
		return nil
	}
	// The first alert finds the chat kicked: the admin gets it privately.
	out := h.say(pleas[0]) + h.flush()
	mustContain(t, out, "No coordination chat can receive alerts", "13912345672")
	// The next one goes to the admin at once, at intake.
	h.feed(pleas[1])
	calls := f.calls
	out = h.flush()
	mustContain(t, out, "No coordination chat can receive alerts", "0134")
	// A private asker is told the truth, with the emergency number.
	out = h.say("[@anna] anna: my son fell from the roof and is unconscious and bleeding, 9 Pine Street, +1 415 555 0199")
	mustContain(t, out, "sent your request to the team's organisers", "emergency number (120)")
	mustNotContain(t, out, "I have alerted the volunteers")
	if len(f.sends()) != 0 {
		t.Fatalf("the kicked chat got %d messages", len(f.sends()))
	}
	// The bot is added back and bound: everything waiting goes out now,
	// without waiting for a backoff.
	kicked = false
	h.handle(bot.Message{Chat: "fake:coord", ID: "b1", Sender: "fake:boss", SenderName: "boss", Text: "/bind coordination", Time: h.now()})
	if _, err := h.e.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for _, s := range f.sends() {
		got.WriteString(s.m.Text + "\n")
	}
	for _, phone := range []string{"13912345672", "0134", "0199"} {
		if !strings.Contains(got.String(), phone) {
			t.Errorf("after /bind the chat lacks the alert with %s (calls before: %d); got:\n%s", phone, calls, got.String())
		}
	}
	if dead := deadLetters(t, h); len(dead) != 0 {
		t.Errorf("alerts given up: %+v", dead)
	}
}

func TestMessageFromKickedChatMarksItReachable(t *testing.T) {
	h, f := newFakeHarness(t, bot.Limits{}, func(o *bot.Options) {
		o.Groups = []bot.GroupBinding{{Chat: "console:intake", Role: store.RoleIntake},
			{Chat: "fake:coord", Role: store.RoleCoordination}}
	})
	kicked := true
	f.fail = func(n int, m bot.OutMessage) error {
		if kicked {
			return bot.Unreachable(errors.New("403 Forbidden: bot is not a member of the group chat"))
		}
		return nil
	}
	h.say(pleas[0])
	// Nobody can be reached (no admin has a private chat): the asker is
	// told so, with the emergency number.
	out := h.say("[@anna] anna: my son fell from the roof and is unconscious and bleeding, 9 Pine Street, +1 415 555 0199")
	mustContain(t, out, "could not reach the volunteers right now", "emergency number (120)")
	mustNotContain(t, out, "alerted")
	kicked = false
	h.handle(bot.Message{Chat: "fake:coord", ID: "x1", Sender: "fake:vol", SenderName: "vol", Text: "is the bot back?", Time: h.now()})
	if _, err := h.e.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := f.sends(); len(s) != 2 || !strings.Contains(s[0].m.Text, "13912345672") {
		t.Fatalf("sends after a message from the chat = %+v, want the queued alert", s)
	}
}

func TestOutboxCommandShowsQueuesAndResendsDeadLetters(t *testing.T) {
	h, f := newFakeHarness(t, bot.Limits{})
	h.say("[@admin] admin: /start")
	broken := true
	f.fail = func(n int, m bot.OutMessage) error {
		switch {
		case broken && m.Chat == "fake:group2":
			return bot.Permanent(errors.New("400 Bad Request: can't parse entities"))
		case broken && m.Chat == "fake:group1":
			return errors.New("502 bad gateway")
		}
		return nil
	}
	h.feed(pleas[0])
	runUntil(t, h, h.now().Add(time.Minute), 10*time.Second)
	dead := deadLetters(t, h)
	if len(dead) != 1 {
		t.Fatalf("dead letters = %+v, want the alert to group2", dead)
	}
	id := dead[0].Item.ID
	h.flush()
	out := h.say("[@admin] admin: /outbox")
	mustContain(t, out, "0 waiting, 1 failing and retried, 1 given up; 1 alerts not yet delivered",
		"fake:group1: 0 waiting, 1 failing, 0 given up; 1 alerts",
		"fake:group2: 0 waiting, 0 failing, 1 given up",
		"502 bad gateway", fmt.Sprintf("#%d alert #1 → fake:group2", id), "400 Bad Request")
	// Refused, and logged, for anyone but an admin; never in a public group.
	mustContain(t, h.say("[volunteers] vol: /outbox"), "needs the admin role")
	if !strings.Contains(h.logs.String(), "cmd=outbox kind=refused") {
		t.Error("refused /outbox not logged")
	}
	mustContain(t, h.say("[intake] admin: /outbox"), "works in")
	// Bad arguments change nothing.
	mustContain(t, h.say("[@admin] admin: /outbox resend"), "Usage: /outbox")
	mustContain(t, h.say("[@admin] admin: /outbox resend 999"), "no given-up message #999")
	mustContain(t, h.say("[@admin] admin: /outbox purge all"), "Usage: /outbox")
	if len(deadLetters(t, h)) != 1 {
		t.Fatal("a bad /outbox call changed the dead letters")
	}
	broken = false
	mustContain(t, h.say(fmt.Sprintf("[@admin] admin: /outbox resend %d", id)), fmt.Sprintf("Message #%d to fake:group2 queued again", id))
	deliverAll(t, h, 100)
	if len(deadLetters(t, h)) != 0 {
		t.Error("dead letter still there after resend")
	}
	var toGroup2 int
	for _, s := range f.sends() {
		if s.m.Chat == "fake:group2" && strings.Contains(s.m.Text, "13912345672") {
			toGroup2++
		}
	}
	if toGroup2 != 1 {
		t.Errorf("resent alert delivered %d times to group2, want 1", toGroup2)
	}
	mustContain(t, h.say("[@admin] admin: /outbox resend all"), "✓ 0 given-up messages queued again")
}

// blockingObserver holds the first triage until released: a plea being
// handled when shutdown starts.
type blockingObserver struct {
	entered, release chan struct{}
	once             sync.Once
}

func (b *blockingObserver) Message(string, string) {}
func (b *blockingObserver) Request(string)         {}
func (b *blockingObserver) AlertSent()             {}
func (b *blockingObserver) Triage(time.Duration) {
	b.once.Do(func() {
		close(b.entered)
		<-b.release
	})
}

func TestDrainWaitsForTheMessageBeingHandled(t *testing.T) {
	obs := &blockingObserver{entered: make(chan struct{}), release: make(chan struct{})}
	h, f := newFakeHarness(t, bot.Limits{}, func(o *bot.Options) { o.Observer = obs })
	handled := make(chan error, 1)
	go func() {
		handled <- h.e.HandleMessage(context.Background(), bot.Message{Chat: "console:intake", ID: "late", Sender: "console:ann", SenderName: "ann", Text: "外婆突然昏迷不醒，叫不到救护车，闵行莘庄，13912345672", Time: h.now()})
	}()
	<-obs.entered
	drained := make(chan error, 1)
	go func() { drained <- h.e.Drain(context.Background()) }()
	time.Sleep(20 * time.Millisecond) // let a Drain that doesn't wait return early
	close(obs.release)
	if err := <-drained; err != nil {
		t.Fatal(err)
	}
	if err := <-handled; err != nil {
		t.Fatal(err)
	}
	if n := len(f.sends()); n != 2 {
		t.Errorf("Drain returned with %d alerts sent, want 2: it must wait for the plea being handled", n)
	}
}
