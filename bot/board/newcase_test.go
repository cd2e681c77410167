package board_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/store"
)

var nonceRE = regexp.MustCompile(`name="nonce" value="([^"]+)"`)

// A plea that came by phone is opened from the board through the same
// action as /new: the case page follows, a resubmitted form opens nothing
// more, and bad or forged forms change nothing.
func TestNewCaseOnTheBoard(t *testing.T) {
	h := newHarness(t)
	h.team()
	vol := h.signIn("vol")
	_, page := vol.get("/board/new")
	mustContain(t, page, `name="words"`)
	form := url.Values{"csrf": {vol.csrf(page)}, "nonce": {nonceRE.FindStringSubmatch(page)[1]},
		"words": {"9号楼那户人家一直没动静，电话13812345678"}, "urgency": {"high"}}

	code, body := vol.post("/board/new", form, h.srv.URL)
	if code != http.StatusOK || !strings.Contains(body, "#2") {
		t.Fatalf("new case: %d\n%s", code, body)
	}
	c := h.caseOf(2)
	if c.Urgency.String() != "high" || !c.Status.Open() || c.SourceChat != "board" {
		t.Fatalf("case #2: %s %s from %s", c.Urgency, c.Status, c.SourceChat)
	}
	if got := h.events(2)["opened"]; len(got) != 1 || got[0] != "console:vol" {
		t.Errorf("opened by %v, want console:vol", got)
	}
	// The urgent case alerts the coordination chat like any other.
	mustContain(t, h.say("[volunteers] vol: /cases"), "HIGH · other · case #2", "opened by hand by vol", "13812345678", "From: web board")

	// The same form again (a reload): no second case.
	code, body = vol.post("/board/new", form, h.srv.URL)
	if code != http.StatusConflict || h.countCases() != 2 {
		t.Fatalf("resubmitted form: %d, %d cases\n%s", code, h.countCases(), body)
	}
	// No words, a made-up level, no token: refused, nothing opened.
	for _, tc := range []struct {
		change url.Values
		code   int
		want   string
	}{
		{url.Values{"words": {" "}, "nonce": {"n2"}}, http.StatusBadRequest, "needs the plea"},
		{url.Values{"urgency": {"apocalyptic"}, "nonce": {"n3"}}, http.StatusBadRequest, "not an urgency"},
		{url.Values{"csrf": {""}, "nonce": {"n4"}}, http.StatusForbidden, "expired"},
	} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		for k, v := range tc.change {
			f[k] = v
		}
		code, body := vol.post("/board/new", f, h.srv.URL)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%v: %d, want %d with %q\n%s", tc.change, code, tc.code, tc.want, body)
		}
	}
	if n := h.countCases(); n != 2 {
		t.Fatalf("%d cases after refused forms, want 2", n)
	}
}

// countCases is how many cases the store holds.
func (h *harness) countCases() int {
	h.t.Helper()
	n := 0
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		return tx.ForEachCase(func(*store.Case) error { n++; return nil })
	}); err != nil {
		h.t.Fatal(err)
	}
	return n
}
