package bot_test

import (
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/bot"
)

func TestIntakeAlertsCoordinationForUrgentPleas(t *testing.T) {
	h := newHarness(t)
	out := h.say("[intake] 王阿姨: 我妈妈透析两周没做了，浦东川沙，电话13812345678")
	mustContain(t, out, "[volunteers] lifeline: 🔴 CRITICAL", "case #1", "dialysis", "13812345678", "/claim 1")
	out = h.say("[intake] Tom: My father is unconscious and not breathing, please send help, 3 Elm Road, call +44 7700 900123")
	mustContain(t, out, "[volunteers] lifeline:", "CRITICAL", "case #2", "/claim 2")
	// Alerts go to coordination only: nothing is posted back in the intake group.
	mustNotContain(t, out, "[intake] lifeline")
}

func TestIntakeIgnoresChatter(t *testing.T) {
	h := newHarness(t)
	for _, line := range []string{
		"[intake] 小李: 大家早上好，今天天气不错",
		"[intake] 小张: 已解决，谢谢大家！",
		"[intake] 小王: 我家有多余的胰岛素可以分享，需要的私聊",
		"[intake] Ann: thanks everyone, we got the groceries",
	} {
		if out := h.say(line); out != "" {
			t.Errorf("%s: bot said %q", line, out)
		}
	}
	if n := h.countCases(); n != 0 {
		t.Errorf("chatter created %d cases", n)
	}
}

func TestRepostInAnotherGroupMergesIntoFirstCase(t *testing.T) {
	h := newHarness(t)
	first := h.say("[intake] 王阿姨: 我妈妈透析两周没做了，浦东川沙，电话13812345678")
	mustContain(t, first, "case #1")
	again := h.say("[intake2] 热心人: 【转发】我妈妈透析两周没做了!!浦东川沙，电话13812345678 🙏🙏")
	if strings.Contains(again, "case #2") {
		t.Fatalf("repost opened a second case:\n%s", again)
	}
	if again != "" {
		t.Errorf("repost at the same urgency alerted again:\n%s", again)
	}
	out := h.say("[volunteers] admin: /case 1")
	mustContain(t, out, "reposted 1 times")
}

func TestRedeliveredMessageChangesNothing(t *testing.T) {
	h := newHarness(t)
	m := bot.Message{Chat: "console:intake", ID: "42", Sender: "console:王阿姨", Text: "我妈妈透析两周没做了，电话13812345678", Time: h.now()}
	if out := h.handle(m); !strings.Contains(out, "case #1") {
		t.Fatalf("first delivery: %q", out)
	}
	if out := h.handle(m); out != "" {
		t.Fatalf("redelivery produced output: %q", out)
	}
}
