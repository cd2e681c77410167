package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
)

// The stranger plays every door of issue #12 that the engine guards: a
// person with no role who knows a victim's phone number, shares a
// volunteer's display name, sits in a public group, guesses admin codes, or
// reads the database after retention. For each door the stranger must
// learn nothing and change nothing, and the real asker's case must stay as
// she left it. Each door returns the leaks it found; the test reports how
// many doors it tried and how many leaked.
//
// (Door 3 of the issue, WeChat ids colliding, lives in the WeChat adapter
// and is tested there.)

// The victim: 王阿姨 asks privately and gives her address only there.
const (
	victimPhone   = "13812345678"
	victimAddress = "川沙路100弄3号楼502室"
	victimPlea    = "[@王阿姨] 王阿姨: 我妈妈需要透析，电话13812345678"
)

// setUpVictim registers the victim's case #1, with her address, and a real
// volunteer "Alice" (console:alice_w) in the coordination chat.
func setUpVictim(t *testing.T, h *harness) *store.Case {
	t.Helper()
	mustContain(t, h.say(victimPlea), "#1")
	h.say("[@王阿姨] 王阿姨: " + victimAddress)
	h.handle(bot.Message{Chat: "console:volunteers", ID: "alice-1", Sender: "console:alice_w", SenderName: "Alice",
		Text: "/volunteer verify", Time: h.now()})
	return h.caseByID(1)
}

// sameCase says how the victim's case changed, "" when it did not.
func sameCase(before, after *store.Case) string {
	var diffs []string
	if before.Text != after.Text {
		diffs = append(diffs, fmt.Sprintf("text %q → %q", before.Text, after.Text))
	}
	if !slices.Equal(before.Phones, after.Phones) {
		diffs = append(diffs, fmt.Sprintf("phones %v → %v", before.Phones, after.Phones))
	}
	if before.Address != after.Address {
		diffs = append(diffs, fmt.Sprintf("address %q → %q", before.Address, after.Address))
	}
	if before.Asker != after.Asker || before.SourceCount != after.SourceCount {
		diffs = append(diffs, fmt.Sprintf("asker/sources %s/%d → %s/%d", before.Asker, before.SourceCount, after.Asker, after.SourceCount))
	}
	if !slices.Equal(before.Assignees, after.Assignees) {
		diffs = append(diffs, fmt.Sprintf("assignees %v → %v", before.Assignees, after.Assignees))
	}
	return strings.Join(diffs, "; ")
}

// leaked lists which of the secrets appear in out.
func leaked(out string, secrets ...string) []string {
	var found []string
	for _, s := range secrets {
		if strings.Contains(out, s) {
			found = append(found, s)
		}
	}
	return found
}

// strangerSays sends a line from the stranger Mallory, whose display name
// is "Alice", in chat (a private chat is "@mallory").
func strangerSays(h *harness, chat, text string) string {
	h.msgSeq++
	return h.handle(bot.Message{Chat: "console:" + chat, Private: strings.HasPrefix(chat, "@"), ChatName: chat,
		ID: fmt.Sprintf("s%d", h.msgSeq), Sender: "console:mallory", SenderName: "Alice", Text: text, Time: h.now()})
}

func personRoles(t *testing.T, h *harness, ref string) []string {
	t.Helper()
	var roles []string
	_ = h.st.View(context.Background(), func(tx *store.Tx) error {
		if p, err := tx.Person(ref); err == nil {
			roles = p.Roles
		}
		return nil
	})
	return roles
}

type door struct {
	name string
	try  func(t *testing.T, h *harness) (leaks []string)
}

var strangerDoors = []door{
	{"1a a phone number buys the address", func(t *testing.T, h *harness) []string {
		var leaks []string
		before := setUpVictim(t, h)
		out := strangerSays(h, "@mallory", "我妈妈需要透析，电话"+victimPhone)
		for _, s := range leaked(linesOf(out, "@mallory"), victimAddress, "川沙", "王阿姨", "#1") {
			leaks = append(leaks, "the stranger's reply shows "+s)
		}
		if d := sameCase(before, h.caseByID(1)); d != "" {
			leaks = append(leaks, "the victim's case changed: "+d)
		}
		return leaks
	}},
	{"1b a near-copy of the text buys the details", func(t *testing.T, h *harness) []string {
		var leaks []string
		before := setUpVictim(t, h)
		out := strangerSays(h, "@mallory", "我妈妈需要透析，电话"+victimPhone+"！")
		out += strangerSays(h, "@mallory", "/status")
		for _, s := range leaked(linesOf(out, "@mallory"), victimAddress, "川沙", "王阿姨", "#1") {
			leaks = append(leaks, "the stranger's reply shows "+s)
		}
		if d := sameCase(before, h.caseByID(1)); d != "" {
			leaks = append(leaks, "the victim's case changed: "+d)
		}
		return leaks
	}},
	{"1c the stranger's next messages change the victim's card", func(t *testing.T, h *harness) []string {
		var leaks []string
		before := setUpVictim(t, h)
		out := strangerSays(h, "@mallory", "我妈妈需要透析，电话"+victimPhone)
		out += strangerSays(h, "@mallory", "电话改成13900001111")
		out += strangerSays(h, "@mallory", "#1 电话改成13900002222")
		out += strangerSays(h, "@mallory", "/status 1")
		out += strangerSays(h, "@mallory", "/cancel 1")
		for _, s := range leaked(linesOf(out, "@mallory"), victimAddress, "川沙", "王阿姨") {
			leaks = append(leaks, "the stranger's reply shows "+s)
		}
		after := h.caseByID(1)
		if d := sameCase(before, after); d != "" {
			leaks = append(leaks, "the victim's case changed: "+d)
		}
		if after.Status != before.Status {
			leaks = append(leaks, "the victim's case status changed to "+string(after.Status))
		}
		return leaks
	}},
	{"1d the stranger's case gathers the victim's reposts", func(t *testing.T, h *harness) []string {
		before := setUpVictim(t, h)
		strangerSays(h, "@mallory", "我妈妈需要透析，电话"+victimPhone)
		h.say("[intake2] 热心人: 【转发】王阿姨的妈妈要透析，联系电话" + victimPhone)
		if c := h.caseByID(2); c.SourceCount != 1 {
			return []string{fmt.Sprintf("the stranger's case gathered %d reposts of the victim's plea", c.SourceCount-1)}
		}
		_ = before
		return nil
	}},
	{"2a a display name buys a role", func(t *testing.T, h *harness) []string {
		var leaks []string
		setUpVictim(t, h)
		strangerSays(h, "intake", "大家好")
		out := h.say("[volunteers] admin: /grant @Alice coordinator")
		if slices.Contains(personRoles(t, h, "console:mallory"), "coordinator") {
			leaks = append(leaks, "the stranger named Alice became coordinator")
		}
		if strings.Contains(out, "is now") && !strings.Contains(out, "console:") {
			leaks = append(leaks, "the confirmation does not show whose platform id got the role")
		}
		return leaks
	}},
	{"2b a display name buys an assignment (and the room)", func(t *testing.T, h *harness) []string {
		var leaks []string
		before := setUpVictim(t, h)
		strangerSays(h, "intake", "大家好")
		strangerSays(h, "@mallory", "你好")
		out := h.say("[volunteers] admin: /assign 1 @Alice")
		if slices.Contains(h.caseByID(1).Assignees, "console:mallory") {
			leaks = append(leaks, "the stranger named Alice was assigned the victim's case")
		}
		if len(leaked(linesOf(out, "@mallory"), "#1")) > 0 {
			leaks = append(leaks, "the stranger was told about the victim's case")
		}
		_ = before
		return leaks
	}},
	{"4 a guessed code buys admin", func(t *testing.T, h *harness) []string {
		var leaks []string
		setUpVictim(t, h)
		for i := range 30 {
			strangerSays(h, "@mallory", fmt.Sprintf("/admin %06d", i))
		}
		strangerSays(h, "intake", "/admin 123456")
		if len(personRoles(t, h, "console:mallory")) > 0 {
			leaks = append(leaks, "the stranger got a role by guessing")
		}
		out := h.say("[@mallory] mallory: /grant @mallory admin")
		if strings.Contains(out, "is now") {
			leaks = append(leaks, "the stranger could grant")
		}
		return leaks
	}},
	{"5 masking in what public groups get", func(t *testing.T, h *harness) []string {
		var leaks []string
		out := h.say("[intake] 小陈: 外婆昏迷不醒，身份证110101194003071234，闵行区莘松路100弄3号楼502室，电话139-1234-5672，微信 li_nainai88，邮箱 chen@example.com")
		out += h.say("[volunteers] admin: /verify 1")
		out += h.say("[volunteers] admin: /broadcast 1 confirm")
		h.advance(3 * time.Hour)
		if _, err := h.e.RunDueDigests(context.Background()); err != nil {
			t.Fatal(err)
		}
		h.advance(3 * time.Hour)
		if _, err := h.e.RunDueDigests(context.Background()); err != nil {
			t.Fatal(err)
		}
		out += h.flush()
		public := linesOf(out, "broadcast") + linesOf(out, "intake") + linesOf(out, "intake2")
		if public == "" {
			leaks = append(leaks, "nothing reached the public groups to check")
		}
		for _, s := range leaked(public, "110101194003071234", "莘松路", "502", "139-1234-5672", "13912345672", "li_nainai88", "chen@example.com") {
			leaks = append(leaks, "a public group got "+s)
		}
		return leaks
	}},
	{"6a an unverified case is broadcast without a question", func(t *testing.T, h *harness) []string {
		setUpVictim(t, h)
		out := h.say("[volunteers] admin: /broadcast 1")
		if linesOf(out, "broadcast") != "" {
			return []string{"an unverified case went to the broadcast group"}
		}
		return nil
	}},
	{"6b a scam-flagged case is broadcast without a reason", func(t *testing.T, h *harness) []string {
		h.say("[intake] 骗子: 急需救命钱，孩子病危，请转账到支付宝 pay@example.com，扫码捐款")
		h.say("[volunteers] admin: /verify 1")
		out := h.say("[volunteers] admin: /broadcast 1")
		out += h.say("[volunteers] admin: /broadcast 1 confirm")
		if linesOf(out, "broadcast") != "" {
			return []string{"a scam-flagged case went to the broadcast group without a reason"}
		}
		return nil
	}},
	{"6c the same case is posted twice and never retracted", func(t *testing.T, h *harness) []string {
		var leaks []string
		setUpVictim(t, h)
		h.say("[volunteers] admin: /verify 1")
		first := h.say("[volunteers] admin: /broadcast 1")
		second := h.say("[volunteers] admin: /broadcast 1")
		if linesOf(first, "broadcast") != "" && linesOf(second, "broadcast") != "" &&
			!strings.Contains(linesOf(second, "broadcast"), "edits") {
			leaks = append(leaks, "the same case was posted twice to the broadcast group")
		}
		out := h.say("[volunteers] admin: /close 1 invalid")
		if linesOf(out, "broadcast") == "" {
			leaks = append(leaks, "closing a broadcast case as invalid posted no retraction")
		}
		return leaks
	}},
	{"7a case commands from a public group", func(t *testing.T, h *harness) []string {
		var leaks []string
		before := setUpVictim(t, h)
		out := h.say("[intake] admin: /status 1 verified")
		if h.caseByID(1).Status != before.Status {
			leaks = append(leaks, "/status from an intake group changed the case")
		}
		if strings.Contains(linesOf(out, "intake"), "#1") {
			leaks = append(leaks, "/status from an intake group announced the case there")
		}
		return leaks
	}},
	{"7b a command for another bot is executed", func(t *testing.T, h *harness) []string {
		before := setUpVictim(t, h)
		h.say("[volunteers] vol: /volunteer")
		h.say("[volunteers] vol: /claim@otherbot 1")
		if d := sameCase(before, h.caseByID(1)); d != "" {
			return []string{"/claim@otherbot changed the case: " + d}
		}
		return nil
	}},
	{"7c the bot answers strangers' commands in public groups", func(t *testing.T, h *harness) []string {
		var leaks []string
		setUpVictim(t, h)
		out := strangerSays(h, "intake", "/foo")
		out += strangerSays(h, "intake", "/cases")
		out += strangerSays(h, "intake", "/case 1")
		for _, s := range leaked(linesOf(out, "intake"), "Unknown command", victimPhone, victimAddress, "王阿姨") {
			leaks = append(leaks, "the intake group got "+s)
		}
		return leaks
	}},
	{"8 purge leaves traces", func(t *testing.T, h *harness) []string {
		var leaks []string
		setUpVictim(t, h)
		h.say("[volunteers] admin: /export")
		h.say("[volunteers] admin: /resolve 1")
		h.advance(91 * 24 * time.Hour)
		purgeNow(t, h)
		var dm, conv []byte
		var person bool
		var actors []string
		_ = h.st.View(context.Background(), func(tx *store.Tx) error {
			dm, _ = tx.GetState("dm:console:王阿姨")
			conv, _ = tx.GetState("conv:console:王阿姨")
			_, err := tx.Person("console:王阿姨")
			person = err == nil
			evs, _ := tx.Events(1)
			for _, ev := range evs {
				if ev.Actor == "console:王阿姨" || ev.Actor == "console:admin" || ev.To == "console:王阿姨" {
					actors = append(actors, ev.Kind)
				}
			}
			return nil
		})
		if len(dm) > 0 {
			leaks = append(leaks, "the asker's private chat link survived")
		}
		if len(conv) > 0 {
			leaks = append(leaks, "the asker's conversation state survived")
		}
		if person {
			leaks = append(leaks, "the asker's person record survived")
		}
		if len(actors) > 0 {
			leaks = append(leaks, fmt.Sprintf("events still name people: %v", actors))
		}
		files, _ := filepath.Glob(filepath.Join(strangerExportDir, "*.csv"))
		if len(files) > 0 {
			leaks = append(leaks, fmt.Sprintf("%d export files survived", len(files)))
		}
		return leaks
	}},
	{"9 a pool room that shows history: coordinators not told why", func(t *testing.T, h *harness) []string {
		h.e.AddPlatform(historyVisiblePlatform{h.con})
		setUpVictim(t, h)
		h.say("[volunteers] admin: /bind coordination zh")
		out := h.say("[volunteers] admin: /room 1")
		if !strings.Contains(linesOf(out, "volunteers"), "历史") {
			return []string{"the room fell back without saying (in the chat's language) that the pool group shows its history"}
		}
		return nil
	}},
	{"10 a scam-flagged alert has no warning first", func(t *testing.T, h *harness) []string {
		out := h.say("[intake] 骗子: 救命！孩子昏迷不醒，急需手术费，请转账到 pay@example.com")
		alert := linesOf(out, "volunteers")
		first, _, _ := strings.Cut(alert, "\n")
		if alert == "" || !strings.Contains(first, "⚠") {
			return []string{"the alert does not start with the scam warning: " + first}
		}
		return nil
	}},
}

// historyVisiblePlatform is the console whose rooms are refused because
// the pool group would show new members its history.
type historyVisiblePlatform struct{ bot.Platform }

func (historyVisiblePlatform) OpenRoom(context.Context, bot.RoomRequest) (bot.Room, error) {
	return bot.Room{}, fmt.Errorf("no free pool group hides its history from new members: %w", bot.ErrHistoryVisible)
}

func (historyVisiblePlatform) CloseRoom(context.Context, bot.Room, string) error { return nil }

func TestStrangerLearnsNothingAndChangesNothing(t *testing.T) {
	var total int
	for _, d := range strangerDoors {
		t.Run(d.name, func(t *testing.T) {
			strangerExportDir = t.TempDir()
			h := newHarness(t, strangerOptions)
			leaks := d.try(t, h)
			for _, l := range leaks {
				t.Errorf("leak: %s", l)
			}
			total += len(leaks)
		})
	}
	t.Logf("stranger: %d doors tried, %d leaks", len(strangerDoors), total)
}

// strangerOptions add what the doors need: a public digest and a stale
// digest to the intake groups, and an export directory.
func strangerOptions(o *bot.Options) {
	o.Workflow.Digests = []bot.DigestSpec{
		{Name: "public", Schedule: "0 * * * *", Kind: "public"},
		{Name: "stale-public", Schedule: "0 * * * *", Kind: "stale", To: "intake", StaleAfter: time.Hour},
	}
	o.Workflow.RetentionDays = 90
	o.Workflow.ExportDir = strangerExportDir
}

// strangerExportDir is the export directory of the door being tried.
var strangerExportDir string

// purgeNow runs the retention purge the way the bot does.
func purgeNow(t *testing.T, h *harness) {
	t.Helper()
	if ran, _, err := h.e.RunDuePurge(context.Background()); err != nil || !ran {
		t.Fatalf("purge ran %v: %v", ran, err)
	}
	h.flush()
}

// The stranger's own case, opened with the victim's phone, must not gather
// the victim's reposts from the groups: they stay with the victim's case.
func TestStrangersCaseGathersNoReposts(t *testing.T) {
	h := newHarness(t)
	h.say("[intake] 王阿姨: 我妈妈透析两周没做了，浦东川沙路100弄，电话13812345678")
	h.say("[@mallory] mallory: 我妈妈需要透析，电话13812345678")
	h.say("[intake2] 热心人: 【转发】我妈妈透析两周没做了，浦东川沙路100弄，电话13812345678")
	if c := h.caseByID(2); c.Asker != "console:mallory" || c.SourceCount != 1 {
		t.Errorf("the stranger's case gathered a repost: %s, %d sources", c.Asker, c.SourceCount)
	}
	if c := h.caseByID(1); c.SourceCount != 2 {
		t.Errorf("the victim's case has %d sources, want her post and the repost", c.SourceCount)
	}
	if n := h.countCases(); n != 2 {
		t.Errorf("%d cases, want 2", n)
	}
}
