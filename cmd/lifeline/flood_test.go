package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/adapters/telegram/telegramtest"
)

func floodApp(t *testing.T) *telegramtest.Server {
	t.Helper()
	srv := telegramtest.NewServer(t) // Telegram's documented rate limits, enforced with 429s
	cfg := telegramTeam(t, srv, "en", "")
	startQuiet(t, cfg)
	return srv
}

// floodText is the plea of the i-th of many distinct people.
func floodText(i int) (text, phone string) {
	phone = fmt.Sprintf("+4477009%05d", i) // as cards print it
	pleas := []string{"my grandmother collapsed and is not breathing", "my husband has chest pain and can't breathe",
		"water is rising fast, we are trapped on the roof with a baby", "my son had a seizure and is unconscious",
		"a wall fell on my neighbour, he is bleeding heavily"}
	streets := []string{"Elm Road", "Oak Street", "Mill Lane", "Station Road", "Church Walk", "Park Avenue", "High Street"}
	return fmt.Sprintf("Help! %s, %d %s flat %d, call +44 7700 9%05d", pleas[i%len(pleas)], i+1, streets[(i/5)%len(streets)], i%13+1, i), phone
}

// 300 urgent pleas from distinct people at once, through the real bot and
// Telegram's rate limits: every phone reaches the coordination group, in
// folds, with no send refused.
func TestTelegramFloodEveryContactReachesCoordinators(t *testing.T) {
	if testing.Short() {
		t.Skip("floods the fake Bot API")
	}
	srv := floodApp(t)
	const n = 300
	phones := make([]string, n)
	start := time.Now()
	for i := range n {
		text, phone := floodText(i)
		phones[i] = phone
		srv.Push(groupMessage(i+1, tgIntake, int64(10_000+i), text))
	}
	missing := func() []string {
		var all strings.Builder
		for _, s := range srv.SentTo(tgCoordination) {
			all.WriteString(s.Text)
		}
		var out []string
		for _, p := range phones {
			if !strings.Contains(all.String(), p) {
				out = append(out, p)
			}
		}
		return out
	}
	deadline := time.Now().Add(150 * time.Second)
	for len(missing()) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(start)
	if m := missing(); len(m) > 0 {
		for i, s := range srv.SentTo(tgCoordination) {
			if i < 3 {
				t.Logf("sent: %s", s.Text)
			}
		}
		t.Fatalf("%d of %d phones never reached the coordination group, e.g. %v", len(m), n, m[:min(3, len(m))])
	}
	if r := srv.RateLimited(); r != 0 {
		t.Errorf("%d sends refused with 429", r)
	}
	t.Logf("300 pleas: every phone in the coordination group after %v, in %d messages, %d refused", took.Round(10*time.Millisecond),
		len(srv.SentTo(tgCoordination)), srv.RateLimited())
}

// 10,000 /help from one person in the intake group, then a critical plea
// from someone else: the plea's alert comes seconds after it, and the
// spammer gets a few answers and one notice, not 10,000 replies.
func TestTelegramSpamDoesNotHoldUpAnAlert(t *testing.T) {
	if testing.Short() {
		t.Skip("floods the fake Bot API")
	}
	srv := floodApp(t)
	const spam = 10_000
	start := time.Now()
	for i := range spam {
		srv.Push(groupMessage(i+1, tgIntake, 666, "/help"))
	}
	pushed := time.Now()
	srv.Push(groupMessage(spam+1, tgIntake, 555, "Grandma collapsed and is unconscious, not breathing, 3 Elm Road, call +44 7700 900123"))
	var alertAt time.Time
	deadline := time.Now().Add(120 * time.Second)
	for alertAt.IsZero() && time.Now().Before(deadline) {
		for _, s := range srv.SentTo(tgCoordination) {
			if strings.Contains(s.Text, "+447700900123") {
				alertAt = time.Now()
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if alertAt.IsZero() {
		t.Fatal("no alert for the critical plea")
	}
	replies := srv.SentTo(tgIntake)
	notices := 0
	for _, s := range replies {
		if strings.Contains(s.Text, "faster than I can answer") {
			notices++
		}
	}
	t.Logf("%d /help pushed in %v; critical alert %v after the plea was pushed; %d replies in the group (%d notices), %d refused",
		spam, pushed.Sub(start).Round(time.Millisecond), alertAt.Sub(pushed).Round(10*time.Millisecond), len(replies), notices, srv.RateLimited())
	if d := alertAt.Sub(pushed); d > 30*time.Second {
		t.Errorf("critical alert %v after the plea, want seconds", d)
	}
	// The one notice queues behind the burst of answers, so within the
	// group's 20 a minute it may not be out yet.
	if len(replies) > 21 || notices > 1 {
		t.Errorf("%d replies with %d notices to 10,000 commands, want at most the burst of 20 and one notice", len(replies), notices)
	}
	if r := srv.RateLimited(); r != 0 {
		t.Errorf("%d sends refused with 429", r)
	}
}
