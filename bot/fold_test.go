package bot_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
)

// floodPlea is the i-th of a flood of urgent pleas from distinct people,
// each with its own phone and place.
func floodPlea(i int) (line, phone string) {
	phone = fmt.Sprintf("136%08d", 10000000+i)
	r := rand.New(rand.NewPCG(uint64(i), 17))
	used := map[string]bool{}
	pick := func(xs []string) string { // no phrase twice in one plea
		for {
			if x := xs[r.IntN(len(xs))]; !used[x] {
				used[x] = true
				return x
			}
		}
	}
	places := []string{"长宁新华路", "闵行莘庄", "徐汇田林", "杨浦五角场", "浦东塘桥", "静安寺", "普陀长风", "宝山大场", "嘉定南翔", "松江泗泾"}
	pleas := []string{
		"老人心脏病发作，胸口剧痛喘不上气", "外婆突然昏迷不醒，叫不到救护车", "孕妇羊水破了要生了，出不了小区",
		"水已经淹到二楼，被困屋顶", "朋友被压在倒塌的墙下，流了很多血", "孩子高烧抽搐，嘴唇发紫",
		"爸爸糖尿病昏倒了，没有胰岛素", "邻居家着火了，里面还有人", "车被洪水冲走，人抓着树",
		"妈妈摔倒头破了，血止不住", "透析病人三天没透析了，全身浮肿", "哮喘发作，没有药了，呼吸很困难",
	}
	extras := []string{"求求大家帮忙", "救救我们", "快来人", "电话打不通120", "路被水淹了车进不来",
		"家里还有两个小孩", "手机快没电了", "我们在顶楼", "已经等了三个小时", "请尽快联系"}
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	given := []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平")
	name := string(surnames[r.IntN(len(surnames))]) + string(given[r.IntN(len(given))])
	// Two pleas and three extras per person keep the texts apart, as real
	// pleas from different people are: this test is about folding, not
	// about merging near-duplicates.
	return fmt.Sprintf("[intake] P%d: 我是%s，%s，而且%s！%s%d弄%d号。%s，%s，%s，电话%s", i, name, pick(pleas), pick(pleas), pick(places),
		r.IntN(300)+1, r.IntN(90)+1, pick(extras), pick(extras), pick(extras), phone), phone
}

// A flood of 300 urgent pleas in 30 seconds reaches the coordination chat
// within Telegram's limits as folds a volunteer can act on: every line
// carries urgency, category, place and phone, every fold fits in one
// message, and every contact is there within about a minute.
func TestFloodFoldsCarryEveryContactWithinBudget(t *testing.T) {
	limits := telegramLike
	limits.MaxTextRunes = 4000
	h, f := newFakeHarness(t, limits, func(o *bot.Options) {
		o.Groups = []bot.GroupBinding{{Chat: "console:intake", Role: store.RoleIntake},
			{Chat: "fake:group1", Role: store.RoleCoordination}}
	})
	start := h.now()
	const n = 300
	phones := map[string]bool{}
	for sec := range 30 {
		for j := range n / 30 {
			line, phone := floodPlea(sec*(n/30) + j)
			phones[phone] = true
			h.feed(line)
		}
		h.flush()
		h.advance(time.Second)
	}
	if got := h.countCases(); got != n {
		h.st.View(context.Background(), func(tx *store.Tx) error {
			return tx.ForEachCase(func(c *store.Case) error {
				for _, p := range c.Phones {
					delete(phones, p)
				}
				return nil
			})
		})
		for p := range phones {
			for i := range n {
				if l, ph := floodPlea(i); ph == p {
					t.Log(l)
				}
			}
		}
		t.Fatalf("%d cases from %d distinct pleas", got, n)
	}
	deliverAll(t, h, 1000)
	sends := f.sends()
	seen := map[string]time.Time{}
	for _, s := range sends {
		if r := utf8.RuneCountInString(s.m.Text); r > limits.MaxTextRunes {
			t.Errorf("message of %d runes, budget %d", r, limits.MaxTextRunes)
		}
		folded := strings.Contains(s.m.Text, "arrived at once")
		for _, l := range strings.Split(s.m.Text, "\n") {
			if folded && strings.HasPrefix(l, "#") {
				if !strings.Contains(l, "CRITICAL") && !strings.Contains(l, "HIGH") {
					t.Errorf("fold line lacks the urgency: %s", l)
				}
				if !strings.Contains(l, "☎ 136") {
					t.Errorf("fold line lacks the phone: %s", l)
				}
				if strings.Count(l, " · ") < 4 {
					t.Errorf("fold line lacks a field (urgency, category, place, phone): %s", l)
				}
			}
		}
		for p := range phones {
			if _, ok := seen[p]; !ok && strings.Contains(s.m.Text, p) {
				seen[p] = s.at
			}
		}
	}
	if len(seen) != n {
		t.Fatalf("%d of %d phones reached the coordination chat", len(seen), n)
	}
	var last time.Time
	for _, at := range seen {
		if at.After(last) {
			last = at
		}
	}
	if w := maxInWindow(sends, "fake:group1", time.Minute); w > 20 {
		t.Errorf("%d sends to the group inside one minute, limit 20", w)
	}
	took := last.Sub(start)
	t.Logf("300 pleas over 30s: all contacts in the coordination chat after %v, %d messages", took, len(sends))
	if took > 90*time.Second {
		t.Errorf("last contact reached coordinators after %v, want about a minute", took)
	}
}
