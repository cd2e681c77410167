package triage

import (
	"bufio"
	"os"
	"strings"
	"sync"
	"testing"
)

type testCase struct {
	text     string
	urgency  Urgency
	category Category
	line     int
}

// loadCases reads testdata/cases.tsv (hand-written examples).
func loadCases(tb testing.TB) []testCase {
	tb.Helper()
	f, err := os.Open("testdata/cases.tsv")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []testCase
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		t := sc.Text()
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		f := strings.Split(t, "\t")
		if len(f) != 3 {
			tb.Fatalf("cases.tsv:%d: want 3 fields, got %d", line, len(f))
		}
		u, err := ParseUrgency(f[1])
		if err != nil {
			tb.Fatalf("cases.tsv:%d: %v", line, err)
		}
		c := Category(f[2])
		if f[2] == "-" {
			c = CatNone
		}
		out = append(out, testCase{text: f[0], urgency: u, category: c, line: line})
	}
	return out
}

func TestAssessCases(t *testing.T) {
	seenU := map[Urgency]bool{}
	seenLang := map[string]bool{}
	for _, c := range loadCases(t) {
		a := Assess(c.text)
		seenU[a.Urgency] = true
		seenLang[a.Language] = true
		if a.Urgency != c.urgency || a.Category != c.category {
			t.Errorf("cases.tsv:%d %q\n got %s/%s (%s)\nwant %s/%s", c.line, c.text, a.Urgency, a.Category, a.Explain(), c.urgency, c.category)
		}
		if a.IsRequest != (c.urgency != None) {
			t.Errorf("cases.tsv:%d: IsRequest=%v with urgency %s", c.line, a.IsRequest, a.Urgency)
		}
		if a.IsRequest && len(a.Signals) == 0 {
			t.Errorf("cases.tsv:%d: a request with no signals to explain it", c.line)
		}
	}
	for _, u := range []Urgency{None, Normal, High, Critical} {
		if !seenU[u] {
			t.Errorf("no case produced urgency %s", u)
		}
	}
	if !seenLang["zh"] || !seenLang["en"] {
		t.Errorf("languages seen: %v", seenLang)
	}
}

// Every category of the design should be reachable from plain text.
func TestEveryCategory(t *testing.T) {
	texts := map[Category]string{
		CatMedicalEmergency: "求助，我爸昏迷了",
		CatDialysis:         "求助：透析病人下周的透析没着落",
		CatCancer:           "求助，妈妈化疗中断了",
		CatChronicMedicine:  "急需胰岛素，家里快用完了",
		CatMaternalInfant:   "求助：孕妇要生了，叫不到车",
		CatMentalHealth:     "我朋友想自杀，求帮忙",
		CatElderlyAlone:     "求助：独居老人没人照顾",
		CatFoodSupplies:     "求助，家里没有米了，需要买菜",
		CatPet:              "求助，需要有人帮忙喂猫",
		CatTransport:        "求助，需要车接送去医院复查",
		CatInformation:      "请问哪里可以办通行证，求助",
		CatRescue:           "我们被困在二楼，求救",
		CatMissingPerson:    "寻人求助，我舅舅失联三天了",
		CatShelter:          "求助，房子没了，需要住的地方",
		CatOther:            "救救我们，求求你们",
	}
	for want, text := range texts {
		a := Assess(text)
		if a.Category != want {
			t.Errorf("%q: category %q (%s), want %q", text, a.Category, a.Explain(), want)
		}
	}
}

func TestTraditionalMatchesSimplified(t *testing.T) {
	pairs := [][2]string{
		{"家里老人透析已经停了一周，急需帮助！", "家裏老人透析已經停了一週，急需幫助！"},
		{"求助：我爸确诊新冠，发烧咳嗽，医院没有床位", "求助：我爸確診新冠，發燒咳嗽，醫院沒有床位"},
		{"独居老人没有吃的了，求帮忙", "獨居老人沒有吃的了，求幫忙"},
	}
	for _, p := range pairs {
		s, tr := Assess(p[0]), Assess(p[1])
		if s.Urgency != tr.Urgency || s.Category != tr.Category || s.Explain() != tr.Explain() {
			t.Errorf("script changes the verdict:\n %s: %s\n %s: %s", p[0], s.Explain(), p[1], tr.Explain())
		}
		if !NearDuplicate(s.Fingerprint, tr.Fingerprint) {
			t.Errorf("traditional repost is not a near-duplicate: %016x vs %016x", s.Fingerprint, tr.Fingerprint)
		}
	}
}

func TestNormalize(t *testing.T) {
	cases := map[string]string{
		"透 析":              "透析",
		"透🙏析":              "透析",
		"ＨＥＬＰ　ｍｅ！":         "help me!",
		"Need   Insulin\n": "need insulin",
		"醫院沒有床位":           "医院没有床位",
		"電話：１３８":           "电话:138",
		"a\u200db":         "ab",
		"bad\xffutf8":      "bad utf8",
	}
	for in, want := range cases {
		if got := normalizeString(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNonRequestsDoNotFire(t *testing.T) {
	texts := []string{
		"我家有多余的胰岛素可以分享",
		"有需要的朋友可以联系我，我们免费提供蔬菜",
		"已解决，谢谢大家",
		"已经送医了，感谢",
		"新闻：某地被困群众已全部获救",
		"哈哈，这个段子笑死了",
		"请问群里可以发求助信息吗？群规是什么",
		"限时特价！口罩包邮，下单领券",
		"We are providing insulin, available for anyone who needs it",
		"Thank you all, my mother has been admitted to hospital",
		"Reports say 200 people trapped after the quake",
		"Can I post requests in this group? What are the group rules?",
		"Huge discount on water filters, buy now!",
		"lol my cat is starving for attention haha",
	}
	for _, text := range texts {
		if a := Assess(text); a.Urgency != None || a.IsRequest {
			t.Errorf("%q fired: %s", text, a.Explain())
		}
	}
}

func TestResolvedAfterPleaIsNotUrgent(t *testing.T) {
	a := Assess("求助！我爸呼吸困难……更新：已经送医了，谢谢大家")
	if a.Urgency > Normal || !a.Resolved {
		t.Errorf("resolved plea still urgent: %s", a.Explain())
	}
	b := Assess("我爸已入院，但是我妈也发烧了，呼吸困难，求助")
	if b.Urgency != Critical {
		t.Errorf("a new plea after a resolved one was dropped: %s", b.Explain())
	}
}

func TestScamFlag(t *testing.T) {
	for _, text := range []string{
		"求助送菜，先交报名费50元，扫收款码转账",
		"Rescue team available, pay the registration fee first by wire transfer",
	} {
		if a := Assess(text); !a.Scam {
			t.Errorf("%q: scam not flagged (%s)", text, a.Explain())
		}
	}
	if a := Assess("求助，我妈需要胰岛素"); a.Scam {
		t.Error("plain plea flagged as scam")
	}
}

// Bare district, county and town names come from the generated
// gazetteer; suffixed fragments swallow the names inside them, and a
// name alone does not make a plea of a news line.
func TestGazetteerPlaces(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string
	}{
		{"我妈妈透析两周没做了，浦东川沙，电话13812345678", []string{"浦东川沙"}},
		{"涿州码头镇东城坊村水已经到二楼了", []string{"涿州码头镇东城坊村"}},
		{"朋友在門頭溝被困，聯繫不上了", []string{"门头沟"}},
		{"住在门头沟区妙峰山镇", []string{"门头沟区妙峰山镇"}},
		{"朝阳升起，和平年代，开发新产品", nil},
	} {
		if got := Assess(c.text).Places; strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s: places = %v, want %v", c.text, got, c.want)
		}
	}
	if a := Assess("新闻：涿州多个村庄被淹，多人被困"); a.IsRequest {
		t.Errorf("news with a bare county name is a request: %+v", a)
	}
}

func TestExtraction(t *testing.T) {
	a := Assess("求助！80岁老人透析两周没做了，住在浦东新区张杨路88弄3号楼，电话 138-1234-5678，或 021-12345678，+86 139 1234 5678")
	wantPhones := []string{"13812345678", "021-12345678", "+8613912345678"}
	if strings.Join(a.Phones, ",") != strings.Join(wantPhones, ",") {
		t.Errorf("phones = %v, want %v", a.Phones, wantPhones)
	}
	if !contains(a.Places, "浦东新区张杨路88弄3号楼") {
		t.Errorf("places = %v", a.Places)
	}
	if !contains(a.Vulnerable, "elderly") {
		t.Errorf("vulnerable = %v", a.Vulnerable)
	}
	if !contains(a.Durations, "两周没做了") {
		t.Errorf("durations = %v", a.Durations)
	}
	b := Assess("Please help: my grandmother, a wheelchair user in Gongabu district, has been out of insulin for 3 days. Call +977 9851234567")
	if !contains(b.Durations, "3 days") {
		t.Errorf("durations = %v", b.Durations)
	}
	if !contains(b.Phones, "+9779851234567") {
		t.Errorf("phones = %v", b.Phones)
	}
	if !contains(b.Places, "Gongabu district") { // as written, for the card
		t.Errorf("places = %v", b.Places)
	}
	if c := Assess("Water's up to the stairs, 2 kids with us, 14 Mill Lane, call 07700 900123"); !contains(c.Places, "14 Mill Lane") {
		t.Errorf("places = %v", c.Places)
	}
	if !contains(b.Vulnerable, "elderly") || !contains(b.Vulnerable, "disabled") {
		t.Errorf("vulnerable = %v", b.Vulnerable)
	}
	c := Assess("断药三天了，求助，联系138****5678")
	if !contains(c.Durations, "断药三天") || !contains(c.Phones, "138****5678") {
		t.Errorf("durations %v phones %v", c.Durations, c.Phones)
	}
	// Dates and ids are not phone numbers.
	d := Assess("2020-01-27发病，身份证号110101199003071234，订单12345")
	if len(d.Phones) != 0 {
		t.Errorf("phones = %v, want none", d.Phones)
	}
}

func TestPhoneForms(t *testing.T) {
	cases := map[string]string{
		"13812345678":       "13812345678",
		"138 1234 5678":     "13812345678",
		"138-1234-5678":     "13812345678",
		"１３８１２３４５６７８":       "13812345678",
		"+86 138 1234 5678": "+8613812345678",
		"008613812345678":   "+8613812345678",
		"8613812345678":     "13812345678",
		"021-12345678":      "021-12345678",
		"(0755) 1234 5678":  "0755-12345678",
		"0755 12345678":     "0755-12345678",
		"02112345678":       "021-12345678",
		"07700 900123":      "07700-900123", // the writer's grouping, not area code 0770
		"138****5678":       "138****5678",
		"1XX********":       "1**********",
		"+1 415 555 0100":   "+14155550100",
	}
	for in, want := range cases {
		a := Assess("电话 " + in + " 谢谢")
		if len(a.Phones) != 1 || a.Phones[0] != want {
			t.Errorf("%q: phones %v, want [%s]", in, a.Phones, want)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	cases := map[string]string{
		"13812345678":    "138****5678",
		"138-1234-5678":  "138****5678",
		"021-12345678":   "021-****5678",
		"0755-12345678":  "0755-****5678",
		"+8613812345678": "+86 138****5678",
		"138****5678":    "138****5678",
		"12345":          "*****",
	}
	for in, want := range cases {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskText(t *testing.T) {
	cases := map[string]string{
		"电话13812345678，住3号楼502室":     "电话138****5678，住3号楼***室",
		"联系 138-1234-5678 谢谢":        "联系 138-****-5678 谢谢",
		"住在5栋1201，电话021-12345678":    "住在5栋***，电话021-****5678",
		"Call +86 139 1234 5678 now": "Call +86 139 **** 5678 now",
		"Room 502, call 13812345678": "Room ***, call 138****5678",
		"没有号码，3号楼":                   "没有号码，3号楼",
		"２０２０年１月２７日":                 "２０２０年１月２７日",
	}
	for in, want := range cases {
		if got := MaskText(in); got != want {
			t.Errorf("MaskText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFingerprint(t *testing.T) {
	base := "求助！我爸爸透析两周没做了，80岁老人，住在浦东新区张杨路，电话13812345678，求好心人帮忙联系透析中心"
	reposts := []string{
		"转发：" + base,
		"【转】" + base + "🙏🙏🙏",
		"Fwd: " + strings.ReplaceAll(base, "，", ", "),
		"求助!!我爸爸透析两周没做了, 80岁老人, 住在浦东新区张杨路, 电话13812345678, 求好心人帮忙联系透析中心",
		"求助！我爸爸透析兩週沒做了，80歲老人，住在浦東新區張楊路，電話13812345678，求好心人幫忙聯繫透析中心",
		"求助！我爸爸透析两周没做了，80岁老人，住在浦东新区张杨路，电话13812345678，求好心人帮忙联系透析中心！！急急急",
	}
	fp := Assess(base).Fingerprint
	for _, r := range reposts {
		g := Assess(r).Fingerprint
		if !NearDuplicate(fp, g) {
			t.Errorf("repost not matched (distance %d): %q", popcount(fp^g), r)
		}
	}
	different := []string{
		"求助！我妈妈胰岛素快用完了，70岁，住在徐汇区漕溪路，电话13912345678，求好心人帮忙买药",
		"求助：小区封控，需要有人帮忙买菜，家里缺米缺油，住在闵行区七宝镇",
		"急！孕妇破水了，叫不到救护车，在徐汇区，求帮忙",
		"Please help, my father is unconscious and not breathing",
	}
	for _, d := range different {
		g := Assess(d).Fingerprint
		if NearDuplicate(fp, g) {
			t.Errorf("different plea matched (distance %d): %q", popcount(fp^g), d)
		}
	}
	en := Assess("Please help, my mum is out of insulin for 3 days, we are at Gongabu village").Fingerprint
	en2 := Assess("RT @helper: Please help!! My mum is out of insulin for 3 days, we are at Gongabu village 🙏").Fingerprint
	if !NearDuplicate(en, en2) {
		t.Errorf("english repost not matched (distance %d)", popcount(en^en2))
	}
}

func TestBands(t *testing.T) {
	fp := uint64(0x1122334455667788)
	b := Bands(fp)
	if b != [FingerprintBands]uint16{0x7788, 0x5566, 0x3344, 0x1122} {
		t.Errorf("Bands = %x", b)
	}
	// Pigeonhole: any fingerprint within distance 3 shares a band.
	for _, flip := range [][]int{{0, 17, 40}, {1, 2, 3}, {15, 16, 63}, {5}} {
		g := fp
		for _, bit := range flip {
			g ^= 1 << bit
		}
		if !NearDuplicate(fp, g) {
			t.Fatalf("distance %d not near", len(flip))
		}
		gb, shared := Bands(g), false
		for i := range b {
			shared = shared || b[i] == gb[i]
		}
		if !shared {
			t.Errorf("flips %v share no band", flip)
		}
	}
	if NearDuplicate(0, 0xF) {
		t.Error("distance 4 counted as near")
	}
}

func TestExplain(t *testing.T) {
	a := Assess("求助！我爸爸透析两周没做了，80岁老人")
	got := a.Explain()
	if !strings.HasPrefix(got, "透析") || !strings.HasSuffix(got, "→ critical") || !strings.Contains(got, "两周没做了") || !strings.Contains(got, "老人") {
		t.Errorf("Explain() = %q", got)
	}
	if got := (Assessment{}).Explain(); got != "- → none" {
		t.Errorf("empty Explain() = %q", got)
	}
	if got := (Assessment{Urgency: High, Signals: []string{"a"}, Scam: true}).Explain(); got != "a → high [scam?]" {
		t.Errorf("Explain() = %q", got)
	}
}

func TestPathologicalInput(t *testing.T) {
	inputs := []string{
		strings.Repeat("求助透析", 300000),
		strings.Repeat("😀", 10000),
		strings.Repeat("\xff\xfe", 50000),
		strings.Repeat("1", 100000),
		strings.Repeat("#", 100000),
		strings.Repeat("不需要", 100000),
		"",
	}
	for _, in := range inputs {
		a := Assess(in)
		if len(a.Signals) > maxSignals || len(a.Phones) > maxPhones {
			t.Errorf("unbounded output for %d-byte input", len(in))
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	cases := loadCases(t)
	e := Default()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, c := range cases {
				if a := e.Assess(c.text); a.Urgency != e.Assess(c.text).Urgency {
					t.Errorf("nondeterministic result for %q", c.text)
				}
			}
		}()
	}
	wg.Wait()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func popcount(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// A number after an English place word names the place ("ward no. 5",
// "Block C"); an amount after it does not.
func TestNumberedPlaces(t *testing.T) {
	cases := []struct{ text, want string }{
		{"my mum is in ward no. 5 and needs oxygen", "ward no. 5"},
		{"we are in Block C, 3rd floor, no water for 2 days", "Block C"},
		{"building 4 collapsed, people inside", "building 4"},
		{"the school is 5 minutes away, can someone walk my son there", ""},
		{"stuck at the camp 2 days now", ""},
	}
	for _, c := range cases {
		got := Assess(c.text).Places
		if c.want == "" && len(got) != 0 || c.want != "" && !contains(got, c.want) {
			t.Errorf("%q: places %v, want %q", c.text, got, c.want)
		}
	}
}
