package bot_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// fakeRooms is a platform "fake" that can open rooms; it records every
// call. Its coordination chat is "fake:coord".
type fakeRooms struct {
	mu      sync.Mutex
	sent    []bot.OutMessage
	opened  []bot.RoomRequest
	closed  []bot.Room
	notes   []string
	added   []string // AddToRoom calls
	room    bot.Room // what OpenRoom returns
	openErr error
	seq     int
}

var (
	_ bot.Platform    = (*fakeRooms)(nil)
	_ bot.RoomOpener  = (*fakeRooms)(nil)
	_ bot.MemberAdder = (*fakeRooms)(nil)
)

func (f *fakeRooms) Name() string       { return "fake" }
func (f *fakeRooms) Limits() bot.Limits { return bot.Limits{} }

func (f *fakeRooms) Send(ctx context.Context, m bot.OutMessage) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	f.sent = append(f.sent, m)
	return fmt.Sprint("f", f.seq), nil
}

func (f *fakeRooms) OpenRoom(ctx context.Context, req bot.RoomRequest) (bot.Room, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened = append(f.opened, req)
	if f.openErr != nil {
		return bot.Room{}, f.openErr
	}
	return f.room, nil
}

func (f *fakeRooms) AddToRoom(ctx context.Context, room bot.Room, person string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.added = append(f.added, person)
	return "https://example.org/join/" + bot.LocalID(person), nil
}

func (f *fakeRooms) CloseRoom(ctx context.Context, room bot.Room, note string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = append(f.closed, room)
	f.notes = append(f.notes, note)
	return nil
}

// to returns the texts sent to chat (and thread) since the last call for
// any chat, and forgets them.
func (f *fakeRooms) take(chat, thread string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	keep := f.sent[:0]
	for _, m := range f.sent {
		if m.Chat == chat && m.Thread == thread {
			b.WriteString(m.Text + "\n")
			continue
		}
		keep = append(keep, m)
	}
	f.sent = keep
	return b.String()
}

func (f *fakeRooms) calls() (opened []bot.RoomRequest, closed []bot.Room, notes []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.opened), slices.Clone(f.closed), slices.Clone(f.notes)
}

// newRoomHarness is the console harness plus the fake platform, whose
// chat "fake:coord" is a second coordination chat.
func newRoomHarness(t *testing.T, f *fakeRooms, tweak ...func(*bot.Options)) *harness {
	t.Helper()
	groups := append(slices.Clone(defaultGroups), bot.GroupBinding{Chat: "fake:coord", Role: store.RoleCoordination, Name: "fake coordination"})
	h := newHarness(t, append([]func(*bot.Options){func(o *bot.Options) { o.Groups = groups }}, tweak...)...)
	h.e.AddPlatform(f)
	return h
}

// fakeSay feeds a message on the fake platform; chat "@x" is private.
func fakeSay(h *harness, chat, thread, sender, text string) string {
	h.t.Helper()
	h.msgSeq++
	return h.handle(bot.Message{Chat: "fake:" + chat, Private: strings.HasPrefix(chat, "@"), Thread: thread,
		ID: fmt.Sprint("f", h.msgSeq), Sender: "fake:" + sender, SenderName: sender, Text: text, Time: h.now()})
}

// eventually polls cond (for work the engine does in the background).
func eventually(t *testing.T, h *harness, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
		h.flush()
	}
}

func caseEvents(t *testing.T, h *harness, id int64) []store.Event {
	t.Helper()
	var evs []store.Event
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		evs, err = tx.Events(id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return evs
}

func hasEvent(evs []store.Event, kind, note string) bool {
	for _, ev := range evs {
		if ev.Kind == kind && strings.Contains(ev.Note, note) {
			return true
		}
	}
	return false
}

const fakePlea = "My father is unconscious and not breathing, call 13812345678"

func TestRoomBridgedTopicRelaysBothWaysAndCloses(t *testing.T) {
	f := &fakeRooms{room: bot.Room{Chat: "fake:coord", Thread: "77", Bridged: true}}
	h := newRoomHarness(t, f)
	fakeSay(h, "@ann", "", "ann", fakePlea)
	mustContain(t, f.take("fake:coord", ""), "CRITICAL", "13812345678")
	mustContain(t, f.take("fake:@ann", ""), "registered as #1")
	fakeSay(h, "coord", "", "vol", "/volunteer medical")
	fakeSay(h, "coord", "", "vol", "/claim 1")
	mustContain(t, f.take("fake:@ann", ""), "A volunteer has taken your request #1")

	fakeSay(h, "coord", "", "vol", "/room 1")
	opened, _, _ := f.calls()
	if len(opened) != 1 {
		t.Fatalf("OpenRoom called %d times, want 1", len(opened))
	}
	req := opened[0]
	if req.Case != 1 || req.Coordination != "fake:coord" || !strings.HasPrefix(req.Title, "#1 medical emergency") ||
		!slices.Contains(req.Members, "fake:ann") || !slices.Contains(req.Members, "fake:vol") {
		t.Errorf("room request %+v", req)
	}
	// The card, unmasked, goes into the room's thread.
	mustContain(t, f.take("fake:coord", "77"), "Rescue room for case #1", "13812345678")
	mustContain(t, f.take("fake:coord", ""), "Room opened for case #1")
	mustContain(t, f.take("fake:@ann", ""), "opened a room for your request #1")
	if c := h.caseByID(1); c.Room != "fake:coord" {
		t.Errorf("case room %q", c.Room)
	}
	if !hasEvent(caseEvents(t, h, 1), "room", "") {
		t.Error("no room event")
	}

	// Volunteers in the thread → case history and the asker.
	fakeSay(h, "coord", "77", "vol", "on my way, 10 minutes")
	mustContain(t, f.take("fake:@ann", ""), "💬 Volunteer vol (request #1): on my way, 10 minutes")
	if !hasEvent(caseEvents(t, h, 1), "message", "on my way") {
		t.Error("room message not in the case history")
	}
	// A command in the thread needs no case number.
	fakeSay(h, "coord", "77", "vol", "/note gate is locked")
	mustContain(t, f.take("fake:coord", "77"), "Note added to case #1")
	// The asker privately → the room.
	fakeSay(h, "@ann", "", "ann", "the door code is 4321")
	mustContain(t, f.take("fake:coord", "77"), "💬 Asker (#1): the door code is 4321")

	fakeSay(h, "coord", "", "vol", "/resolve 1 at the hospital")
	eventually(t, h, "CloseRoom", func() bool { _, closed, _ := f.calls(); return len(closed) == 1 })
	_, closed, notes := f.calls()
	if closed[0].Chat != "fake:coord" || closed[0].Thread != "77" || !strings.Contains(notes[0], "resolved") {
		t.Errorf("closed %+v with note %q", closed[0], notes[0])
	}
	mustContain(t, f.take("fake:@ann", ""), "marked resolved")
	// Closed room: no more relaying.
	fakeSay(h, "coord", "77", "vol", "all done")
	mustNotContain(t, f.take("fake:@ann", ""), "all done")
}

func TestRoomSeparateChatWithInvites(t *testing.T) {
	f := &fakeRooms{room: bot.Room{Chat: "fake:room9", Invites: map[string]string{"fake:ann": "https://example.org/join/abc"}}}
	h := newRoomHarness(t, f)
	fakeSay(h, "@ann", "", "ann", fakePlea)
	fakeSay(h, "coord", "", "vol", "/volunteer")
	fakeSay(h, "coord", "", "vol", "/room 1")
	mustContain(t, f.take("fake:@ann", ""), "invited to the rescue room for case #1: https://example.org/join/abc")
	mustContain(t, f.take("fake:room9", ""), "Rescue room for case #1", "13812345678")
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		ch, err := tx.Chat("fake:room9")
		if err != nil {
			return err
		}
		if ch.Role != store.RoleRoom || ch.Case != 1 {
			t.Errorf("room chat %+v", ch)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// A volunteer who claims the case later is let in and gets an invite.
	fakeSay(h, "@bo", "", "bo", "hello")
	f.take("fake:@bo", "")
	fakeSay(h, "coord", "", "bo", "/volunteer")
	fakeSay(h, "coord", "", "bo", "/claim 1")
	eventually(t, h, "invite for a new holder", func() bool {
		return strings.Contains(f.take("fake:@bo", ""), "invited to the rescue room for case #1: https://example.org/join/bo")
	})
	fakeSay(h, "room9", "", "vol", "family reached")
	if !hasEvent(caseEvents(t, h, 1), "message", "family reached") {
		t.Error("room message not in the case history")
	}
	// Not bridged: the asker is in the room and gets no relay.
	mustNotContain(t, f.take("fake:@ann", ""), "family reached")
	fakeSay(h, "room9", "", "vol", "/room 1")
	mustContain(t, f.take("fake:room9", ""), "already has a room")
	if opened, _, _ := f.calls(); len(opened) != 1 {
		t.Errorf("second /room called OpenRoom again (%d calls)", len(opened))
	}
	h.say("[volunteers] admin: /close 1 invalid")
	eventually(t, h, "CloseRoom", func() bool { _, closed, _ := f.calls(); return len(closed) == 1 })
	if _, closed, _ := f.calls(); closed[0].Chat != "fake:room9" {
		t.Errorf("closed %+v", closed[0])
	}
}

func TestRoomOpenFailureFallsBack(t *testing.T) {
	f := &fakeRooms{openErr: fmt.Errorf("open pool room for case #1: %w", errors.New("no free room in the pool"))}
	h := newRoomHarness(t, f)
	fakeSay(h, "@ann", "", "ann", fakePlea)
	fakeSay(h, "coord", "", "vol", "/volunteer")
	fakeSay(h, "coord", "", "vol", "/room 1")
	out := f.take("fake:coord", "")
	mustContain(t, out, "Room for case #1 — a separate room could not be opened", "no free room in the pool", "/note 1", "13812345678")
	// Asking again tries the platform again, and says it still can't.
	fakeSay(h, "coord", "", "vol", "/room 1")
	mustContain(t, f.take("fake:coord", ""), "Still no separate room for case #1")
	if opened, _, _ := f.calls(); len(opened) != 2 {
		t.Errorf("OpenRoom called %d times, want 2", len(opened))
	}
}

func TestRoomConsoleFallbackAndClose(t *testing.T) {
	h := newHarness(t)
	h.say("[intake] 小陈: 外婆突然昏迷不醒，闵行莘庄，电话13912345672")
	out := h.say("[volunteers] admin: /room 1")
	mustContain(t, out, "[volunteers] lifeline: Room for case #1", "console can't open rooms", "13912345672", "no separate room")
	if c := h.caseByID(1); c.Room != "console:volunteers" {
		t.Errorf("case room %q", c.Room)
	}
	out = h.say("[volunteers] admin: /resolve 1")
	mustContain(t, out, "Case #1 is resolved. This room is closed")
}

func TestRoomOpensAutomaticallyForCriticalCases(t *testing.T) {
	t.Run("fake platform in the background", func(t *testing.T) {
		f := &fakeRooms{room: bot.Room{Chat: "fake:coord", Thread: "5", Bridged: true}}
		h := newRoomHarness(t, f, func(o *bot.Options) { o.RoomAt = triage.Critical })
		fakeSay(h, "@ann", "", "ann", fakePlea)
		eventually(t, h, "automatic room", func() bool { return h.caseByID(1).Room == "fake:coord" })
		eventually(t, h, "room card", func() bool { return strings.Contains(f.take("fake:coord", "5"), "Rescue room for case #1") })
		// Not for a normal request.
		fakeSay(h, "@bob", "", "bob", "I need groceries")
		time.Sleep(50 * time.Millisecond)
		if opened, _, _ := f.calls(); len(opened) != 1 {
			t.Errorf("OpenRoom called %d times, want 1", len(opened))
		}
	})
	t.Run("console fallback", func(t *testing.T) {
		h := newHarness(t, func(o *bot.Options) { o.RoomAt = triage.Critical })
		out := h.say("[intake] 小陈: 外婆突然昏迷不醒，闵行莘庄，电话13912345672")
		mustContain(t, out, "Room for case #1")
		mustContain(t, h.say("[volunteers] admin: /room 1"), "Still no separate room")
	})
	t.Run("off", func(t *testing.T) {
		h := newHarness(t)
		mustNotContain(t, h.say("[intake] 小陈: 外婆突然昏迷不醒，闵行莘庄，电话13912345672"), "Room for case")
	})
}

func TestRoomRefusalsAndUsage(t *testing.T) {
	h := newHarness(t)
	h.say("[intake] 小陈: 外婆突然昏迷不醒，闵行莘庄，电话13912345672")
	h.say("[volunteers] stranger: hi")
	tests := []struct{ line, want string }{
		{"[volunteers] stranger: /room 1", "for registered volunteers"},
		{"[intake] admin: /room 1", "works in the volunteers' coordination chat"},
		{"[volunteers] admin: /room", "Usage: /room N"},
		{"[volunteers] admin: /room abc", "is not a case number"},
		{"[volunteers] admin: /room 99", "There is no case #99"},
	}
	for _, tc := range tests {
		mustContain(t, h.say(tc.line), tc.want)
	}
	if c := h.caseByID(1); c.Room != "" {
		t.Errorf("a refused /room recorded room %q", c.Room)
	}
	h.say("[volunteers] admin: /close 1 invalid")
	mustContain(t, h.say("[volunteers] admin: /room 1"), "Case #1 is closed")
}

func TestRoomBridgesAnAskerFromAnotherPlatform(t *testing.T) {
	f := &fakeRooms{room: bot.Room{Chat: "fake:room3"}}
	h := newRoomHarness(t, f)
	mustContain(t, h.say("[@ann] ann: "+fakePlea), "registered as #1")
	fakeSay(h, "coord", "", "vol", "/volunteer")
	out := fakeSay(h, "coord", "", "vol", "/room 1")
	if opened, _, _ := f.calls(); len(opened) != 1 || slices.Contains(opened[0].Members, "console:ann") {
		t.Fatalf("room request %+v: a console asker can't join a fake room", opened)
	}
	mustContain(t, out, "[@ann] lifeline: Volunteers opened a room for your request #1")
	mustContain(t, fakeSay(h, "room3", "", "vol", "calling you now"), "[@ann] lifeline: 💬 Volunteer vol (request #1): calling you now")
	h.say("[@ann] ann: ok, I am at home")
	mustContain(t, f.take("fake:room3", ""), "💬 Asker (#1): ok, I am at home")
}
