package triage

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// maskCases are pleas as people write them (made up for these tests), and
// what a broadcast group may see of them.
var maskCases = []struct{ name, in, want string }{
	// Mainland phones in every way of writing them.
	{"mobile", "急！我妈透析两周没做了，电话13812345678", "急！我妈透析两周没做了，电话138****5678"},
	{"mobile spaced", "联系 138 1234 5678 谢谢", "联系 138 **** 5678 谢谢"},
	{"mobile dashed", "联系 138-1234-5678 谢谢", "联系 138-****-5678 谢谢"},
	{"mobile dotted", "电话138.1234.5678王阿姨", "电话138.****.5678王阿姨"},
	{"full-width", "电话：１３８１２３４５６７８", "电话：１３８****５６７８"},
	{"chinese numerals", "我的电话是一三八一二三四五六七八，快来", "我的电话是一三八****五六七八，快来"},
	{"yao numerals spaced", "打幺三八 幺二三四 五六七八找我", "打幺三八 **** 五六七八找我"},
	{"mixed numerals", "电话138一二三四5678", "电话138****5678"},
	{"mixed other way", "电话 一三八 1234 五六七八", "电话 一三八 **** 五六七八"},
	{"tel prefix", "tel:13812345678", "tel:138****5678"},
	{"+86", "Call +86 139 1234 5678 now", "Call +86 139 **** 5678 now"},
	{"0086", "电话008613912345678", "电话0086139****5678"},
	{"landline", "住在5栋1201，电话021-12345678", "住在5栋***，电话021-****5678"},
	{"landline bracket", "座机(0755) 1234 5678", "座机(0755) **** 5678"},
	{"zero-width inside", "电话138\u200b1234\u200b5678", "电话138\u200b****\u200b5678"},
	// North-American and international numbers: fully, not half.
	{"nanp", "Please call my dad at (415) 555-2671, he is diabetic", "Please call my dad at (***) ***-**71, he is diabetic"},
	{"nanp +1", "text +1 415-555-2671 asap", "text +1 ***-***-**71 asap"},
	{"nanp dotted", "call 415.555.2671", "call ***.***.**71"},
	{"tel +1", "tel:+14155552671", "tel:+1********71"},
	{"hk +852", "阿媽跌倒咗，打 +852 9123 4567", "阿媽跌倒咗，打 +852 **** **67"},
	{"hk bare", "我阿媽喺屋企跌倒咗，電話 9123 4567", "我阿媽喺屋企跌倒咗，電話 **** **67"},
	{"macau", "澳門 6612 3456", "澳門 **** **56"},
	{"taiwan mobile", "請打0912-345-678", "請打****-***-*78"},
	{"uk 00 44", "ring 00 44 20 7946 0958 please", "ring 00 44 ** **** **58 please"},
	{"uk mobile", "my number 07700 900123", "my number 07700 ****23"},
	{"local 7 digits", "call 555-2671", "call ***-**71"},
	// ID and bank cards.
	{"id card", "身份证110105199001011234，求助", "身份证**************1234，求助"},
	{"id card X", "身份证号：11010519900101123X", "身份证号：**************123X"},
	{"id card grouped", "ID 110105 19900101 1234", "ID ****** ******** 1234"},
	{"bank card", "捐款请转6222021234567890123", "捐款请转***************0123"},
	{"bank card spaced", "卡号 6222 0212 3456 7890", "卡号 **** **** **** 7890"},
	// Account ids and mail.
	{"wxid", "加我 wxid_k3j2h1g0f9", "加我 wxid_***"},
	{"wechat id", "微信 li_nainai88，我奶奶一个人在家", "微信 ***，我奶奶一个人在家"},
	{"wechat id no space", "微信li_nainai88", "微信***"},
	{"vx", "vx: nainai_li 求药", "vx: *** 求药"},
	{"wechat number colon", "微信号：lilaoshi", "微信号：***"},
	{"wechat upper", "VX：Li_Nainai88", "VX：***"},
	{"wechat english", "my WeChat ID is lily2020, please help", "my WeChat ID is ***, please help"},
	{"qq", "QQ 12345 联系", "QQ *** 联系"},
	{"qq long", "qq:123456789", "qq:*******89"},
	{"email", "email me: li.nainai@qq.com", "email me: ***@qq.com"},
	{"email own domain", "write to john@smithfamily.co.uk", "write to ***@***"},
	// Rooms, flats and postcodes; streets and districts stay.
	{"room", "浦东新区张杨路500弄3号楼502室，老人独居", "浦东新区张杨路500弄3号楼***室，老人独居"},
	{"room numerals", "住五一一室，没有药了", "住***室，没有药了"},
	{"room numerals zero", "三号楼五〇二室", "三号楼***室"},
	{"room dash", "金桥小区3-502，孕妇", "金桥小区3-***，孕妇"},
	{"room en", "Room 502, call 13812345678", "Room ***, call 138****5678"},
	{"flat", "Flat 3, 12 Baker Street, London SW1A 1AA", "Flat ***, 12 Baker Street, London SW1A ***"},
	{"flat letter", "apt 4b, Elm Road", "apt ***, Elm Road"},
	{"postcode", "we are at M1 1AE, no power", "we are at M1 ***, no power"},
	{"postcode compact", "postcode sw1a1aa", "postcode sw1a***"},
	// What must stay readable.
	{"layout", "一室一厅，两房", "一室一厅，两房"},
	{"building", "没有号码，3号楼", "没有号码，3号楼"},
	{"date", "２０２０年１月２７日", "２０２０年１月２７日"},
	{"date dashed", "2022-04-15 10:30 水浸到二楼", "2022-04-15 10:30 水浸到二楼"},
	{"date then phone", "2022-04-15 13812345678", "2022-04-15 138****5678"},
	{"price", "布洛芬 原价30 现在200", "布洛芬 原价30 现在200"},
	{"money", "筹到20000000元", "筹到20000000元"},
	{"count range", "需要2000-3000个沙包", "需要2000-3000个沙包"},
	{"order", "订单号 123456789012 还没到", "订单号 123456789012 还没到"},
	{"case number", "#42 已解决", "#42 已解决"},
	{"ordinal", "A1 2nd floor", "A1 2nd floor"},
	{"wechat not an id", "wechat is down again", "wechat is down again"},
	{"deadline", "deadline: tomorrow", "deadline: tomorrow"},
	{"insulin", "out of insulin for 3 days, 80 years old", "out of insulin for 3 days, 80 years old"},
}

func TestMaskTextCoversHowPeopleWrite(t *testing.T) {
	for _, c := range maskCases {
		t.Run(c.name, func(t *testing.T) {
			got := MaskText(c.in)
			if got != c.want {
				t.Errorf("MaskText(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
			if again := MaskText(got); again != got {
				t.Errorf("not idempotent: %q → %q", got, again)
			}
		})
	}
}

func TestMaskPhoneForms(t *testing.T) {
	cases := map[string]string{
		"13812345678":    "138****5678",
		"138-1234-5678":  "138****5678",
		"021-12345678":   "021-****5678",
		"0755-12345678":  "0755-****5678",
		"0912-345678":    "0912-****78",
		"+8613812345678": "+86 138****5678",
		"+85291234567":   "+852 ******67",
		"+85366123456":   "+853 ******56",
		"+886912345678":  "+886 *******78",
		"+14155552671":   "+1 ********71",
		"+442079460958":  "+44 ********58",
		"138****5678":    "138****5678",
		"1**********":    "1**********",
		"12345":          "*****",
		"5552671":        "*****71",
	}
	for in, want := range cases {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
		if again := MaskPhone(MaskPhone(in)); again != MaskPhone(in) {
			t.Errorf("MaskPhone not idempotent on %q: %q", in, again)
		}
	}
}

// Every phone Assess extracts, under every region, is masked by MaskPhone
// with at least 4 digits hidden and no 5 visible in a row.
func TestMaskPhoneHidesEveryExtractedPhone(t *testing.T) {
	for _, r := range phoneRegions {
		e := regionEngine(t, r)
		for _, c := range maskCases {
			for _, p := range e.Assess(c.in).Phones {
				m := MaskPhone(p)
				if strings.Count(m, "*") < 4 || longestDigitRun(m) > 4 {
					t.Errorf("%s: MaskPhone(%q) = %q shows too much", r, p, m)
				}
			}
		}
	}
}

// mobileRun is a mainland mobile written as one run of digits.
var mobileRun = regexp.MustCompile(`(^|[^0-9])1[3-9][0-9]{9}([^0-9]|$)`)

// foldDigits turns full-width digits into ASCII, for the checks below.
func foldDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, s)
}

func longestDigitRun(s string) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

// checkMasked states what MaskText promises for any input.
func checkMasked(t *testing.T, in string) {
	t.Helper()
	out := MaskText(in)
	if again := MaskText(out); again != out {
		t.Fatalf("not idempotent:\n in  %q\n out %q\n out2 %q", in, out, again)
	}
	if len(out) > 3*len(in) {
		t.Fatalf("output %d bytes for %d bytes of input", len(out), len(in))
	}
	if utf8.ValidString(in) && !utf8.ValidString(out) {
		t.Fatalf("invalid UTF-8 out of valid input: %q", out)
	}
	folded := foldDigits(out)
	if mobileRun.MatchString(folded) {
		t.Fatalf("a mainland mobile survives:\n in  %q\n out %q", in, out)
	}
	if longestDigitRun(folded) >= 15 {
		t.Fatalf("an ID or card number survives:\n in  %q\n out %q", in, out)
	}
	// No phone any region reads in the output shows 7 digits in a row.
	buf := normalize(nil, out)
	for reg := range phoneRegions {
		for _, p := range extractPhones(buf, uint32(reg), nil) {
			if longestDigitRun(strings.TrimPrefix(p, "+")) >= 7 {
				t.Fatalf("%s phone %q survives:\n in  %q\n out %q", phoneRegions[reg], p, in, out)
			}
		}
	}
}

func TestMaskTextPromises(t *testing.T) {
	for _, c := range maskCases {
		checkMasked(t, c.in)
	}
}

func FuzzMaskText(f *testing.F) {
	for _, c := range maskCases {
		f.Add(c.in)
	}
	for _, c := range loadCases(f) {
		f.Add(c.text)
	}
	f.Add("13812345678 13987654321 +852 9123 4567 00 44 20 7946 0958")
	f.Add("1381234567８9０１２３４５６７８９０１２３４５６７８９")
	f.Add("wxid_a@b.c 微信:a_b1 qq号=12345 line id: x_1")
	f.Add("+ 8 6 1 3 8 1 2 3 4 5 6 7 8")
	f.Add("138●●●●5678 1XX******** 021-****5678")
	f.Add("٠١٣٨١٢٣٤٥٦٧٨ ۱۳۸۱۲۳۴۵۶۷۸")
	f.Add("\xff13812345678\xfe")
	f.Fuzz(func(t *testing.T, text string) {
		checkMasked(t, text)
		_ = MaskPhone(text)
	})
}

func BenchmarkMaskText(b *testing.B) {
	texts := make([]string, len(maskCases))
	n := 0
	for i, c := range maskCases {
		texts[i] = c.in
		n += len(c.in)
	}
	b.SetBytes(int64(n / len(texts)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = MaskText(texts[i%len(texts)])
	}
}
