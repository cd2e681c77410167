package intake

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// plea is the case a group message would open, as the store sees it.
func plea(sender, text string) *store.Case {
	m := platform.Message{Chat: "console:intake", ID: "m", Sender: "console:" + sender, SenderName: sender, Text: text,
		Time: time.Date(2026, 12, 4, 2, 53, 0, 0, time.UTC)}
	c := Proposal(m, triage.Default().Assess(text))
	return &c
}

func TestJudge(t *testing.T) {
	const (
		grandma      = "外婆昏迷不醒，叫不到救护车，浦东川沙新镇路100弄5号，电话13812345678"
		leader1      = "代发：5号楼张奶奶降压药断了三天，快撑不住了，联系我13812345678"
		leader2      = "代发：8号楼王爷爷突然昏迷不醒，叫不到救护车，联系我13812345678"
		template1    = "【求助】家中老人胰岛素仅剩两天，小区封控出不去，地址：闵行区七宝镇漕宝路1200弄12号301室，联系电话13900001111，求好心人帮忙买药"
		template2    = "【求助】家中老人胰岛素仅剩两天，小区封控出不去，地址：闵行区七宝镇漕宝路1350弄7号602室，联系电话13900002222，求好心人帮忙买药"
		details1     = "5号楼张奶奶降压药断了，电话13812345678"
		longTemplate = "【紧急求助】家中老人有糖尿病，胰岛素仅剩两天的量，小区封控出不去，居委会电话一直打不通，附近药店都关门了，网上也买不到，求好心人帮忙买药或者提供渠道，万分感谢！地址：闵行区七宝镇漕宝路1200弄"
		details2     = "5号楼302室张奶奶，78岁，降压药断了三天了，头晕，电话13812345678"
	)
	for _, tc := range []struct {
		name            string
		first, second   *store.Case
		want            store.Action
		reason, against string // the link reason; a word the grounds must name
	}{
		{"shared phone, different household: the leader's neighbours", plea("楼长", leader1), plea("楼长", leader2),
			store.Link, ReasonContact, "different building"},
		{"same template, different phone and address", plea("a", template1), plea("b", template2),
			store.None, "", ""},
		{"same long template, only phone and room differ", plea("a", longTemplate+"12号301室，联系电话13900001111"), plea("b", longTemplate+"12号602室，联系电话13900002222"),
			store.None, "", "different phone"},
		{"repost with 转自 prefix", plea("a", grandma), plea("b", "转自业主群："+grandma), store.Merge, "", ""},
		{"repost with （转自业主群） suffix", plea("a", grandma), plea("b", grandma+"（转自业主群）"), store.Merge, "", ""},
		{"repost with 扩散 and emoji runs", plea("a", grandma), plea("b", "扩散扩散！！🙏🙏🙏"+grandma+"🙏🙏🙏求扩散"), store.Merge, "", ""},
		{"repost with 急转 and no phone", plea("a", grandma), plea("b", "急转 外婆昏迷不醒，叫不到救护车，浦东川沙新镇路100弄5号"), store.Merge, "", ""},
		{"the asker's update in other words", plea("a", grandma), plea("a", "外婆还是没醒，救护车还没来"), store.Merge, "", ""},
		{"the same person twice, more details the second time", plea("a", details1), plea("a", details2), store.Merge, "", ""},
		{"the same person twice, reposted by someone else with more details", plea("a", details1), plea("b", details2), store.Merge, "", ""},
		{"same words, another named person, no phone", plea("a", "求助！5号楼张奶奶降压药断了三天，快撑不住了，小区封控出不去，药店都关门了，求好心人帮忙买药送到楼下"),
			plea("b", "求助！5号楼李奶奶降压药断了三天，快撑不住了，小区封控出不去，药店都关门了，求好心人帮忙买药送到楼下"),
			store.Link, ReasonSimilar, "different named person"},
		{"same words, another age", plea("a", "求助！楼里一位85岁老人胰岛素断了，小区封控出不去，药店都关门了，求好心人帮忙买药，浦东川沙新镇路100弄"),
			plea("b", "求助！楼里一位72岁老人胰岛素断了，小区封控出不去，药店都关门了，求好心人帮忙买药，浦东川沙新镇路100弄"),
			store.Link, ReasonSimilar, "different age"},
		{"the same asker, another need", plea("a", "外婆昏迷不醒，叫不到救护车，电话13812345678"), plea("a", "家里的猫没有猫粮了，谁能帮忙送一点，电话13812345678"),
			store.Link, ReasonContact, "different need"},
		{"the same asker, another relative", plea("a", "我妈妈透析两周没做了，浦东川沙"), plea("a", "我儿子发烧39度三天了，浦东川沙"),
			store.Link, ReasonAsker, "different person"},
		{"English repost, RT and a dropped phone", plea("a", "Please help, my mum is out of insulin for 3 days, Room 302, 3 Elm Road, call +44 7700 900123"),
			plea("b", "RT @helper: Please help!! My mum is out of insulin for 3 days, Room 302, 3 Elm Road 🙏"), store.Merge, "", ""},
		{"English, another room", plea("a", "Please help, my mum is out of insulin for 3 days and the pharmacy is closed, we cannot leave the building, Room 302, 3 Elm Road"),
			plea("b", "Please help, my mum is out of insulin for 3 days and the pharmacy is closed, we cannot leave the building, Room 508, 3 Elm Road"), store.Link, ReasonSimilar, "different room"},
		{"the same grandmother, worse, reposted by a neighbour", plea("a", "5号楼张奶奶降压药快吃完了，浦东川沙新镇路100弄，电话13812345678"),
			plea("b", "5号楼张奶奶降压药快吃完了，刚才突然昏迷不醒了！浦东川沙新镇路100弄，电话13812345678"), store.Merge, "", ""},
		{"two voice notes from the same person: nothing to weigh", plea("a", ""), plea("a", ""), store.None, "", ""},
		{"unrelated pleas", plea("a", grandma), plea("b", "求助：小区封控，需要有人帮忙买菜，家里缺米缺油，住在闵行区七宝镇"), store.None, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Judge{}.Verdict(tc.first, tc.second)
			t.Logf("%s", v.Why())
			if v.Action != tc.want {
				t.Fatalf("got %s, want %s", v.Why(), actionName(tc.want))
			}
			if v.Reason != tc.reason {
				t.Errorf("link reason %q, want %q (%s)", v.Reason, tc.reason, v.Why())
			}
			if tc.against != "" && !strings.Contains(strings.Join(v.Against, ","), tc.against) {
				t.Errorf("grounds %q lack %q", v.Why(), tc.against)
			}
			if tc.want == store.Merge && len(v.Against) > 0 {
				t.Errorf("merged despite %v", v.Against)
			}
			if d := (Judge{}).Decide(tc.first, tc.second); d.Action != v.Action || d.Reason != v.Reason {
				t.Errorf("Decide %+v disagrees with Verdict %s", d, v.Why())
			}
		})
	}
}

// TestJudgeTemplateFlood: a template filled in by many households never
// merges two of them.
func TestJudgeTemplateFlood(t *testing.T) {
	var pleas []*store.Case
	for i := range 12 {
		pleas = append(pleas, plea(fmt.Sprint("p", i), fmt.Sprintf(
			"【求助】家中老人胰岛素仅剩两天，小区封控出不去，地址：闵行区七宝镇漕宝路%d弄%d号%d室，联系电话139%08d，求好心人帮忙买药",
			1000+i*7, i+1, 101+i, 10000+i)))
	}
	for i, a := range pleas {
		for _, b := range pleas[i+1:] {
			if v := (Judge{}).Verdict(a, b); v.Action == store.Merge {
				t.Errorf("template pleas merged: %s\n%s\n%s", v.Why(), a.Text, b.Text)
			}
		}
	}
}

func actionName(a store.Action) string {
	return Verdict{Action: a}.Why()
}

func BenchmarkJudge(b *testing.B) {
	first := plea("楼长", "代发：5号楼张奶奶降压药断了三天，快撑不住了，浦东川沙新镇路100弄，联系我13812345678")
	second := plea("楼长", "代发：8号楼王爷爷突然昏迷不醒，叫不到救护车，浦东川沙新镇路100弄，联系我13812345678")
	b.ReportAllocs()
	for b.Loop() {
		_ = Judge{}.Decide(first, second)
	}
}

// FuzzJudge: any two texts get a verdict without panicking, the verdict
// does not depend on which came first for merge, and a plea always merges
// with itself.
func FuzzJudge(f *testing.F) {
	for _, s := range []string{"代发：5号楼张奶奶降压药断了三天，联系我13812345678", "Room 302, 3 Elm Road, my mum, 85-year-old", "5-302 ９号楼 12岁", "", "张", "1234567890123号楼"} {
		f.Add(s, s+"（转自业主群）")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ca, cb := plea("a", a), plea("b", b)
		v := Judge{}.Verdict(ca, cb)
		w := Judge{}.Verdict(cb, ca)
		if (v.Action == store.Merge) != (w.Action == store.Merge) {
			t.Errorf("merge is not symmetric: %s / %s", v.Why(), w.Why())
		}
		if strings.TrimSpace(a) != "" && ca.Assessment.Fingerprint != 0 {
			if self := (Judge{}).Verdict(ca, plea("c", a)); self.Action != store.Merge {
				t.Errorf("a plea does not merge with its copy: %s", self.Why())
			}
		}
	})
}
