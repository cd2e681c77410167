package telegram

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/adapters/telegram/telegramtest"
	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// The bbolt store is the adapter's state store in production.
var _ StateStore = (*store.Store)(nil)

// TestEngineAlertAndButtonOverTelegram wires the real engine and store to
// the adapter and the fake Bot API: an urgent plea in an intake group
// becomes an alert card with buttons in the coordination group, and a
// press on Claim edits that card in place.
func TestEngineAlertAndButtonOverTelegram(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	srv := telegramtest.NewServer(t)
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "lifeline.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })

	intake := telegramtest.Group(-1001000000001, "浦东互助1群")
	coord := telegramtest.Group(-1001000000002, "志愿者协调群")
	e, err := bot.New(ctx, bot.Options{
		Store:    st,
		Triage:   triage.Default(),
		Language: "en",
		Admins:   []string{"telegram:9"},
		Groups: []bot.GroupBinding{
			{Chat: Ref(intake.ID), Role: store.RoleIntake, Name: intake.Title},
			{Chat: Ref(coord.ID), Role: store.RoleCoordination, Name: coord.Title},
		},
		Outbox: bot.OutboxOptions{Jitter: func() float64 { return 0 }},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The default delay leaves the engine time to answer the press itself.
	a := newAdapter(t, srv, func(o *Options) { o.State, o.CallbackAnswerDelay = st, 2*time.Second })
	e.AddPlatform(a)
	engineDone := make(chan struct{})
	go func() { defer close(engineDone); _ = e.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-engineDone })
	start(t, a, e)

	srv.PushText(intake, telegramtest.User(7, "王阿姨"), "我妈妈透析两周没做了，浦东川沙，电话13812345678")
	var card telegramtest.Sent
	waitFor(t, "alert card in the coordination group", func() bool {
		for _, m := range srv.SentTo(coord.ID) {
			if len(m.Keyboard) > 0 {
				card = m
				return true
			}
		}
		return false
	})
	if !strings.Contains(card.Text, "#1") || card.ParseMode != "HTML" {
		t.Errorf("card text %q (parse mode %q)", card.Text, card.ParseMode)
	}
	var claim string
	for _, row := range card.Keyboard {
		for _, b := range row {
			if b.Data == "/claim 1" {
				claim = b.Data
			}
		}
	}
	if claim == "" {
		t.Fatalf("no Claim button on the card: %+v", card.Keyboard)
	}
	if n := len(srv.SentTo(intake.ID)); n != 0 {
		t.Errorf("bot posted %d messages in the intake group", n)
	}

	press := srv.PushCallback(coord, telegramtest.User(9, "Lead"), card.MessageID, claim)
	waitFor(t, "card edited after the press", func() bool {
		m, _ := srv.Message(coord.ID, card.MessageID)
		return m.Text != card.Text
	})
	edited, _ := srv.Message(coord.ID, card.MessageID)
	if !strings.Contains(edited.Text, "#1") || !strings.Contains(edited.Text, "@9") || len(edited.Keyboard) == 0 {
		t.Errorf("edited card %q", edited.Text)
	}
	waitFor(t, "button press acknowledged", func() bool { _, ok := srv.Answer(press.CallbackQuery.ID); return ok })
	if toast, _ := srv.Answer(press.CallbackQuery.ID); !strings.Contains(toast, "#1") {
		t.Errorf("toast %q, want the engine's confirmation", toast)
	}
	if got := len(srv.SentTo(coord.ID)); got > 2 {
		t.Errorf("the press posted %d messages in the coordination group; want the card edited in place", got-1)
	}
	if raw, _ := st.GetState(ctx, a.offsetKey()); string(raw) != strconv.FormatInt(press.ID, 10) {
		t.Errorf("stored offset %q, want %d", raw, press.ID)
	}
}
