package bot_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
)

const bcPlea = "[intake] 小陈: 外婆昏迷不醒，闵行区莘庄镇莘松路100弄3号楼502室，电话13912345672"

// linesOf keeps the output of one chat ("[broadcast] …" and its
// continuation lines).
func linesOf(out, chat string) string {
	var b strings.Builder
	in := false
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "[") {
			in = strings.HasPrefix(l, "["+chat+"]")
		}
		if in {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func TestBroadcastMasksPersonalData(t *testing.T) {
	h := newHarness(t, func(o *bot.Options) {
		o.Groups = append(slices.Clone(defaultGroups), bot.GroupBinding{Chat: "console:broadcast2", Role: store.RoleBroadcast, Language: "zh"})
	})
	alert := h.say(bcPlea)
	// The coordination alert keeps the full details.
	mustContain(t, linesOf(alert, "volunteers"), "13912345672", "502")
	out := h.say("[volunteers] admin: /broadcast 1 confirm")
	mustContain(t, out, "[volunteers] lifeline: ✓ Case #1 broadcast to 2 chats.")
	for _, chat := range []string{"broadcast", "broadcast2"} {
		pub := linesOf(out, chat)
		if pub == "" {
			t.Fatalf("nothing posted in %s:\n%s", chat, out)
		}
		// Urgency first, then the need, the district, the masked contact, how to help.
		if !strings.HasPrefix(pub, "["+chat+"] lifeline: 🔴") {
			t.Errorf("%s: urgency is not first:\n%s", chat, pub)
		}
		mustContain(t, pub, "139****5672", "闵行区", "#1")
		mustNotContain(t, pub, "13912345672", "502", "100弄", "3号楼", "莘松路")
	}
	mustContain(t, linesOf(out, "broadcast"), "How to help", "quote #1")
	mustContain(t, linesOf(out, "broadcast2"), "如何帮忙", "#1")

	var sent []string
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		raw, err := tx.GetState("bcast:1")
		if err != nil {
			return err
		}
		return json.Unmarshal(raw, &sent)
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(sent)
	if !slices.Equal(sent, []string{"console:broadcast", "console:broadcast2"}) {
		t.Errorf("recorded broadcast chats %v", sent)
	}
	var n int
	for _, ev := range caseEvents(t, h, 1) {
		if ev.Kind == "broadcast" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d broadcast events, want one per chat", n)
	}
}

func TestBroadcastEnglishPleaMasked(t *testing.T) {
	h := newHarness(t)
	h.say("[intake] Tom: My father is unconscious and not breathing, Pudong district, 3 Elm Road room 1204, call 13812345678")
	pub := linesOf(h.say("[volunteers] admin: /broadcast 1 confirm"), "broadcast")
	mustContain(t, pub, "CRITICAL", "138****5678")
	mustNotContain(t, pub, "13812345678", "1204")
}

func TestBroadcastResolvedFollowUp(t *testing.T) {
	// /status N resolved ends a case as /resolve does, follow-up included.
	for _, resolve := range []string{"/resolve 1", "/status 1 resolved"} {
		for _, on := range []bool{true, false} {
			h := newHarness(t, func(o *bot.Options) { o.Workflow.BroadcastResolved = on })
			h.say(bcPlea)
			h.say("[volunteers] admin: /verify 1")
			h.say("[volunteers] admin: /broadcast 1")
			pub := linesOf(h.say("[volunteers] admin: "+resolve), "broadcast")
			// Forwarding must stop either way; the thanks are the team's choice.
			mustContain(t, pub, "Case #1", "resolved", "stop forwarding")
			if on {
				mustContain(t, pub, "Thank you")
			} else {
				mustNotContain(t, pub, "Thank you")
			}
		}
	}
}

func TestBroadcastRefusalsAndUsage(t *testing.T) {
	h := newHarness(t)
	h.say(bcPlea)
	mustContain(t, h.say("[volunteers] vol: /volunteer"), "registered")
	tests := []struct{ line, want string }{
		{"[volunteers] vol: /broadcast 1", "needs the coordinator role"},
		{"[intake] admin: /broadcast 1", "works in the volunteers' coordination chat"},
		{"[volunteers] admin: /broadcast", "Usage: /broadcast N"},
		{"[volunteers] admin: /broadcast x", "is not a case number"},
		{"[volunteers] admin: /broadcast 99", "There is no case #99"},
	}
	for _, tc := range tests {
		out := h.say(tc.line)
		mustContain(t, out, tc.want)
		mustNotContain(t, out, "[broadcast]")
	}
	h.say("[volunteers] admin: /close 1 invalid")
	mustContain(t, h.say("[volunteers] admin: /broadcast 1"), "only open cases are broadcast")
}

func TestBroadcastWithoutBroadcastChats(t *testing.T) {
	h := newHarness(t, func(o *bot.Options) {
		o.Groups = slices.DeleteFunc(slices.Clone(defaultGroups), func(g bot.GroupBinding) bool { return g.Role == store.RoleBroadcast })
	})
	h.say(bcPlea)
	mustContain(t, h.say("[volunteers] admin: /broadcast 1 confirm"), "no broadcast chats", "/bind broadcast")
}

// The gates of #12: an unverified case needs "confirm", a scam-flagged one
// a reason, a case goes to each chat once, and the chats learn how it
// ended, whichever way that was.
func TestBroadcastGates(t *testing.T) {
	h := newHarness(t)
	h.say(bcPlea)
	out := h.say("[volunteers] admin: /broadcast 1")
	mustContain(t, out, "not verified yet", "/broadcast 1 confirm")
	mustNotContain(t, out, "[broadcast]")
	mustContain(t, h.say("[volunteers] admin: /broadcast 1 confirm"), "[broadcast] lifeline:", "broadcast to 1 chats")
	again := h.say("[volunteers] admin: /broadcast 1 confirm")
	mustContain(t, again, "already in all 1 broadcast chats", "not posted twice")
	mustNotContain(t, again, "[broadcast]")
	// A chat bound later gets the card; the first is left alone.
	h.say("[broadcast2] admin: /bind broadcast")
	more := h.say("[volunteers] admin: /broadcast 1 confirm")
	mustContain(t, more, "[broadcast2] lifeline:", "1 more chats (it was already in 1)")
	mustNotContain(t, linesOf(more, "broadcast"), "lifeline")
	var note string
	for _, ev := range caseEvents(t, h, 1) {
		if ev.Kind == "broadcast" {
			note = ev.Note
		}
	}
	if !strings.Contains(note, "confirmed unverified") {
		t.Errorf("the override is not recorded: note %q", note)
	}

	// A scam-flagged case, even verified, needs a reason.
	h.say("[intake] 骗子: 急需救命钱，孩子病危，请转账到支付宝 pay@example.com")
	h.say("[volunteers] admin: /verify 2")
	for _, line := range []string{"/broadcast 2", "/broadcast 2 confirm"} {
		out := h.say("[volunteers] admin: " + line)
		mustContain(t, out, "possible scam", "/broadcast 2 confirm <reason>")
		mustNotContain(t, out, "[broadcast")
	}
	mustContain(t, h.say("[volunteers] admin: /broadcast 2 confirm 电话核实过，是医院的账户"), "[broadcast] lifeline:")
	if !strings.Contains(h.logs.String(), "action refused") {
		t.Error("the scam refusal was not logged")
	}
}

func TestBroadcastEndNotices(t *testing.T) {
	tests := []struct {
		end  string
		want []string
	}{
		{"/resolve 1", []string{"resolved", "stop forwarding"}},
		{"/close 1 invalid", []string{"could not be confirmed", "stop forwarding"}},
		{"/close 1 scam", []string{"likely a scam", "Do not send any money"}},
		{"/close 1 withdrawn", []string{"withdrawn", "stop forwarding"}},
		{"/close 1 unreachable", []string{"closed", "stop forwarding"}},
		{"/merge 1 2", []string{"same as case #2", "stop forwarding #1"}},
	}
	for _, tc := range tests {
		t.Run(tc.end, func(t *testing.T) {
			h := newHarness(t, func(o *bot.Options) {
				o.Groups = append(slices.Clone(defaultGroups), bot.GroupBinding{Chat: "console:broadcast2", Role: store.RoleBroadcast})
			})
			h.say(bcPlea)
			h.say("[intake] 小李: 我爸爸透析三天没做了，浦东，电话13700001111")
			h.say("[volunteers] admin: /broadcast 1 confirm")
			out := h.say("[volunteers] admin: " + tc.end)
			for _, chat := range []string{"broadcast", "broadcast2"} {
				pub := linesOf(out, chat)
				mustContain(t, pub, append([]string{"#1"}, tc.want...)...)
				mustNotContain(t, pub, "13912345672", "莘松路")
			}
			// Reopened and ended again, the chats are not told twice
			// unless the case was broadcast again.
			if tc.end != "/merge 1 2" {
				h.say("[volunteers] admin: /reopen 1")
				if pub := linesOf(h.say("[volunteers] admin: "+tc.end), "broadcast"); pub != "" {
					t.Errorf("a second end notice without a second broadcast:\n%s", pub)
				}
			}
		})
	}
	// The asker's own /cancel retracts too.
	h := newHarness(t)
	h.say("[@Ann] Ann: my mother ran out of insulin two days ago, call 13912340000")
	h.say("[volunteers] admin: /broadcast 1 confirm")
	mustContain(t, linesOf(h.say("[@Ann] Ann: /cancel"), "broadcast"), "withdrawn by the person who asked")
}
