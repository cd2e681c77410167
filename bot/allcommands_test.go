package bot_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/bot"
)

// commandPaths has, for every command, a happy path, a malformed call and
// a refused caller (where the command needs a role). Each step runs on a
// team set up by setUpTeam plus an urgent case #2 and a private asker.
var commandPaths = map[string]struct {
	pre              string // a line run before the happy path, if any
	happy, happyWant string
	bad, badWant     string // "" when every input is acceptable
	refused          string // a stranger's call; "" for commands open to anyone
}{
	"help":      {happy: "[volunteers] vol: /help", happyWant: "/claim N"},
	"start":     {happy: "[@Ann] Ann: /start", happyWant: "/status", bad: "[volunteers] vol: /start", badWant: "works in a private chat"},
	"status":    {happy: "[volunteers] coord: /status 2 verified called", happyWant: "Case #2 is now verified", bad: "[volunteers] coord: /status 2 flying", badWant: `"flying" is not a status`, refused: "[volunteers] vol: /status 2 verified"},
	"cancel":    {happy: "[@Ann] Ann: /cancel", happyWant: "withdrawn", bad: "[@Ann] Ann: /cancel 1", badWant: "#1"},
	"cases":     {happy: "[volunteers] vol: /cases high", happyWant: "#2", refused: "[volunteers] stranger: /cases"},
	"new":       {happy: "[volunteers] vol: /new the old couple at 9 Park Road are still there", happyWant: "Case #3 opened", bad: "[volunteers] vol: /new high", badWant: "Usage: /new", refused: "[volunteers] stranger: /new help"},
	"case":      {happy: "[volunteers] vol: /case 2", happyWant: "case #2", bad: "[volunteers] vol: /case x", badWant: "not a case number", refused: "[volunteers] stranger: /case 2"},
	"claim":     {happy: "[volunteers] vol: /claim 2", happyWant: "Case #2 is yours", bad: "[volunteers] vol: /claim 99", badWant: "no case #99", refused: "[volunteers] stranger: /claim 2"},
	"assign":    {happy: "[volunteers] coord: /assign 2 @vol", happyWant: "assigned to vol (console:vol)", bad: "[volunteers] coord: /assign 2", badWant: "Usage: /assign", refused: "[volunteers] vol: /assign 2 @vol"},
	"verify":    {happy: "[volunteers] vol: /verify 2 phoned", happyWant: "Case #2 verified", bad: "[volunteers] vol: /verify", badWant: "Usage: /verify", refused: "[volunteers] stranger: /verify 2"},
	"note":      {happy: "[volunteers] vol: /note 2 neighbour checking", happyWant: "Note added", bad: "[volunteers] vol: /note 2", badWant: "Usage: /note", refused: "[volunteers] stranger: /note 2 hi"},
	"urgency":   {happy: "[volunteers] coord: /urgency 2 critical worse", happyWant: "urgency", bad: "[volunteers] coord: /urgency 2 meh", badWant: "not an urgency", refused: "[volunteers] vol: /urgency 2 normal"},
	"resolve":   {happy: "[volunteers] coord: /resolve 2 done", happyWant: "Case #2 resolved", bad: "[volunteers] coord: /resolve zz", badWant: "not a case number", refused: "[volunteers] stranger: /resolve 2"},
	"close":     {happy: "[volunteers] coord: /close 2 invalid prank", happyWant: "closed (invalid)", bad: "[volunteers] coord: /close 2 whatever", badWant: "not a close reason", refused: "[volunteers] vol: /close 2 invalid"},
	"reopen":    {happy: "[volunteers] coord: /reopen 1", happyWant: "reopened", bad: "[volunteers] coord: /reopen 2", badWant: "still open", refused: "[volunteers] vol: /reopen 1"},
	"merge":     {pre: "[volunteers] coord: /reopen 1", happy: "[volunteers] coord: /merge 2 1", happyWant: "merged into #1", bad: "[volunteers] coord: /merge 2", badWant: "Usage: /merge", refused: "[volunteers] vol: /merge 2 1"},
	"room":      {happy: "[volunteers] vol: /room 2", happyWant: "#2", bad: "[volunteers] vol: /room abc", badWant: "not a case number", refused: "[volunteers] stranger: /room 2"},
	"broadcast": {happy: "[volunteers] coord: /broadcast 2 confirm", happyWant: "[broadcast] lifeline:", bad: "[volunteers] coord: /broadcast", badWant: "Usage: /broadcast", refused: "[volunteers] vol: /broadcast 2"},
	"find":      {pre: "[volunteers] coord: /dir add 仁济医院 | hospital | 浦东 | 021-12345678 | 24h | 急诊", happy: "[volunteers] vol: /find hospital", happyWant: "仁济医院", bad: "[volunteers] vol: /find", badWant: "Usage: /find"},
	"outbox":    {happy: "[volunteers] admin: /outbox", happyWant: "Outbox:", bad: "[volunteers] admin: /outbox resend x", badWant: "not a message number", refused: "[volunteers] coord: /outbox"},
	"dir":       {happy: "[volunteers] coord: /dir add 仁济医院 | hospital | 浦东 | 021-12345678 | 24h | 急诊", happyWant: "仁济医院", bad: "[volunteers] coord: /dir add only-a-name", badWant: "Usage", refused: "[volunteers] vol: /dir add x | hospital | y | 1 | 2 | 3"},
	"stats":     {happy: "[volunteers] vol: /stats all", happyWant: "2", bad: "[volunteers] vol: /stats forever", badWant: "Usage", refused: "[volunteers] stranger: /stats"},
	"digest":    {happy: "[volunteers] vol: /digest", happyWant: "lifeline:", refused: "[volunteers] stranger: /digest"},
	"export":    {happy: "[volunteers] coord: /export", happyWant: ".xlsx", refused: "[volunteers] vol: /export"},
	// The harness runs no board: the happy path here is the answer saying
	// so; bot/board's tests sign in through a real link.
	"board":     {happy: "[volunteers] vol: /board", happyWant: "board is not enabled", refused: "[volunteers] stranger: /board"},
	"volunteer": {happy: "[volunteers] vol: /volunteer off", happyWant: "off duty", bad: "[volunteers] vol: /volunteer juggling", badWant: "Unknown skill", refused: "[@stranger] stranger: /volunteer medical"},
	"bind":      {happy: "[newgroup] admin: /bind broadcast", happyWant: "now a broadcast chat", bad: "[newgroup] admin: /bind party", badWant: "not a chat role", refused: "[volunteers] coord: /bind intake"},
	"grant":     {happy: "[volunteers] admin: /grant @vol coordinator", happyWant: "vol (console:vol) is now coordinator", bad: "[volunteers] admin: /grant @vol king", badWant: "not a role", refused: "[volunteers] coord: /grant @vol admin"},
	// /admin's happy path runs on a bot with no admin, which prints CODE.
	"admin":  {happy: "[@Ann] Ann: /admin CODE", happyWant: "Ann (console:Ann) is now an admin", bad: "[@Ann] Ann: /admin", badWant: "Usage: /admin", refused: "[volunteers] vol: /admin 12345678"},
	"revoke": {happy: "[volunteers] admin: /revoke @coord coordinator", happyWant: "no longer coordinator", bad: "[volunteers] admin: /revoke @vol admin", badWant: "is not admin", refused: "[volunteers] coord: /revoke @vol volunteer"},
}

var usageLine = regexp.MustCompile(`(?m)^\s+/([a-z]+)`)

func TestEveryCommandHasHappyBadAndRefusedPaths(t *testing.T) {
	// The table covers exactly the commands an admin is offered.
	h := newHarness(t, withExportDir(t.TempDir()))
	var listed []string
	for _, m := range usageLine.FindAllStringSubmatch(h.say("[volunteers] admin: /help"), -1) {
		listed = append(listed, m[1])
	}
	// /start and /cancel are offered in private chats only.
	for _, m := range usageLine.FindAllStringSubmatch(h.say("[@admin] admin: /help"), -1) {
		if !slices.Contains(listed, m[1]) {
			listed = append(listed, m[1])
		}
	}
	for _, name := range listed {
		if _, ok := commandPaths[name]; !ok {
			t.Errorf("/%s has no row in commandPaths", name)
		}
	}
	for name := range commandPaths {
		if !slices.Contains(listed, name) {
			t.Errorf("commandPaths has /%s, which /help doesn't offer", name)
		}
	}

	for name, p := range commandPaths {
		t.Run(name, func(t *testing.T) {
			setup := func() *harness {
				h := newHarness(t, withExportDir(t.TempDir()))
				setUpTeam(t, h)
				h.say("[volunteers] coord: /resolve 1 sorted")
				mustContain(t, h.say("[@Ann] Ann: my mother ran out of insulin two days ago, call 13912340000"), "#2")
				return h
			}
			if p.refused != "" {
				h := setup()
				out := h.say(p.refused)
				if !strings.Contains(out, "needs the") && !strings.Contains(out, "works in") && !strings.Contains(out, "Register") && !strings.Contains(out, "registered volunteers") {
					t.Errorf("refused call %q answered:\n%s", p.refused, out)
				}
			}
			if p.bad != "" {
				h := setup()
				mustContain(t, h.say(p.bad), p.badWant)
			}
			if name == "admin" {
				h := newHarness(t, func(o *bot.Options) { o.Admins = nil })
				codes, err := h.e.AdminCodes(context.Background())
				if err != nil || len(codes) != 1 {
					t.Fatalf("admin codes %v, %v; want one for the console", codes, err)
				}
				mustContain(t, h.say(strings.ReplaceAll(p.happy, "CODE", codes[0].Code)), p.happyWant)
				return
			}
			h := setup()
			if p.pre != "" {
				h.say(p.pre)
			}
			mustContain(t, h.say(p.happy), p.happyWant)
		})
	}
}
