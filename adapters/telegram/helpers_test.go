package telegram

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/adapters/telegram/telegramtest"
	"github.com/lifeline-aid/lifeline/bot"
)

// recorder is a bot.Handler that records what it was given. fail, when
// set, may refuse a message.
type recorder struct {
	mu    sync.Mutex
	got   []bot.Message // every call, including refused ones
	ok    []bot.Message // calls that returned nil
	fail  func(m bot.Message, attempt int) error
	tries map[string]int
}

func (r *recorder) HandleMessage(_ context.Context, m bot.Message) error {
	r.mu.Lock()
	if r.tries == nil {
		r.tries = map[string]int{}
	}
	key := m.Chat + "/" + m.ID
	r.tries[key]++
	attempt := r.tries[key]
	r.got = append(r.got, m)
	r.mu.Unlock()
	if r.fail != nil {
		// Outside the lock: fail may block to hold the handler.
		if err := r.fail(m, attempt); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ok = append(r.ok, m)
	return nil
}

func (r *recorder) handled() []bot.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Message(nil), r.ok...)
}

func (r *recorder) calls() []bot.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Message(nil), r.got...)
}

// newAdapter builds an adapter against srv with short timeouts.
func newAdapter(t *testing.T, srv *telegramtest.Server, edit func(*Options)) *Adapter {
	t.Helper()
	opts := Options{
		Token:               srv.Token,
		APIURL:              srv.URL,
		PollTimeout:         time.Second,
		CallbackAnswerDelay: 50 * time.Millisecond,
		State:               &memState{m: map[string][]byte{}},
	}
	if edit != nil {
		edit(&opts)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	a, err := New(ctx, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// start runs a until the returned stop is called (or the test ends) and
// fails the test if Run returns an error.
func start(t *testing.T, a *Adapter, h bot.Handler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, h) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil && !errors.Is(err, context.Canceled) {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Errorf("Run did not stop within 5s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitWithin(t, 5*time.Second, what, cond)
}

// waitWithin is waitFor with a chosen deadline.
func waitWithin(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
