package bot_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
)

// Every answer that says no is logged, once. The list holds each kind of
// refusal the commands give: the role, the place, a malformed or unknown
// command, a missing case or person, a state that forbids it, a gate.
func TestEveryRefusalIsLoggedOnce(t *testing.T) {
	h := newHarness(t)
	setUpTeam(t, h)
	h.say("[volunteers] vol: /claim 1")
	h.say("[@Ann] Ann: my mother ran out of insulin two days ago, call 13912340000")
	h.sayAs(bob, "intake", "hello", "")
	refusals := []string{
		"[volunteers] stranger: /claim 1",              // role
		"[volunteers] vol: /status 1 verified",         // role, checked by the command
		"[volunteers] vol: /broadcast 1",               // role
		"[volunteers] coord: /grant @vol admin",        // role
		"[volunteers] coord: /bind intake",             // role
		"[volunteers] vol: /export",                    // role
		"[intake] admin: /status 1 verified",           // place: a public group
		"[intake] admin: /claim 1",                     // place
		"[intake] admin: /grant @vol coordinator",      // place
		"[volunteers] vol: /cancel",                    // place
		"[volunteers] vol: /start",                     // place
		"[@admin] admin: /case 1",                      // place: a private chat
		"[volunteers] vol: /claim abc",                 // malformed
		"[volunteers] vol: /note 1",                    // malformed
		"[volunteers] vol: /frobnicate",                // unknown, in a work chat
		"[volunteers] vol: /claim 99",                  // no such case
		"[volunteers] admin: /grant @nobody volunteer", // no such person
		"[volunteers] admin: /grant Bob K volunteer",   // outside the team
		"[volunteers] vol: /claim 1",                   // already holds it
		"[volunteers] coord: /reopen 1",                // still open
		"[volunteers] coord: /close 1 bored",           // invalid reason
		"[volunteers] coord: /merge 1 1",               // invalid
		"[volunteers] coord: /assign 1 @Ann",           // not a volunteer
		"[volunteers] coord: /broadcast 1",             // not verified
		"[volunteers] vol: /volunteer juggling",        // unknown skill
		"[@Ann] Ann: /cancel 7",                        // not theirs
		"[@Ann] Ann: /status 1",                        // not theirs
		"[@Ann] Ann: /admin 12345678",                  // no code
		"[volunteers] coord: /export",                  // export not set up
	}
	for _, line := range refusals {
		before := len(h.logs.String())
		out := h.say(line)
		if out == "" {
			t.Errorf("%s: no answer", line)
		}
		logged := 0
		for _, l := range strings.Split(h.logs.String()[before:], "\n") {
			if strings.Contains(l, "refused") {
				logged++
			}
		}
		if logged != 1 {
			t.Errorf("%s: logged %d times, want once; answer:\n%s", line, logged, out)
		}
	}
	t.Logf("%d refusals, each logged once", len(refusals))
}

func TestPublicGroupsHearNoStrayCommands(t *testing.T) {
	h := newHarness(t)
	setUpTeam(t, h)
	for _, line := range []string{
		"[intake] stranger: /frobnicate",
		"[intake] stranger: /usr/bin/env",
		"[broadcast] stranger: /start@SomeOtherBot",
		"[intake] vol: /claim@otherbot 1",
		"[volunteers] vol: /claim@otherbot 1", // for another bot, even in the team's chat
	} {
		if out := h.say(line); out != "" {
			t.Errorf("%s answered:\n%s", line, out)
		}
	}
	if c := h.caseByID(1); len(c.Assignees) > 0 {
		t.Errorf("a command for another bot claimed the case: %v", c.Assignees)
	}
	logs := h.logs.String()
	for _, want := range []string{"unknown command in a public group ignored", "command for another bot ignored"} {
		if !strings.Contains(logs, want) {
			t.Errorf("debug log lacks %q", want)
		}
	}
	// A stranger's known command is refused there in silence (logged);
	// a team member still hears why.
	before := len(h.logs.String())
	for _, line := range []string{"[intake] stranger: /case 1", "[intake] stranger: /claim 1", "[broadcast] stranger: /admin 12345678"} {
		if out := h.say(line); out != "" {
			t.Errorf("%s answered:\n%s", line, out)
		}
	}
	if n := strings.Count(h.logs.String()[before:], "refused"); n < 3 {
		t.Errorf("%d refusals logged, want 3", n)
	}
	out := h.say("[intake] vol: /claim 1")
	mustContain(t, out, "[intake] lifeline:", "works in the volunteers' coordination chat")
	mustNotContain(t, out, "13912345672", "闵行")
}

// Case commands work in the coordination chat and in that case's room.
func TestCaseCommandsOnlyInTheirPlace(t *testing.T) {
	h := newHarness(t)
	setUpTeam(t, h)
	mustContain(t, h.say("[intake] admin: /status 1 verified"), "works in the volunteers' coordination chat")
	mustContain(t, h.say("[@admin] admin: /status 1 verified"), "works in the volunteers' coordination chat")
	if c := h.caseByID(1); c.Status != store.StatusNew {
		t.Errorf("status changed from outside: %s", c.Status)
	}
	mustContain(t, h.say("[@admin] admin: /status"), "no open requests") // the asker's own list

	// A case's room handles that case only: the asker may be in it.
	f := &fakeRooms{room: bot.Room{Chat: "fake:room1"}}
	h = newRoomHarness(t, f)
	h.say("[intake] 小陈: 外婆昏迷不醒，叫不到救护车，闵行莘庄，电话13912345672")
	h.say("[intake] 小李: 我爸爸透析三天没做了，浦东，电话13700001111")
	fakeSay(h, "coord", "", "vol", "/volunteer")
	fakeSay(h, "coord", "", "vol", "/room 1")
	if c := h.caseByID(1); c.Room != "fake:room1" {
		t.Fatalf("room of case 1: %q", c.Room)
	}
	fakeSay(h, "room1", "", "vol", "/note 1 on my way")
	mustContain(t, f.take("fake:room1", ""), "Note added to case #1")
	fakeSay(h, "room1", "", "vol", "/claim 2")
	mustContain(t, f.take("fake:room1", ""), "This is the room of case #1", "#2")
	if c := h.caseByID(2); len(c.Assignees) > 0 {
		t.Errorf("case 2 claimed from case 1's room: %v", c.Assignees)
	}
}

// menuPlatform is the console that also shows command menus.
type menuPlatform struct {
	bot.Platform
	mu  sync.Mutex
	got []bot.Menus
}

func (p *menuPlatform) SetMenus(_ context.Context, m bot.Menus) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, m)
	return nil
}

func (p *menuPlatform) last(t *testing.T) bot.Menus {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.got) == 0 {
		t.Fatal("no menus set")
	}
	return p.got[len(p.got)-1]
}

func commandsOf(items []bot.MenuItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Command)
	}
	return out
}

func TestMenusFollowTheChatsRoles(t *testing.T) {
	h := newHarness(t)
	mp := &menuPlatform{Platform: h.con}
	h.e.AddPlatform(mp)
	if err := h.e.PublishMenus(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := mp.last(t)
	if got := commandsOf(m.Private); !slices.Contains(got, "status") || slices.Contains(got, "claim") {
		t.Errorf("private menu %v: want the asker's commands only", got)
	}
	if m.Groups != nil {
		t.Errorf("groups get a menu: %v", m.Groups)
	}
	if got := commandsOf(m.Chats["console:volunteers"]); !slices.Contains(got, "claim") {
		t.Errorf("coordination menu %v", got)
	}
	for _, public := range []string{"console:intake", "console:intake2", "console:broadcast"} {
		if _, ok := m.Chats[public]; ok {
			t.Errorf("public chat %s gets the volunteers' menu", public)
		}
	}
	// /bind changes the chat's menu at once.
	h.say("[newgroup] admin: /bind coordination")
	if _, ok := mp.last(t).Chats["console:newgroup"]; !ok {
		t.Error("a new coordination chat has no volunteers' menu")
	}
	h.say("[newgroup] admin: /bind intake")
	if _, ok := mp.last(t).Chats["console:newgroup"]; ok {
		t.Error("a chat bound as intake keeps the volunteers' menu")
	}
	n := len(mp.got)
	h.say("[newgroup] admin: /bind party")
	if len(mp.got) != n {
		t.Error("a refused /bind set the menus")
	}
}
