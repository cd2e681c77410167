package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/store"
)

// critical is a plea every triage must rank critical.
const critical = "[intake] 小陈: 外婆突然昏迷不醒，叫不到救护车，闵行莘庄，电话13912345672"

// setUpTeam gives the harness a case #1, an admin-granted coordinator
// "coord" and a registered volunteer "vol".
func setUpTeam(t *testing.T, h *harness) {
	t.Helper()
	mustContain(t, h.say(critical), "case #1")
	mustContain(t, h.say("[volunteers] vol: /volunteer medical verify"), "registered as a volunteer")
	mustContain(t, h.say("[volunteers] coord: hello"), "")
	mustContain(t, h.say("[volunteers] admin: /grant @coord coordinator"), "coord (console:coord) is now coordinator")
}

func TestCommandsHappyPaths(t *testing.T) {
	h := newHarness(t)
	setUpTeam(t, h)
	steps := []struct{ line, want string }{
		{"[volunteers] vol: /claim 1", "Case #1 is yours"},
		{"[volunteers] vol: /note 1 called, grandson on the way", "Note added to case #1"},
		{"[volunteers] vol: /verify 1 phoned the family", "Case #1 verified"},
		{"[volunteers] coord: /assign 1 @vol", "already holds case #1"},
		{"[volunteers] coord: /urgency 1 high ambulance arrived", "urgency 🔴 CRITICAL → 🟠 HIGH"},
		{"[volunteers] coord: /status 1 in_progress driver found", "Case #1 is now in progress"},
		{"[volunteers] vol: /cases", "#1 🟠 HIGH"},
		{"[volunteers] vol: /cases mine", "#1"},
		{"[volunteers] vol: /cases critical", "No open cases match"},
		{"[volunteers] vol: /case 1", "driver found"},
		{"[volunteers] vol: /resolve 1 at the hospital", "Case #1 resolved"},
		{"[volunteers] vol: /cases", "No open cases match"},
		{"[volunteers] coord: /reopen 1", "Case #1 reopened"},
		{"[volunteers] coord: /close 1 referred to the street office", "Case #1 closed (referred)"},
	}
	for _, s := range steps {
		mustContain(t, h.say(s.line), s.want)
	}
	var events []store.Event
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		events, err = tx.Events(1)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, ev := range events {
		kinds[ev.Kind]++
	}
	for kind, n := range map[string]int{"created": 1, "claim": 1, "note": 1, "urgency": 1} {
		if kinds[kind] < n {
			t.Errorf("audit log has %d %q events, want ≥%d: %v", kinds[kind], kind, n, kinds)
		}
	}
	if kinds["status"] < 5 {
		t.Errorf("audit log has %d status events, want ≥5 (verifying, verified, in_progress, resolved, reopen, closed)", kinds["status"])
	}
}

func TestCommandsRejectBadInputWithUsage(t *testing.T) {
	h := newHarness(t)
	setUpTeam(t, h)
	cases := []struct{ line, want string }{
		{"[volunteers] vol: /claim", "Usage: /claim N"},
		{"[volunteers] vol: /claim abc", `"abc" is not a case number`},
		{"[volunteers] vol: /claim 99", "There is no case #99"},
		{"[volunteers] vol: /note 1", "Usage: /note N text"},
		{"[volunteers] coord: /status 1 flying", `"flying" is not a status`},
		{"[volunteers] coord: /urgency 1 extreme", `"extreme" is not an urgency`},
		{"[volunteers] coord: /close 1 bored", `"bored" is not a close reason`},
		{"[volunteers] coord: /close 1", "Usage: /close N"},
		{"[volunteers] coord: /merge 1 1", "can't be merged into itself"},
		{"[volunteers] coord: /assign 1 @nobody", "I don't know @nobody yet"},
		{"[volunteers] coord: /reopen 1", "Case #1 is still open"},
		{"[volunteers] admin: /grant @vol king", `"king" is not a role`},
		{"[volunteers] vol: /volunteer juggling", "Unknown skill juggling"},
		{"[volunteers] vol: /frobnicate", "Unknown command /frobnicate"},
	}
	for _, c := range cases {
		mustContain(t, h.say(c.line), c.want)
	}
	// Nothing above changed case #1 beyond its creation.
	c := h.caseByID(1)
	if c.Status != store.StatusNew || len(c.Assignees) != 0 {
		t.Errorf("bad commands changed the case: status %s, assignees %v", c.Status, c.Assignees)
	}
}

func TestCommandsRefuseUnauthorisedCallers(t *testing.T) {
	h := newHarness(t)
	setUpTeam(t, h)
	cases := []struct{ line, want string }{
		{"[volunteers] stranger: /claim 1", "send /volunteer [skills…] here first"},
		{"[volunteers] vol: /assign 1 @vol", "needs the coordinator role"},
		{"[volunteers] vol: /close 1 invalid", "needs the coordinator role"},
		{"[volunteers] vol: /urgency 1 normal", "needs the coordinator role"},
		{"[volunteers] vol: /merge 1 2", "needs the coordinator role"},
		{"[volunteers] coord: /grant @vol admin", "needs the admin role"},
		{"[volunteers] coord: /bind intake", "needs the admin role"},
		{"[volunteers] stranger: /resolve 1", "for registered volunteers"},
		{"[intake] vol: /claim 1", "works in the volunteers' coordination chat"},
		{"[@vol] vol: /cases", "works in the volunteers' coordination chat"},
	}
	for _, c := range cases {
		mustContain(t, h.say(c.line), c.want)
	}
	if !strings.Contains(h.logs.String(), "command refused") {
		t.Error("refusals were not logged")
	}
	// A volunteer who doesn't hold the case may not resolve it.
	mustContain(t, h.say("[volunteers] vol: /resolve 1"), "Only a coordinator or someone holding case #1")
}

func TestCaseCardMasksPersonalDataOutsideCoordination(t *testing.T) {
	h := newHarness(t)
	setUpTeam(t, h)
	full := h.say("[volunteers] vol: /case 1")
	mustContain(t, full, "13912345672")
	// A volunteer asking from a private chat sees the masked card.
	h.say("[volunteers] admin: /grant @vol coordinator")
	out := h.say("[@vol] vol: /case 1")
	mustNotContain(t, out, "13912345672")
}

func TestMergeFoldsDuplicateIntoTarget(t *testing.T) {
	h := newHarness(t)
	setUpTeam(t, h)
	mustContain(t, h.say("[intake] Tom: My father had a stroke, face drooping, can't speak, 12 Oak Street, +1 415 555 0100"), "case #2")
	mustContain(t, h.say("[volunteers] coord: /merge 2 1"), "Case #2 merged into #1")
	mustContain(t, h.say("[volunteers] vol: /case 2"), "Case #2 was merged into #1")
	mustContain(t, h.say("[volunteers] vol: /case 1"), "+14155550100")
}

func TestBindAndCommandsInNewGroup(t *testing.T) {
	h := newHarness(t)
	// An unbound group: the bot stays silent for strangers' commands…
	if out := h.say("[newgroup] someone: /help"); out != "" {
		t.Errorf("bot answered in an unbound group: %q", out)
	}
	// …and an admin binds it.
	mustContain(t, h.say("[newgroup] admin: /bind intake"), "now a intake (mutual-aid group) chat")
	mustContain(t, h.say("[newgroup] 阿强: 外婆突然昏迷不醒，叫不到救护车，闵行莘庄，电话13912345672"), "[volunteers] lifeline:")
}

func TestButtonPressRunsItsCommand(t *testing.T) {
	h := newHarness(t)
	setUpTeam(t, h)
	out := h.handle(buttonPress(h, "console:volunteers", "console:vol", "/claim 1", "out1"))
	// The presser gets a toast, and the card is edited in place to show
	// the new state and who acted; nothing new is posted in the group.
	mustContain(t, out, "(to the button press): ✓ Case #1 is yours", "lifeline (edits out1):", "Held by: @vol", "Last: claimed by @vol")
	if strings.Count(out, "[volunteers] lifeline: ") != 0 {
		t.Errorf("a button press posted a new message:\n%s", out)
	}
	// A refused press is answered privately too.
	mustContain(t, h.handle(buttonPress(h, "console:volunteers", "console:stranger", "/resolve 1", "out1")), "(to the button press): Sorry, /resolve is for registered volunteers")
	// A second press of the same button (redelivered) changes nothing.
	if again := h.handle(buttonPress(h, "console:volunteers", "console:vol", "/claim 1", "out1")); again != "" {
		t.Errorf("redelivered button press produced %q", again)
	}
}

// Changes that belong to no case are in the team's audit log (case 0).
func TestTeamChangesAreAudited(t *testing.T) {
	h := newHarness(t)
	setUpTeam(t, h)
	h.say("[newgroup] admin: /bind broadcast")
	h.say("[volunteers] admin: /revoke @coord coordinator")
	var events []store.Event
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		events, err = tx.Events(0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range events {
		got = append(got, ev.Kind+" "+ev.To+" by "+ev.Actor)
	}
	want := []string{"volunteer console:vol by console:vol", "grant console:coord by console:admin", "bind console:newgroup by console:admin", "revoke console:coord by console:admin"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("team audit log:\n got %q\nwant %q", got, want)
	}
}
