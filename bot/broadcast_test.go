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
	out := h.say("[volunteers] admin: /broadcast 1")
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
	pub := linesOf(h.say("[volunteers] admin: /broadcast 1"), "broadcast")
	mustContain(t, pub, "CRITICAL", "138****5678")
	mustNotContain(t, pub, "13812345678", "1204")
}

func TestBroadcastResolvedFollowUp(t *testing.T) {
	// /status N resolved ends a case as /resolve does, follow-up included.
	for _, resolve := range []string{"/resolve 1", "/status 1 resolved"} {
		for _, on := range []bool{true, false} {
			h := newHarness(t, func(o *bot.Options) { o.Workflow.BroadcastResolved = on })
			h.say(bcPlea)
			h.say("[volunteers] admin: /broadcast 1")
			pub := linesOf(h.say("[volunteers] admin: "+resolve), "broadcast")
			if on {
				mustContain(t, pub, "Case #1", "resolved", "Thank you")
			} else if pub != "" {
				t.Errorf("%s: follow-up posted with BroadcastResolved off:\n%s", resolve, pub)
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
	mustContain(t, h.say("[volunteers] admin: /broadcast 1"), "no broadcast chats", "/bind broadcast")
}
