package telegram

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/go-telegram/bot/models"

	"github.com/lifeline-aid/lifeline/adapters/telegram/telegramtest"
	"github.com/lifeline-aid/lifeline/bot"
)

// batchRecorder is a bot.BatchHandler that keeps each batch; fail may
// refuse one.
type batchRecorder struct {
	recorder
	mu      sync.Mutex
	batches []bot.Batch
	failB   func(b bot.Batch) error
}

func (r *batchRecorder) HandleBatch(_ context.Context, b bot.Batch) error {
	if r.failB != nil {
		if err := r.failB(b); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, b)
	return nil
}

func (r *batchRecorder) all() []bot.Batch {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Batch(nil), r.batches...)
}

func TestBatchCarriesAPageAndItsOffset(t *testing.T) {
	srv := telegramtest.NewServer(t)
	state := &memState{m: map[string][]byte{}}
	a := newAdapter(t, srv, func(o *Options) { o.State = state })
	group := telegramtest.Group(-1001000000001, "g")
	ann := telegramtest.User(7, "Ann")
	var last int64
	for i := range 5 {
		last = srv.PushText(group, ann, "plea "+strconv.Itoa(i)).ID
	}
	// Telegram announces the bot's arrival twice; in one page too it is
	// one join.
	srv.Push(srv.MyChatMember(telegramtest.Group(-1001000000003, "new"), ann, models.ChatMemberTypeLeft, models.ChatMemberTypeMember))
	join := srv.NewMessage(telegramtest.Group(-1001000000003, "new"), ann, "")
	join.NewChatMembers = []models.User{srv.Me}
	last = srv.Push(models.Update{Message: join})

	rec := &batchRecorder{}
	start(t, a, rec)
	waitFor(t, "page handled", func() bool { return a.LastHandled() == last })
	batches := rec.all()
	if len(batches) != 1 {
		t.Fatalf("%d batches for one page, want 1", len(batches))
	}
	b := batches[0]
	if len(b.Messages) != 6 || b.Messages[0].Text != "plea 0" || b.Messages[5].Kind != bot.KindJoined {
		t.Errorf("batch messages %+v", b.Messages)
	}
	want := bot.StateWrite{Key: a.offsetKey(), Value: []byte(strconv.FormatInt(last, 10))}
	if len(b.State) != 1 || b.State[0].Key != want.Key || string(b.State[0].Value) != string(want.Value) {
		t.Errorf("state %+v, want %+v", b.State, want)
	}
	if raw, _ := state.GetState(t.Context(), a.offsetKey()); raw != nil {
		t.Errorf("offset also written apart from the batch (%q): two commits a page", raw)
	}
	if len(rec.handled()) != 0 {
		t.Errorf("HandleMessage used beside HandleBatch")
	}
	// Telegram forgets the page only when the next poll confirms it.
	waitFor(t, "page confirmed", func() bool { return srv.Confirmed() == last })
}

func TestBatchWithAPoisonUpdateFallsBackToOneAtATime(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, func(o *Options) { o.PoisonAttempts = 3 })
	group := telegramtest.Group(-1001000000001, "g")
	ann := telegramtest.User(7, "Ann")
	srv.PushText(group, ann, "before")
	srv.PushText(group, ann, "poison")
	last := srv.PushText(group, ann, "after").ID
	rec := &batchRecorder{failB: func(b bot.Batch) error {
		for _, m := range b.Messages {
			if m.Text == "poison" {
				return errors.New("engine bug")
			}
		}
		return nil
	}}
	start(t, a, rec)
	waitFor(t, "the update after the poison", func() bool { return a.LastHandled() == last })
	var texts []string
	for _, b := range rec.all() {
		for _, m := range b.Messages {
			texts = append(texts, m.Text)
		}
	}
	if want := []string{"before", "after"}; !equal(texts, want) {
		t.Errorf("recorded %q, want %q", texts, want)
	}
}

func TestBatchFailureConfirmsNothing(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, func(o *Options) { o.PoisonAttempts = 2 })
	group := telegramtest.Group(-1001000000001, "g")
	ann := telegramtest.User(7, "Ann")
	first := srv.PushText(group, ann, "one")
	srv.PushText(group, ann, "two")
	var mu sync.Mutex
	tries := 0
	rec := &batchRecorder{failB: func(bot.Batch) error {
		mu.Lock()
		defer mu.Unlock()
		tries++
		return errors.New("disk full")
	}}
	start(t, a, rec)
	waitFor(t, "several attempts", func() bool { mu.Lock(); defer mu.Unlock(); return tries >= 6 })
	if a.LastHandled() >= first.ID || srv.Confirmed() >= first.ID {
		t.Errorf("updates confirmed while none was recorded (last handled %d, confirmed %d)", a.LastHandled(), srv.Confirmed())
	}
}
