package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
)

// Issue #11 end to end through the console: one plea, one case.

func TestLeaderPostingForTwoHouseholdsOpensTwoLinkedCases(t *testing.T) {
	h := newHarness(t)
	first := h.say("[intake] 楼长: 代发：5号楼张奶奶降压药断了三天，头晕站不起来，联系我13812345678")
	mustContain(t, first, "[volunteers] lifeline:", "case #1", "5号楼张奶奶")
	second := h.say("[intake] 楼长: 代发：8号楼王爷爷突然昏迷不醒，叫不到救护车，联系我13812345678")
	// The unconscious man gets his own case and his own alert, with his words.
	mustContain(t, second, "[volunteers] lifeline: 🔴 CRITICAL", "case #2", "8号楼王爷爷突然昏迷不醒", "same contact as #1")
	mustNotContain(t, second, "by a repost")
	if n := h.countCases(); n != 2 {
		t.Fatalf("%d cases, want 2", n)
	}
	// Both cards say so.
	mustContain(t, h.say("[volunteers] admin: /case 1"), "same contact as #2", "5号楼张奶奶")
	mustContain(t, h.say("[volunteers] admin: /case 2"), "same contact as #1", "8号楼王爷爷")
}

func TestTemplateFloodOpensOneCasePerHousehold(t *testing.T) {
	h := newHarness(t)
	const n = 12
	for i := range n {
		h.feed(fmt.Sprintf("[intake] 居民%d: 【紧急求助】家中老人有糖尿病，胰岛素仅剩两天的量，小区封控出不去，居委会电话一直打不通，附近药店都关门了，求好心人帮忙买药！地址：闵行区七宝镇漕宝路%d弄%d号%d室，联系电话139%08d",
			i, 1000+10*i, i+1, 101+i, 20000+i))
	}
	out := h.flush()
	if got := h.countCases(); got != n {
		t.Fatalf("%d template pleas from %d households opened %d cases", n, n, got)
	}
	for i := 1; i <= n; i++ {
		mustContain(t, out, fmt.Sprintf("case #%d\n", i))
	}
}

func TestRepostVariantsMergeIntoOneCaseWithEveryText(t *testing.T) {
	h := newHarness(t)
	variants := []string{
		"[intake] 王阿姨: 外婆昏迷不醒，叫不到救护车，浦东川沙新镇路100弄5号，电话13812345678",
		"[intake2] 热心人: 转自业主群：外婆昏迷不醒，叫不到救护车，浦东川沙新镇路100弄5号，电话13812345678",
		"[intake] 小李: 扩散扩散！！🙏🙏🙏外婆昏迷不醒，叫不到救护车，浦东川沙新镇路100弄5号，电话13812345678🙏🙏🙏（转自业主群）",
		"[intake2] 小张: 急转 外婆昏迷不醒，叫不到救护车，浦东川沙新镇路100弄5号",
	}
	out := ""
	for _, v := range variants {
		out += h.say(v)
	}
	if n := h.countCases(); n != 1 {
		t.Fatalf("four reposts opened %d cases", n)
	}
	if c := strings.Count(out, "CRITICAL"); c != 1 {
		t.Errorf("%d critical alerts for one plea:\n%s", c, out)
	}
	c := h.caseByID(1)
	if c.SourceCount != 4 {
		t.Errorf("case #1 has %d sources, want 4", c.SourceCount)
	}
	shown := h.say("[volunteers] admin: /case 1")
	mustContain(t, shown, "Messages (4):", "转自业主群：外婆昏迷不醒", "扩散扩散", "急转 外婆昏迷不醒", "@热心人", "@小张")
}

func TestAskerUpdateShowsOnTheCard(t *testing.T) {
	h := newHarness(t)
	mustContain(t, h.say("[intake] 王阿姨: 外婆昏迷不醒，叫不到救护车，浦东川沙新镇路100弄5号，电话13812345678"), "case #1")
	h.advance(10 * 60e9)
	h.say("[intake] 王阿姨: 外婆还是没醒，救护车还没来")
	if n := h.countCases(); n != 1 {
		t.Fatalf("the asker's update opened a case of its own (%d cases)", n)
	}
	mustContain(t, h.say("[volunteers] admin: /case 1"), "Added 04-10 09:10: 外婆还是没醒，救护车还没来", "Messages (2):")
}

func TestRepostThatRaisesUrgencyShowsItsWords(t *testing.T) {
	h := newHarness(t)
	mustContain(t, h.say("[intake] 王阿姨: 5号楼张奶奶降压药快吃完了，浦东川沙新镇路100弄，电话13812345678"), "case #1")
	out := h.say("[intake2] 邻居: 5号楼张奶奶降压药快吃完了，刚才突然昏迷不醒了！浦东川沙新镇路100弄，电话13812345678")
	if n := h.countCases(); n != 1 {
		t.Fatalf("%d cases", n)
	}
	mustContain(t, out, "urgency raised to 🔴 CRITICAL by a repost: 5号楼张奶奶降压药快吃完了，刚才突然昏迷不醒了")
}

func TestSecondClaimTellsBothWhoHoldsIt(t *testing.T) {
	h := newHarness(t)
	mustContain(t, h.say("[intake] 王阿姨: 我妈妈透析两周没做了，浦东川沙，电话13812345678"), "case #1")
	h.say("[volunteers] li: /volunteer medical")
	h.say("[volunteers] wang: /volunteer")
	h.say("[@li] li: hello") // li can be told privately
	mustContain(t, h.say("[volunteers] li: /claim 1"), "Case #1 is yours")
	out := h.say("[volunteers] wang: /claim 1")
	mustContain(t, out, "[volunteers] lifeline: Case #1 is already held by @li. To work on it with them, send /claim 1 also.",
		"[@li] lifeline: wang also tried to claim case #1")
	mustContain(t, h.say("[volunteers] wang: /claim 1 also"), "You hold case #1 with @li now")
	mustContain(t, h.say("[volunteers] admin: /case 1"), "Held by: @li, @wang", "/claim 1 also")
}

func TestAssignRefusesNonVolunteersUnlessForced(t *testing.T) {
	h := newHarness(t)
	mustContain(t, h.say("[intake] 王阿姨: 我妈妈透析两周没做了，浦东川沙，电话13812345678"), "case #1")
	h.say("[volunteers] zhao: 我来看看")
	h.say("[@zhao] zhao: hi")
	mustContain(t, h.say("[volunteers] admin: /assign 1 console:zhao"), "is not a registered volunteer", "anyway")
	out := h.say("[volunteers] admin: /assign 1 console:zhao force")
	mustContain(t, out, "assigned to", "[@zhao] lifeline:")
}

func TestUrgencyOverrideShowsOnTheCard(t *testing.T) {
	h := newHarness(t)
	mustContain(t, h.say("[intake] 王阿姨: 外婆昏迷不醒，叫不到救护车，浦东川沙新镇路100弄5号，电话13812345678"), "case #1")
	h.say("[volunteers] admin: /urgency 1 high 家属说已经醒了")
	mustContain(t, h.say("[volunteers] admin: /case 1"), "→ critical", "Coordinator set: critical → high, reason: 家属说已经醒了")
}

func TestCasesFiltersSayWhatTheyMean(t *testing.T) {
	h := newHarness(t)
	h.say("[intake] 王阿姨: 外婆昏迷不醒，叫不到救护车，浦东川沙新镇路100弄5号，电话13812345678")
	h.say("[intake] Tom: My father is unconscious and not breathing, please send help, 3 Elm Road, call +44 7700 900123")
	for _, f := range []string{"critical", "危急", "urgent", "CRITICAL"} {
		out := h.say("[volunteers] admin: /cases " + f)
		mustContain(t, out, "#1 ", "#2 ")
	}
	mustContain(t, h.say("[volunteers] admin: /cases critcal"), `Unknown filter "critcal". Did you mean critical?`, "Usage: /cases")
	mustContain(t, h.say("[volunteers] admin: /cases 浦东"), "#1 ")
	mustContain(t, h.say("[volunteers] admin: /cases zzzz"), `Unknown filter "zzzz"`, "Usage: /cases")
	h.say("[volunteers] admin: /resolve 2 ambulance came")
	open := h.say("[volunteers] admin: /cases")
	mustContain(t, open, "#1 ")
	mustNotContain(t, open, "#2 ")
	mustContain(t, h.say("[volunteers] admin: /cases resolved"), "Finished cases, all time", "#2 ")
	mustContain(t, h.say("[volunteers] admin: /cases resolved today"), "#2 ")
	all := h.say("[volunteers] admin: /cases all")
	mustContain(t, all, "#1 ", "#2 ")
}

func TestCasesPages(t *testing.T) {
	h := newHarness(t)
	for i := range 23 {
		h.feed(fmt.Sprintf("[intake] 居民%d: 家里没有菜了，需要有人帮忙买菜，闵行七宝%d弄，电话137%08d", i, 100+i, 40000+i))
	}
	h.flush()
	if n := h.countCases(); n != 23 {
		t.Fatalf("%d cases", n)
	}
	first := h.say("[volunteers] admin: /cases")
	mustContain(t, first, "#1 ", "#20 ", "… more: /cases page 2")
	mustNotContain(t, first, "#21 ")
	second := h.say("[volunteers] admin: /cases page 2")
	mustContain(t, second, "#21 ", "#23 ")
	mustNotContain(t, second, "#20 ", "more:")
	mustContain(t, h.say("[volunteers] admin: /cases page 3"), "page 3 is past the end")
}

// A change before the first alert went out still reaches the card: the
// edit follows the send.
func TestEditFollowsAStillQueuedCard(t *testing.T) {
	h := newHarness(t)
	h.feed("[intake] 王阿姨: 外婆昏迷不醒，叫不到救护车，浦东川沙新镇路100弄5号，电话13812345678")
	h.advance(time.Minute)
	h.feed("[intake] 王阿姨: 外婆还是没醒，救护车还没来") // before any delivery
	h.feed("[volunteers] admin: /claim 1")
	out := h.flush()
	out += h.flush() // the edit is queued when the card is delivered
	mustContain(t, out, "CRITICAL", "case #1")
	edits := strings.Split(out, "lifeline (edits ")
	if len(edits) < 2 {
		t.Fatalf("the card was never edited:\n%s", out)
	}
	last := edits[len(edits)-1]
	mustContain(t, last, "Added 04-10 09:01: 外婆还是没醒，救护车还没来", "Held by: @admin")
	// Once sent, no edit waits any more.
	if again := h.flush(); again != "" {
		t.Errorf("more output after the edit:\n%s", again)
	}
}

// Where the platform cannot edit the card (WeChat), a change made
// elsewhere goes out as one short state line.
func TestStateLineWhereCardsCannotBeEdited(t *testing.T) {
	h, f := newFakeHarness(t, bot.Limits{NoEdits: true})
	h.say(critical)
	deliverAll(t, h, 100)
	before := len(f.sends())
	h.say("[volunteers] vol: /volunteer medical")
	h.say("[volunteers] vol: /claim 1")
	deliverAll(t, h, 100)
	lines := map[string]string{}
	for _, s := range f.sends()[before:] {
		lines[s.m.Chat] += s.m.Text
	}
	for _, chat := range []string{"fake:group1", "fake:group2"} {
		mustContain(t, lines[chat], "#1 Last: claimed by @vol", "verifying", "Held by: @vol")
		if n := strings.Count(lines[chat], "\n"); n > 0 {
			t.Errorf("state line in %s runs over %d lines: %q", chat, n+1, lines[chat])
		}
	}
}

// Alerts delivered folded have no card to edit: an edit that waited for
// one is dropped, not kept for ever.
func TestFoldedAlertDropsTheEditThatWaited(t *testing.T) {
	limits := bot.Limits{PerGroup: bot.Rate{N: 1, Period: time.Minute}}
	h, f := newFakeHarness(t, limits, func(o *bot.Options) {
		o.Groups = []bot.GroupBinding{{Chat: "console:intake", Role: store.RoleIntake},
			{Chat: "fake:group1", Role: store.RoleCoordination}}
	})
	h.feed("[intake] 王阿姨: 外婆昏迷不醒，叫不到救护车，浦东川沙新镇路100弄5号，电话13812345678")
	h.feed("[intake] Tom: My father had a stroke, face drooping, can't speak, 12 Oak Street, +1 415 555 0100")
	h.feed("[intake] 王阿姨: 外婆还是没醒，救护车还没来")
	waiting := func() bool { return editWaits(t, h, "cardedit:1:fake:group1") }
	if !waiting() {
		t.Fatal("no edit waits for the queued card")
	}
	deliverAll(t, h, 100)
	if len(f.sends()) == 0 || !strings.Contains(f.sends()[0].m.Text, "folded") {
		t.Fatalf("alerts were not folded: %+v", f.sends())
	}
	if waiting() {
		t.Error("the edit still waits after its alert went out folded")
	}
}

// An alert the platform refuses for good has no card to edit: the edit
// that waited for it (the case's phone in it) is dropped with it, not kept
// in the state for ever.
func TestGivenUpAlertDropsTheEditThatWaited(t *testing.T) {
	h, f := newFakeHarness(t, telegramLike, func(o *bot.Options) {
		o.Groups = []bot.GroupBinding{{Chat: "console:intake", Role: store.RoleIntake},
			{Chat: "fake:group1", Role: store.RoleCoordination}}
	})
	f.mu.Lock()
	f.fail = func(n int, m bot.OutMessage) error {
		if m.Chat == "fake:group1" && m.EditOf == "" {
			return bot.Permanent(fmt.Errorf("Bad Request: message is too long"))
		}
		return nil
	}
	f.mu.Unlock()
	h.feed("[intake] 王阿姨: 外婆昏迷不醒，叫不到救护车，浦东川沙新镇路100弄5号，电话13812345678")
	h.feed("[intake] 王阿姨: 外婆还是没醒，救护车还没来")
	waiting := func() bool { return editWaits(t, h, "cardedit:1:fake:group1") }
	if !waiting() {
		t.Fatal("no edit waits for the queued card")
	}
	deliverAll(t, h, 100)
	if waiting() {
		t.Error("the edit still waits after its alert was given up")
	}
}

// editWaits says whether a card edit waits in the state under key.
func editWaits(t *testing.T, h *harness, key string) bool {
	t.Helper()
	var raw []byte
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		raw, err = tx.GetState(key)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return raw != nil
}
