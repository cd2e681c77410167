package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
)

// askerCases returns the cases a person asked for, newest first.
func askerCases(t *testing.T, h *harness, person string) []*store.Case {
	t.Helper()
	var cases []*store.Case
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		cases, err = tx.CasesByAsker(person)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return cases
}

// TestAskerConversationToResolution walks one asker per language from the
// first message through the questions, the privacy notice (once), /status,
// and the notices when volunteers verify, take and resolve the case.
func TestAskerConversationToResolution(t *testing.T) {
	type step struct {
		line string
		want []string
		not  []string
	}
	tests := []struct {
		name   string
		person string
		steps  []step
	}{
		{
			name:   "zh",
			person: "王阿姨",
			steps: []step{
				{"[@王阿姨] 王阿姨: 我妈妈需要透析", []string{"已通知志愿者", "您的求助已登记，编号 #1", "需要：透析", "志愿者还需要知道：地点", "关于您的信息", "请问在哪里"}, nil},
				{"[@王阿姨] 王阿姨: 浦东川沙路100弄3号楼502室", []string{"已补充到您的求助 #1", "志愿者可以打哪个电话"}, []string{"关于您的信息"}},
				{"[@王阿姨] 王阿姨: 不知道", []string{"没有看到电话号码"}, nil},
				{"[@王阿姨] 王阿姨: 13812345678", []string{"已补充到您的求助 #1", "请问是给谁的"}, nil},
				{"[@王阿姨] 王阿姨: 她78岁，有糖尿病", []string{"我理解的是", "电话：13812345678", "浦东川沙路100弄3号楼502室", "信息已经齐了"}, []string{"关于您的信息"}},
				{"[@王阿姨] 王阿姨: /status", []string{"#1", "透析"}, nil},
				{"[volunteers] vol: /claim 1", []string{"[@王阿姨] lifeline: 已有志愿者接手您的求助 #1"}, nil},
				{"[volunteers] vol: /verify 1", []string{"[@王阿姨] lifeline: 您的求助 #1 已经志愿者核实"}, nil},
				{"[volunteers] vol: /resolve 1 送到医院了", []string{"[@王阿姨] lifeline: 您的求助 #1 已标记为解决"}, nil},
			},
		},
		{
			name:   "en",
			person: "Tom",
			steps: []step{
				{"[@Tom] Tom: I need insulin for my father", []string{"registered as #1", "need: chronic medication", "still need: where (district, street, compound), a phone number, for whom", "About your data", "Where are you?"}, nil},
				{"[@Tom] Tom: Jing'an district, Yanping Road 5", []string{"added that to your request #1", "What phone number"}, nil},
				{"[@Tom] Tom: call 13912345678", []string{"Who is the help for?"}, nil},
				{"[@Tom] Tom: he is 80 and diabetic", []string{"I understood", "13912345678", "That is everything"}, []string{"About your data"}},
				{"[@Tom] Tom: /status", []string{"#1", "chronic medication"}, nil},
				{"[volunteers] vol: /verify 1", []string{"[@Tom] lifeline: Your request #1 has been verified"}, nil},
				{"[volunteers] vol: /claim 1", []string{"[@Tom] lifeline: A volunteer has taken your request #1"}, nil},
				{"[volunteers] vol: /resolve 1", []string{"[@Tom] lifeline: Your request #1 is marked resolved"}, nil},
				{"[@Tom] Tom: /status", []string{"no open requests"}, nil},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			mustContain(t, h.say("[volunteers] vol: /volunteer verify"), "registered as a volunteer")
			privacy := 0
			for _, s := range tc.steps {
				out := h.say(s.line)
				mustContain(t, out, s.want...)
				mustNotContain(t, out, s.not...)
				if strings.Contains(out, "About your data") || strings.Contains(out, "关于您的信息") {
					privacy++
				}
			}
			if privacy != 1 {
				t.Errorf("privacy notice shown %d times, want once", privacy)
			}
			cases := askerCases(t, h, "console:"+tc.person)
			if len(cases) != 1 {
				t.Fatalf("%d cases, want 1 (answers must not open new cases)", len(cases))
			}
			if c := cases[0]; len(c.Phones) != 1 || c.Address == "" || c.Status != store.StatusResolved {
				t.Errorf("case not filled in: phones %v, address %q, status %s", c.Phones, c.Address, c.Status)
			}
		})
	}
}

func TestAskerCriticalPleaAlertsBeforeAnyQuestion(t *testing.T) {
	h := newHarness(t)
	out := h.say("[@小陈] 小陈: 我爸爸昏迷了，没有呼吸，快来人")
	alert := strings.Index(out, "[volunteers] lifeline: 🔴 CRITICAL")
	question := strings.Index(out, "请问在哪里")
	if alert < 0 || question < 0 {
		t.Fatalf("want a coordination alert and a question; got:\n%s", out)
	}
	if alert > question {
		t.Errorf("the question came before the alert:\n%s", out)
	}
	mustContain(t, out, "120", "编号 #1")
}

func TestAskerChatterGetsExplanationNoCase(t *testing.T) {
	h := newHarness(t)
	for _, line := range []string{"[@Ann] Ann: hello", "[@小李] 小李: 谢谢"} {
		out := h.say(line)
		mustNotContain(t, out, "#1", "[volunteers]")
		if !strings.Contains(out, "Lifeline") {
			t.Errorf("%s: no explanation; got:\n%s", line, out)
		}
	}
	mustContain(t, h.say("[@小李] 小李: /start"), "欢迎使用", "/cancel")
	if n := h.countCases(); n != 0 {
		t.Errorf("chatter opened %d cases", n)
	}
}

func TestAskerDetailsBeforeRequestAreKept(t *testing.T) {
	h := newHarness(t)
	mustContain(t, h.say("[@Ann] Ann: call 13812345678"), "What do you need help with?")
	out := h.say("[@Ann] Ann: I need groceries for my grandmother")
	mustContain(t, out, "registered as #1", "13812345678")
	mustNotContain(t, out, "What phone number")
}

func TestAskerSeveralCasesAndCancel(t *testing.T) {
	h := newHarness(t)
	mustContain(t, h.say("[@Ann] Ann: I need insulin for my father"), "#1")
	mustContain(t, h.say("[@Ann] Ann: Jing'an district, Yanping Road 5"), "request #1")
	mustContain(t, h.say("[@Ann] Ann: call 13812345678"), "request #1")
	mustContain(t, h.say("[@Ann] Ann: he is 80"), "request #1")
	// A different need opens a second case instead of growing the first.
	second := h.say("[@Ann] Ann: I also need groceries")
	mustContain(t, second, "registered as #2")
	mustNotContain(t, second, "About your data") // told once, not per case
	// "#N" picks the case; the rest goes to the newest open one.
	mustContain(t, h.say("[@Ann] Ann: #1 he takes 10 units a day"), "request #1")
	if c := h.caseByID(1); !strings.Contains(c.Text, "10 units") {
		t.Errorf("#1 text lacks the addition: %q", c.Text)
	}
	mustContain(t, h.say("[@Ann] Ann: #7 hello"), "can't find a request #7")
	// A bare "#1" makes #1 the case that later messages go to.
	mustContain(t, h.say("[@Ann] Ann: #1"), "added to request #1")
	mustContain(t, h.say("[@Ann] Ann: the pharmacy on Yanping Road has it"), "request #1")
	if c := h.caseByID(2); strings.Contains(c.Text, "pharmacy") {
		t.Errorf("#2 got the message meant for #1: %q", c.Text)
	}
	mustContain(t, h.say("[@Ann] Ann: /status"), "#1", "#2")
	mustContain(t, h.say("[@Ann] Ann: /cancel"), "Which request", "#1", "#2")
	mustContain(t, h.say("[@Ann] Ann: /cancel abc"), "Usage")
	mustContain(t, h.say("[@Ann] Ann: /cancel 2"), "request #2 is withdrawn")
	if c := h.caseByID(2); c.Status != store.StatusClosed || c.CloseReason != "withdrawn" {
		t.Errorf("case 2: %s (%s), want closed (withdrawn)", c.Status, c.CloseReason)
	}
	mustContain(t, h.say("[@Ann] Ann: /cancel 2"), "no open request #2")
	out := h.say("[@Ann] Ann: /cancel")
	mustContain(t, out, "request #1 is withdrawn")
	// #1 was urgent: the volunteers are told it was withdrawn.
	mustContain(t, out, "[volunteers] lifeline: Case #1 was withdrawn by the asker")
	mustContain(t, h.say("[@Ann] Ann: /cancel"), "no open requests")
	mustContain(t, h.say("[volunteers] admin: /cancel"), "private chat")
}

func TestAskerUrgencyRaisedByAnAnswerAlerts(t *testing.T) {
	h := newHarness(t)
	out := h.say("[@Ann] Ann: I need groceries")
	mustNotContain(t, out, "[volunteers]")
	out = h.say("[@Ann] Ann: my father is unconscious and not breathing")
	mustContain(t, out, "[volunteers] lifeline: 🔴 CRITICAL", "now marked 🔴 CRITICAL")
	if c := h.caseByID(1); c.Status != store.StatusNew || len(askerCases(t, h, "console:Ann")) != 1 {
		t.Errorf("answer changed the case count or status: %+v", c)
	}
}

func TestAskerRedeliveryChangesNothing(t *testing.T) {
	h := newHarness(t)
	first := bot.Message{Chat: "console:@Ann", Private: true, ID: "p1", Sender: "console:Ann", SenderName: "Ann", Text: "I need groceries", Time: h.now()}
	mustContain(t, h.handle(first), "registered as #1")
	if out := h.handle(first); out != "" {
		t.Errorf("redelivered plea answered again: %q", out)
	}
	answer := first
	answer.ID, answer.Text = "p2", "Jing'an district, Yanping Road 5"
	mustContain(t, h.handle(answer), "added that to your request #1")
	if out := h.handle(answer); out != "" {
		t.Errorf("redelivered answer handled again: %q", out)
	}
	if c := h.caseByID(1); strings.Count(c.Address, "Yanping") != 1 {
		t.Errorf("address %q", c.Address)
	}
}

// A private plea that resembles someone else's case is the sender's own
// case, linked for the coordinators only; the sender learns nothing of the
// other case and their answers fill their own.
func TestAskerPleaLikeAnotherCaseStaysItsOwn(t *testing.T) {
	h := newHarness(t)
	mustContain(t, h.say("[intake] 热心人: 王阿姨妈妈需要透析，浦东川沙路100弄，电话13812345678"), "case #1")
	out := h.say("[@王阿姨] 王阿姨: 我妈妈需要透析，电话13812345678")
	mine := linesOf(out, "@王阿姨")
	mustContain(t, mine, "#2", "已登记", "请问在哪里")
	mustNotContain(t, mine, "#1", "川沙", "热心人")
	mustContain(t, linesOf(out, "volunteers"), "#2", "#1", "same phone", "/merge 2 1")
	mustContain(t, h.say("[@王阿姨] 王阿姨: 静安区延平路5号"), "已补充到您的求助 #2")
	if c := h.caseByID(2); !strings.Contains(c.Address, "延平路") || c.Asker != "console:王阿姨" {
		t.Errorf("answer not filed on her own case: %+v", c)
	}
	if c := h.caseByID(1); strings.Contains(c.Address+c.Text, "延平路") || c.SourceCount != 1 {
		t.Errorf("the other case changed: %+v", c)
	}
	var linked int
	for _, id := range []int64{1, 2} {
		for _, ev := range caseEvents(t, h, id) {
			if ev.Kind == "linked" {
				linked++
			}
		}
	}
	if linked != 2 {
		t.Errorf("%d link events, want one on each case", linked)
	}
	// Her /status shows her case, in her words only.
	st := h.say("[@王阿姨] 王阿姨: /status 2")
	mustContain(t, st, "#2", "延平路", "13812345678")
	mustNotContain(t, st, "川沙", "热心人", "#1")
	mustContain(t, h.say("[@王阿姨] 王阿姨: /status 1"), "#1")                   // "no request #1 of yours"
	mustNotContain(t, h.say("[@王阿姨] 王阿姨: /status 1"), "川沙", "13812345678") // and nothing from it
}

// A person may still add to their own case from their private chat, even
// one that began as their post in a group.
func TestAskerAddsToTheirOwnGroupCase(t *testing.T) {
	h := newHarness(t)
	mustContain(t, h.say("[intake] 王阿姨: 我妈妈需要透析，电话13812345678"), "case #1")
	out := h.say("[@王阿姨] 王阿姨: 我妈妈需要透析，浦东川沙路100弄")
	mustContain(t, out, "已补充到您的求助 #1")
	mustNotContain(t, out, "#2")
	if n := h.countCases(); n != 1 {
		t.Errorf("%d cases, want her one", n)
	}
}

// Askers see only what they wrote: a repost that added another phone to
// their case is not shown back to them.
func TestAskerSeesOnlyTheirOwnWords(t *testing.T) {
	h := newHarness(t)
	h.say("[intake] 王阿姨: 我妈妈透析两周没做了，浦东川沙，电话13812345678")
	h.say("[intake2] 热心人: 【转发】我妈妈透析两周没做了，浦东川沙，电话13812345678 另一个联系人13999990000")
	if c := h.caseByID(1); len(c.Phones) != 2 {
		t.Fatalf("the repost did not merge its phone: %v", c.Phones)
	}
	out := h.say("[@王阿姨] 王阿姨: /status 1")
	mustContain(t, out, "13812345678")
	mustNotContain(t, out, "13999990000", "热心人")
}
