package bot_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/adapters/console"
	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// harness drives the engine through the real console adapter's line format
// with a clock the test controls: say() feeds "[chat] sender: text" lines,
// and each call returns what the bot printed in response.
type harness struct {
	t       testing.TB
	e       *bot.Engine
	st      *store.Store
	out     *bytes.Buffer
	con     *console.Adapter
	mu      sync.Mutex
	clock   time.Time
	msgSeq  int
	logs    *bytes.Buffer
	printed int
}

// defaultGroups mirror config.example.yaml.
var defaultGroups = []bot.GroupBinding{
	{Chat: "console:intake", Role: store.RoleIntake, Name: "互助1群"},
	{Chat: "console:intake2", Role: store.RoleIntake, Name: "互助2群"},
	{Chat: "console:volunteers", Role: store.RoleCoordination, Name: "志愿者协调群"},
	{Chat: "console:broadcast", Role: store.RoleBroadcast, Name: "转发大群"},
}

func newHarness(t testing.TB, tweak ...func(*bot.Options)) *harness {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "lifeline.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := &harness{t: t, st: st, out: &bytes.Buffer{}, logs: &bytes.Buffer{},
		clock: time.Date(2026, 4, 10, 9, 0, 0, 0, time.UTC)}
	opts := bot.Options{
		Store:    st,
		Triage:   triage.Default(),
		Logger:   slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:      h.now,
		Location: time.UTC,
		Language: "en",
		Admins:   []string{"console:admin"},
		Groups:   defaultGroups,
		Outbox:   bot.OutboxOptions{Jitter: func() float64 { return 0 }},
	}
	for _, f := range tweak {
		f(&opts)
	}
	h.e, err = bot.New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	h.con = console.New(console.Options{Out: h.out})
	h.e.AddPlatform(h.con)
	t.Cleanup(func() {
		if t.Failed() && os.Getenv("HARNESS_LOGS") != "" {
			t.Log(h.logs.String())
		}
	})
	return h
}

func (h *harness) now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.clock
}

// advance moves the clock forward.
func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clock = h.clock.Add(d)
}

// say feeds one console line, delivers everything due, and returns what the
// bot printed since the last call.
func (h *harness) say(line string) string {
	h.t.Helper()
	h.feed(line)
	return h.flush()
}

// feed hands one console line to the engine without delivering anything.
func (h *harness) feed(line string) {
	h.t.Helper()
	chat, sender, text, err := console.ParseLine(line)
	if err != nil {
		h.t.Fatalf("bad console line %q: %v", line, err)
	}
	h.msgSeq++
	m := bot.Message{
		Chat:       "console:" + chat,
		Private:    strings.HasPrefix(chat, "@"),
		ChatName:   chat,
		ID:         "m" + strconv.Itoa(h.msgSeq),
		Sender:     "console:" + sender,
		SenderName: sender,
		Text:       text,
		Time:       h.now(),
	}
	if err := h.e.HandleMessage(context.Background(), m); err != nil {
		h.t.Fatalf("handle %q: %v", m.Text, err)
	}
}

// handle feeds a prepared message (for redelivery and callback tests).
func (h *harness) handle(m bot.Message) string {
	h.t.Helper()
	if err := h.e.HandleMessage(context.Background(), m); err != nil {
		h.t.Fatalf("handle %q: %v", m.Text, err)
	}
	return h.flush()
}

// flush delivers what is due now and returns the new output.
func (h *harness) flush() string {
	h.t.Helper()
	if _, err := h.e.DeliverDue(context.Background()); err != nil {
		h.t.Fatalf("outbox pass: %v", err)
	}
	all := h.out.String()
	s := all[h.printed:]
	h.printed = len(all)
	return s
}

// mustContain fails unless every want appears in got.
func mustContain(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q; got:\n%s", w, got)
		}
	}
}

// mustNotContain fails if any of bad appears in got.
func mustNotContain(t *testing.T, got string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(got, b) {
			t.Errorf("output has %q; got:\n%s", b, got)
		}
	}
}

// buttonPress is a press of a button carrying data under bot message msg.
func buttonPress(h *harness, chat, sender, data, msg string) bot.Message {
	return bot.Message{Chat: chat, ID: "cb-" + msg, Sender: sender, SenderName: bot.LocalID(sender), Time: h.now(),
		Callback: &bot.Callback{ID: "cb-" + msg + data, Data: data, MessageID: msg}}
}

// countCases is how many cases the store holds.
func (h *harness) countCases() int {
	h.t.Helper()
	var n int
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		return tx.ForEachCase(func(*store.Case) error { n++; return nil })
	}); err != nil {
		h.t.Fatal(err)
	}
	return n
}
