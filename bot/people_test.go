package bot_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/bot"
)

// who is a person writing: their ref, display name and @handle.
type who struct{ ref, name, handle string }

// sayAs sends text from w in chat (a console chat name; "@x" is private),
// optionally as a reply to message replyTo, and returns the message id and
// what the bot printed.
func (h *harness) sayAs(w who, chat, text, replyTo string) (id, out string) {
	h.t.Helper()
	h.msgSeq++
	id = fmt.Sprintf("w%d", h.msgSeq)
	out = h.handle(bot.Message{Chat: "console:" + chat, Private: strings.HasPrefix(chat, "@"), ChatName: chat, ID: id,
		Sender: w.ref, SenderName: w.name, SenderHandle: w.handle, Text: text, Time: h.now(), ReplyTo: replyTo})
	return id, out
}

var (
	realAlice = who{"console:alice_w", "Alice", "alice_w"}
	fakeAlice = who{"console:mallory", "Alice", ""}
	bob       = who{"console:bob_k", "Bob K", "bobk"}
)

func TestGrantNamesOnePersonOrRefuses(t *testing.T) {
	h := newHarness(t)
	h.sayAs(realAlice, "volunteers", "/volunteer verify", "")
	h.sayAs(bob, "intake", "大家好", "")

	// A display name only one team member carries is enough.
	out := h.say("[volunteers] admin: /grant Alice coordinator")
	mustContain(t, out, "Alice (console:alice_w) is now coordinator")

	// A stranger takes the name in a public group: the name now names two.
	h.sayAs(fakeAlice, "intake", "hello", "")
	out = h.say("[volunteers] admin: /revoke @Alice coordinator")
	mustContain(t, out, `"Alice" could be 2 people`, "Alice (console:alice_w)", "Alice (console:mallory)", "reply to their message")
	if !slices.Contains(personRoles(t, h, "console:alice_w"), "coordinator") {
		t.Error("a refused /revoke took the role")
	}
	// Named by handle, by id or by reply, it is exact.
	mustContain(t, h.say("[volunteers] admin: /revoke @alice_w coordinator"), "Alice (console:alice_w) is no longer coordinator")
	mustContain(t, h.say("[volunteers] admin: /grant console:alice_w coordinator"), "Alice (console:alice_w) is now coordinator")
	msg, _ := h.sayAs(fakeAlice, "volunteers", "I want to help too", "")
	_, out = h.sayAs(who{"console:admin", "admin", ""}, "volunteers", "/grant volunteer", msg)
	mustContain(t, out, "Alice (console:mallory) is now volunteer")

	// Someone seen only in a public group is never picked by name.
	out = h.say("[volunteers] admin: /grant Bob K volunteer")
	mustContain(t, out, "Bob K (console:bob_k) has never written in the team's chats", "console:bob_k")
	if roles := personRoles(t, h, "console:bob_k"); len(roles) > 0 {
		t.Errorf("bob got %v by display name", roles)
	}
	mustContain(t, h.say("[volunteers] admin: /grant @bobk volunteer"), "Bob K (console:bob_k) is now volunteer")

	// A reply to a message the bot does not remember is refused.
	_, out = h.sayAs(who{"console:admin", "admin", ""}, "volunteers", "/grant coordinator", "old-message")
	mustContain(t, out, "don't remember who wrote the message")
	mustContain(t, h.say("[volunteers] admin: /grant coordinator"), "Usage: /grant")
	// Roles are not handed out in public groups.
	mustContain(t, h.say("[intake] admin: /grant @bobk coordinator"), "works in the volunteers' coordination chat or a private chat")
	mustNotContain(t, h.say("[intake] admin: /grant @bobk coordinator"), "console:bob_k")
}

func TestAssignNeedsAVolunteerOrAnyway(t *testing.T) {
	h := newHarness(t)
	setUpTeam(t, h)
	h.sayAs(realAlice, "volunteers", "hi, I am new", "")
	h.sayAs(realAlice, "@alice_w", "/start", "")

	out := h.say("[volunteers] coord: /assign 1 @alice_w")
	mustContain(t, out, "Alice (console:alice_w) is not a registered volunteer", "/assign 1 console:alice_w anyway")
	if slices.Contains(h.caseByID(1).Assignees, "console:alice_w") {
		t.Fatal("assigned without anyway")
	}
	out = h.say("[volunteers] coord: /assign 1 @alice_w anyway")
	mustContain(t, out, "assigned to Alice (console:alice_w); I told them privately", "[@alice_w] lifeline: You were assigned case #1")

	// A volunteer the bot can't reach privately: the coordinator is told.
	h.sayAs(bob, "volunteers", "/volunteer transport", "")
	msg, _ := h.sayAs(bob, "volunteers", "I can drive", "")
	_, out = h.sayAs(who{"console:coord", "coord", ""}, "volunteers", "/assign 1", msg)
	mustContain(t, out, "assigned to Bob K (console:bob_k). I could not tell them privately")

	// A name two people carry is refused with both.
	h.sayAs(fakeAlice, "volunteers", "/volunteer", "")
	mustContain(t, h.say("[volunteers] coord: /assign 1 Alice"), `"Alice" could be 2 people`)
}

func TestRecentRemembersRepliesPerChat(t *testing.T) {
	h := newHarness(t)
	h.sayAs(realAlice, "volunteers", "/volunteer", "")
	// The same message id in another chat is another message.
	h.handle(bot.Message{Chat: "console:intake", ID: "x1", Sender: "console:mallory", SenderName: "Alice", Text: "hi", Time: h.now()})
	h.handle(bot.Message{Chat: "console:volunteers", ID: "x1", Sender: "console:alice_w", SenderName: "Alice", Text: "hi", Time: h.now()})
	_, out := h.sayAs(who{"console:admin", "admin", ""}, "volunteers", "/grant coordinator", "x1")
	mustContain(t, out, "console:alice_w")
	mustNotContain(t, out, "mallory")
}
