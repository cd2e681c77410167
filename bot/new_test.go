package bot_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
)

// missed is a plea the triage does not read as one (it names no need):
// the case /new exists for.
const missed = "the old couple at 9 Park Road are still there, 07700 900123"

func TestNewOpensACaseForAPleaTheTriageMissed(t *testing.T) {
	h := newHarness(t)
	setUpTeam(t, h)
	out := h.say("[intake] Jo: " + missed)
	mustNotContain(t, out, "case #2")

	// Pasted into the coordination chat with a level: an urgent case,
	// alerted like any other, the card saying why its level is not the
	// triage's; the volunteer's words keep the phone for the team.
	out = h.say("[volunteers] vol: /new high " + missed)
	mustContain(t, out, "Case #2 opened (🟠 HIGH); the alert is on its way.", "07700 900123", "Not read as a request by the bot; opened by hand by vol as high")
	c := h.caseByID(2)
	if c.Urgency.String() != "high" || c.Status != store.StatusNew || c.SourceChat != "console:volunteers" {
		t.Fatalf("case #2: %s %s from %s", c.Urgency, c.Status, c.SourceChat)
	}
	mustContain(t, h.say("[volunteers] vol: /case 2"), "opened by hand")

	// Without a level: the triage's when it reads a request, normal when
	// it reads none — shown as a card to claim, with no alert.
	out = h.say("[volunteers] vol: /new neighbour asked for someone to look in on her")
	mustContain(t, out, "Case #3 opened.", "🟢", "/claim 3")
	mustNotContain(t, out, "alert is on its way")
	out = h.say("[volunteers] vol: /new 我爸昏迷了叫不醒，浦东川沙，13812345678")
	mustContain(t, out, "Case #4 opened (🔴 CRITICAL)")
	mustNotContain(t, out, "opened by hand by") // the triage's own level: no override line
}

func TestNewRefusesAndExplains(t *testing.T) {
	h := newHarness(t)
	setUpTeam(t, h)
	for _, tc := range []struct{ line, want string }{
		{"[volunteers] vol: /new", "Usage: /new"},
		{"[volunteers] vol: /new high", "Usage: /new"},
		{"[volunteers] stranger: /new someone is trapped", "registered volunteers"},
		// Pasted words belong in the work chats, where personal data may be.
		{"[intake] vol: /new " + missed, "reply to the plea with /new"},
		{"[@vol] vol: /new " + missed, "coordination chat"},
	} {
		mustContain(t, h.say(tc.line), tc.want)
	}
	if n := h.countCases(); n != 1 {
		t.Fatalf("%d cases after refused /new calls, want 1", n)
	}
	if strings.Count(h.logs.String(), `action=new`)+strings.Count(h.logs.String(), `cmd=new`) < 3 {
		t.Errorf("refusals not logged:\n%s", h.logs.String())
	}
}

// On Telegram a volunteer replies to the missed plea in its group: the case
// is the asker's, the group is told only that it was heard, and a second
// /new (or one on a plea that already is a case) names the case.
func TestNewByReplyInTheGroup(t *testing.T) {
	h := newHarness(t)
	setUpTeam(t, h)
	h.say("[intake] Jo: " + missed)
	plea := "m" + strconv.Itoa(h.msgSeq) // the harness numbers the lines it feeds
	replies := 0
	reply := func(id string) bot.Message {
		replies++
		return bot.Message{Chat: "console:intake", ID: "r" + strconv.Itoa(replies), Sender: "console:vol", SenderName: "vol",
			Text: "/new", Time: h.now(), ReplyTo: id,
			Replied: &bot.Replied{Sender: "console:Jo", SenderName: "Jo", Text: missed, Time: h.now()}}
	}
	out := h.handle(reply(plea))
	mustContain(t, out, "[intake] lifeline: ✓ Noted as a request for help (case #2). Volunteers will follow up.")
	mustNotContain(t, out, "900123") // the group sees nothing of the plea's details
	c := h.caseByID(2)
	if c.Asker != "console:Jo" || c.SourceChat != "console:intake" || c.SourceMsg != plea || c.Urgency.String() != "normal" {
		t.Fatalf("case #2: asker %s, source %s/%s, %s", c.Asker, c.SourceChat, c.SourceMsg, c.Urgency)
	}
	mustContain(t, h.handle(reply(plea)), "That plea is already case #2.")
	// Case #1 came from the triage: its message cannot be opened again.
	first := h.caseByID(1)
	mustContain(t, h.handle(reply(first.SourceMsg)), "That plea is already case #1.")
	// WeChat gives no id of a quoted message: the asker's open case with
	// the same words is the same plea.
	quoted := reply("quote-1")
	quoted.Replied = &bot.Replied{Sender: first.Asker, SenderName: first.AskerName, Text: first.Text}
	mustContain(t, h.handle(quoted), "That plea is already case #1.")

	// A platform that does not say what a reply answers (WeChat, the
	// console) gets the way round it.
	m := reply(plea)
	m.Replied = nil
	mustContain(t, h.handle(m), "paste its words after /new in the coordination chat")
	// Words next to a reply are refused, not silently dropped.
	m = reply(plea)
	m.Text = "/new she is 90"
	mustContain(t, h.handle(m), "Reply to the plea with only /new")
}

// A command redelivered by the platform opens its case once.
func TestNewIsIdempotent(t *testing.T) {
	h := newHarness(t)
	setUpTeam(t, h)
	m := bot.Message{Chat: "console:volunteers", ID: "again", Sender: "console:vol", SenderName: "vol",
		Text: "/new " + missed, Time: h.now()}
	mustContain(t, h.handle(m), "Case #2 opened")
	h.handle(m)
	if n := h.countCases(); n != 2 {
		t.Fatalf("%d cases after a redelivered /new, want 2", n)
	}
}
