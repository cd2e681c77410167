package board_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/store"
)

// events are the history of case id, as kind → actors.
func (h *harness) events(id int64) map[string][]string {
	h.t.Helper()
	out := map[string][]string{}
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		evs, err := tx.Events(id)
		for _, ev := range evs {
			out[ev.Kind] = append(out[ev.Kind], ev.Actor)
		}
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return out
}

func (h *harness) caseOf(id int64) *store.Case {
	h.t.Helper()
	var c *store.Case
	if err := h.st.View(context.Background(), func(tx *store.Tx) (err error) {
		c, err = tx.Case(id)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return c
}

// offered says whether the case page offers the action's button.
func offered(page, action string) bool {
	return strings.Contains(page, `name="action" value="`+action+`"`)
}

func TestMergeOnTheBoard(t *testing.T) {
	h := newHarness(t)
	h.team()
	h.seed(1) // case #2, a different request
	vol, coord := h.signIn("vol"), h.signIn("coord")

	// A volunteer is not offered /merge (coordinators only), and a forged
	// press is refused with the chat's words, changing nothing.
	_, page := vol.get("/board/case/2")
	if offered(page, "merge") {
		t.Errorf("merge offered to a volunteer")
	}
	code, body := vol.act(2, url.Values{"action": {"merge"}, "into": {"1"}})
	if code != http.StatusForbidden {
		t.Fatalf("volunteer merge: %d, want 403", code)
	}
	mustContain(t, body, "coordinator")
	if c := h.caseOf(2); c.MergedInto != 0 || !c.Status.Open() {
		t.Fatalf("refused merge changed case #2: %+v", c)
	}
	if !strings.Contains(h.logs.String(), "action=merge actor=console:vol") {
		t.Errorf("refusal not logged")
	}

	// Bad input: the chat's message, nothing changes.
	_, page = coord.get("/board/case/2")
	if !offered(page, "merge") {
		t.Fatalf("merge not offered to a coordinator:\n%s", page)
	}
	code, body = coord.act(2, url.Values{"action": {"merge"}, "into": {"one"}})
	if code != http.StatusBadRequest {
		t.Fatalf("merge into \"one\": %d, want 400", code)
	}
	mustContain(t, body, "&#34;one&#34; is not a case number.")
	code, body = coord.act(2, url.Values{"action": {"merge"}, "into": {"99"}})
	if code != http.StatusNotFound {
		t.Fatalf("merge into a missing case: %d, want 404", code)
	}
	mustContain(t, body, "There is no case #99.")

	// The coordinator merges #2 into #1: the chat's answer, the case
	// closed as merged, recorded under their id.
	code, body = coord.act(2, url.Values{"action": {"merge"}, "into": {"#1"}})
	if code != http.StatusOK {
		t.Fatalf("merge: %d\n%s", code, body)
	}
	mustContain(t, body, "✓ Case #2 merged into #1.")
	if c := h.caseOf(2); c.MergedInto != 1 || c.Status.Open() {
		t.Fatalf("case #2 after the merge: merged into %d, status %s", c.MergedInto, c.Status)
	}
	if got := h.events(1)["merged"]; len(got) != 1 || got[0] != "console:coord" {
		t.Errorf("merged events of #1 by %v, want one by console:coord", got)
	}
	if got := h.events(2)["status"]; len(got) != 1 || got[0] != "console:coord" {
		t.Errorf("closing #2 recorded by %v, want console:coord", got)
	}
	// Merging again is the chat's conflict, not a second merge.
	if code, _ := coord.act(2, url.Values{"action": {"merge"}, "into": {"1"}}); code == http.StatusOK {
		t.Errorf("second merge of #2 succeeded")
	}
}

func TestRoomOnTheBoard(t *testing.T) {
	h := newHarness(t)
	h.team()
	h.flush()
	vol := h.signIn("vol")
	_, page := vol.get("/board/case/1")
	if !offered(page, "room") {
		t.Fatalf("room not offered to a volunteer (the rule is volunteers):\n%s", page)
	}
	// The console cannot open rooms: as /room there, the coordination
	// chat becomes the case's room and the card is posted there.
	code, body := vol.act(1, url.Values{"action": {"room"}})
	if code != http.StatusOK {
		t.Fatalf("room: %d\n%s", code, body)
	}
	mustContain(t, body, "Case #1: no separate room (console can&#39;t open rooms); this chat is its room.")
	mustContain(t, h.flush(), "[volunteers] lifeline: Room for case #1 — a separate room could not be opened")
	if got := h.events(1)["room"]; len(got) != 1 || got[0] != "console:vol" {
		t.Errorf("room events by %v, want one by console:vol", got)
	}
	if c := h.caseOf(1); c.Room != "console:volunteers" {
		t.Errorf("case room %q", c.Room)
	}
	// Again: the chat's answer, no second room.
	code, body = vol.act(1, url.Values{"action": {"room"}})
	if code != http.StatusOK {
		t.Fatalf("second room: %d", code)
	}
	mustContain(t, body, "Still no separate room for case #1")
	if got := h.events(1)["room"]; len(got) != 1 {
		t.Errorf("%d room events after asking twice", len(got))
	}
	// A finished case gets no room: refused with the chat's words.
	coord := h.signIn("coord")
	if code, _ := coord.act(1, url.Values{"action": {"resolve"}}); code != http.StatusOK {
		t.Fatalf("resolve: %d", code)
	}
	h.seed(1)
	if code, _ := coord.act(2, url.Values{"action": {"close"}, "reason": {"invalid"}}); code != http.StatusOK {
		t.Fatalf("close: %d", code)
	}
	code, body = vol.act(2, url.Values{"action": {"room"}})
	if code != http.StatusConflict {
		t.Fatalf("room for a closed case: %d, want 409", code)
	}
	mustContain(t, body, "Case #2 is closed.")
	if got := h.events(2)["room"]; len(got) != 0 {
		t.Errorf("a room was recorded for a closed case: %v", got)
	}
}

func TestBroadcastOnTheBoard(t *testing.T) {
	h := newHarness(t)
	h.team()
	mustContain(t, h.say("[bcast] admin: /bind broadcast"), "broadcast chat")
	vol, coord := h.signIn("vol"), h.signIn("coord")
	posts := func(out string) int { return strings.Count(out, "[bcast] lifeline:") }

	// Coordinators only: not offered to a volunteer, refused if forged.
	_, page := vol.get("/board/case/1")
	if offered(page, "broadcast") {
		t.Errorf("broadcast offered to a volunteer")
	}
	code, body := vol.act(1, url.Values{"action": {"broadcast"}, "confirm": {"1"}, "reason": {"x"}})
	if code != http.StatusForbidden {
		t.Fatalf("volunteer broadcast: %d, want 403", code)
	}
	mustContain(t, body, "coordinator")
	_, page = coord.get("/board/case/1")
	if !offered(page, "broadcast") {
		t.Fatalf("broadcast not offered to a coordinator")
	}

	// Not verified yet: refused without confirm, as in chat.
	code, body = coord.act(1, url.Values{"action": {"broadcast"}})
	if code != http.StatusConflict {
		t.Fatalf("unverified without confirm: %d, want 409", code)
	}
	mustContain(t, body, "Case #1 is not verified yet")
	if n := posts(h.flush()); n != 0 {
		t.Fatalf("a refused broadcast was posted %d times", n)
	}

	// Flagged as a possible scam: confirm alone is refused; a reason
	// passes, and is recorded with the broadcast.
	if err := h.st.Update(context.Background(), func(tx *store.Tx) error {
		c, err := tx.Case(1)
		if err != nil {
			return err
		}
		c.Assessment.Scam = true
		return tx.PutCase(c)
	}); err != nil {
		t.Fatal(err)
	}
	code, body = coord.act(1, url.Values{"action": {"broadcast"}, "confirm": {"1"}})
	if code != http.StatusForbidden {
		t.Fatalf("scam without a reason: %d, want 403", code)
	}
	mustContain(t, body, "Case #1 is flagged as a possible scam")
	if n := posts(h.flush()); n != 0 {
		t.Fatalf("a refused broadcast was posted %d times", n)
	}
	code, body = coord.act(1, url.Values{"action": {"broadcast"}, "confirm": {"1"}, "reason": {"hospital confirmed by phone"}})
	if code != http.StatusOK {
		t.Fatalf("broadcast: %d\n%s", code, body)
	}
	mustContain(t, body, "✓ Case #1 broadcast to 1 chats.")
	out := h.flush()
	if n := posts(out); n != 1 {
		t.Fatalf("posted %d times, want once:\n%s", n, out)
	}
	if _, card, _ := strings.Cut(out, "[bcast] lifeline:"); strings.Contains(card, "13912340000") {
		t.Errorf("the broadcast card shows the phone:\n%s", card)
	}
	if got := h.events(1)["broadcast"]; len(got) != 1 || got[0] != "console:coord" {
		t.Errorf("broadcast events by %v, want one by console:coord", got)
	}
	_, page = coord.get("/board/case/1")
	mustContain(t, page, "hospital confirmed by phone")

	// Once per chat: asking again is the chat's conflict, nothing posted.
	code, body = coord.act(1, url.Values{"action": {"broadcast"}, "confirm": {"1"}, "reason": {"again"}})
	if code != http.StatusConflict {
		t.Fatalf("second broadcast: %d, want 409", code)
	}
	mustContain(t, body, "not posted twice")
	if n := posts(h.flush()); n != 0 {
		t.Fatalf("second broadcast posted %d times", n)
	}
	if got := h.events(1)["broadcast"]; len(got) != 1 {
		t.Errorf("%d broadcast events after a second press", len(got))
	}
}

func TestNewActionsNeedTheFormToken(t *testing.T) {
	h := newHarness(t)
	h.team()
	h.say("[bcast] admin: /bind broadcast")
	h.seed(1)
	coord := h.signIn("coord")
	_, page := coord.get("/board/case/2")
	token := coord.csrf(page)
	for _, form := range []url.Values{
		{"action": {"merge"}, "into": {"1"}},
		{"action": {"room"}},
		{"action": {"broadcast"}, "confirm": {"1"}},
	} {
		if code, _ := coord.post("/board/case/2", form, h.srv.URL); code != http.StatusForbidden {
			t.Errorf("%s without a token: %d, want 403", form.Get("action"), code)
		}
		form.Set("csrf", token)
		if code, _ := coord.post("/board/case/2", form, "https://evil.example"); code != http.StatusForbidden {
			t.Errorf("%s from another origin: %d, want 403", form.Get("action"), code)
		}
	}
	if c := h.caseOf(2); c.MergedInto != 0 || c.Room != "" {
		t.Errorf("a forged action took effect: %+v", c)
	}
	if ev := h.events(2); len(ev["broadcast"])+len(ev["room"])+len(ev["status"]) != 0 {
		t.Errorf("forged actions recorded: %v", ev)
	}
}
