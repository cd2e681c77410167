package intake

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// The merge rule, in one place. Two messages are the same plea only when
// something says so (a near-duplicate text, the same phone, the same
// asker writing again) and nothing says otherwise (another phone, another
// address, building or room, another named or described person, another
// need). Evidence both ways opens a new case linked to the other; a
// template copied with another phone is a different plea, not even linked.

// Link reasons, stored on both cases and shown as "same contact as #6".
const (
	ReasonContact = "same contact"
	ReasonAsker   = "same asker"
	ReasonSimilar = "similar text"
)

// Judge decides whether a new plea is the same as an open case. It is a
// pure function of the two cases (the store may ask it again on a retried
// batch).
type Judge struct{}

// Verdict is the Judge's answer with its grounds, for tests and logs.
type Verdict struct {
	Action store.Action
	// Reason is the link reason (one of the Reason constants) for a link.
	Reason string
	// For and Against are the evidence found, in words.
	For, Against []string
}

// Why says the verdict in one line ("merge: similar text; same phone").
func (v Verdict) Why() string {
	var b strings.Builder
	switch v.Action {
	case store.Merge:
		b.WriteString("merge")
	case store.Link:
		b.WriteString("link")
	default:
		b.WriteString("new")
	}
	if len(v.For) > 0 {
		b.WriteString(": " + strings.Join(v.For, ", "))
	}
	if len(v.Against) > 0 {
		b.WriteString("; but " + strings.Join(v.Against, ", "))
	}
	return b.String()
}

// Decide is the rule in the shape the store takes.
func (j Judge) Decide(candidate, proposed *store.Case) store.Decision {
	v := j.Verdict(candidate, proposed)
	return store.Decision{Action: v.Action, Reason: v.Reason}
}

// Verdict weighs the evidence for and against proposed being the plea of
// candidate.
func (Judge) Verdict(candidate, proposed *store.Case) Verdict {
	var v Verdict
	text := nearText(candidate, proposed)
	phone := sharesPhone(candidate.Phones, proposed.Phones)
	// The asker writing again is evidence only when there are words to
	// weigh against it: two voice notes from a building leader may be
	// two households.
	asker := proposed.Asker != "" && proposed.Asker == candidate.Asker &&
		strings.TrimSpace(proposed.Text) != "" && strings.TrimSpace(candidate.Text) != ""
	if text {
		v.For = append(v.For, "similar text")
	}
	if phone {
		v.For = append(v.For, "same phone")
	}
	if asker {
		v.For = append(v.For, "same asker")
	}
	if len(v.For) == 0 {
		return v
	}
	otherPhone := len(candidate.Phones) > 0 && len(proposed.Phones) > 0 && !phone
	if otherPhone {
		v.Against = append(v.Against, "different phone")
	}
	v.Against = append(v.Against, conflicts(candidate, proposed)...)
	switch {
	case len(v.Against) == 0:
		v.Action = store.Merge
	case otherPhone && !asker:
		// The same words with another contact: a template filled in by
		// another household. Linking every copy would bury the cards.
		v.Action = store.None
	default:
		v.Action = store.Link
		switch {
		case phone:
			v.Reason = ReasonContact
		case asker:
			v.Reason = ReasonAsker
		default:
			v.Reason = ReasonSimilar
		}
	}
	return v
}

// nearText says whether the two texts are near-duplicates.
func nearText(a, b *store.Case) bool {
	fa, fb := a.Assessment.Fingerprint, b.Assessment.Fingerprint
	return fa != 0 && fb != 0 && triage.NearDuplicate(fa, fb)
}

func sharesPhone(a, b []string) bool {
	for _, p := range b {
		if p != "" && slices.Contains(a, p) {
			return true
		}
	}
	return false
}

// conflicts lists the identifiers the two pleas disagree on: each kind
// counts only when both name it and no value is shared, so a repost that
// leaves a detail out, or an update that adds one, does not conflict.
func conflicts(a, b *store.Case) []string {
	ia, ib := identify(a), identify(b)
	var out []string
	for k := range idKinds {
		if disjoint(ia[k], ib[k]) {
			out = append(out, "different "+idKinds[k])
		}
	}
	if placesDiffer(a.Assessment.Places, b.Assessment.Places) {
		out = append(out, "different address")
	}
	if disjoint(a.Assessment.Vulnerable, b.Assessment.Vulnerable) {
		out = append(out, "different people")
	}
	// A need that changed for the same named person or household is the
	// plea getting worse ("降压药快吃完了" → "昏迷不醒"), not another plea.
	if needOf(a) != "" && needOf(b) != "" && needOf(a) != needOf(b) && !samePeople(ia, ib) {
		out = append(out, "different need")
	}
	return out
}

// samePeople says whether both texts name the same person or household:
// a shared named person, relative, room or building.
func samePeople(a, b [nIDKinds][]string) bool {
	for _, k := range []int{idNamed, idRelative, idRoom, idBuilding} {
		if len(a[k]) > 0 && !disjoint(a[k], b[k]) && len(b[k]) > 0 {
			return true
		}
	}
	return false
}

func needOf(c *store.Case) triage.Category {
	if c.Category == triage.CatOther {
		return triage.CatNone
	}
	return c.Category
}

func disjoint(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	for _, x := range a {
		if slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// placesDiffer says whether both texts name places and none of one is
// part of one of the other ("浦东川沙" is part of "浦东川沙新镇路100弄").
func placesDiffer(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	for _, x := range a {
		x = squash(x)
		for _, y := range b {
			y = squash(y)
			if x != "" && y != "" && (strings.Contains(x, y) || strings.Contains(y, x)) {
				return false
			}
		}
	}
	return true
}

func squash(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), ""))
}

// Identifier kinds; identify files each value under one.
const (
	idBuilding = iota
	idUnit
	idRoom
	idLane
	idNumber
	idFloor
	idAge
	idNamed
	idRelative
	nIDKinds
)

var idKinds = [nIDKinds]string{"building", "unit", "room", "lane", "house number", "floor", "age", "named person", "person"}

// unitSuffixes map what follows a number to its kind, longest first.
var unitSuffixes = []struct {
	s    string
	kind int
}{
	{"号楼", idBuilding}, {"栋", idBuilding}, {"幢", idBuilding}, {"座", idBuilding},
	{"单元", idUnit}, {"室", idRoom}, {"房", idRoom}, {"弄", idLane}, {"号", idNumber},
	{"楼", idFloor}, {"层", idFloor}, {"岁", idAge},
}

// englishUnits are words a number follows in English addresses.
var englishUnits = map[string]int{
	"room": idRoom, "rm": idRoom, "apt": idRoom, "flat": idRoom, "unit": idUnit,
	"building": idBuilding, "block": idBuilding, "bldg": idBuilding, "no": idNumber, "floor": idFloor, "aged": idAge,
}

// titles follow a surname to name a person ("张奶奶", "王先生").
var titles = []string{"奶奶", "爷爷", "阿姨", "叔叔", "大爷", "大妈", "婆婆", "阿婆", "老伯", "伯伯", "老太", "先生", "女士", "小姐", "师傅", "老师", "阿公", "姥姥", "姥爷", "大叔", "大姐", "大哥", "老人", "医生", "同学"}

// surnames are the common Chinese family names (a title after another
// character is not a name: "我奶奶").
const surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"

// relatives are the people a plea is written about, by the words
// used for them; synonyms share a value.
var relatives = []struct{ word, who string }{
	{"外婆", "grandmother-m"}, {"姥姥", "grandmother-m"}, {"外公", "grandfather-m"}, {"姥爷", "grandfather-m"},
	{"奶奶", "grandmother"}, {"爷爷", "grandfather"}, {"妈妈", "mother"}, {"母亲", "mother"}, {"我妈", "mother"}, {"老妈", "mother"},
	{"爸爸", "father"}, {"父亲", "father"}, {"我爸", "father"}, {"老爸", "father"},
	{"老公", "husband"}, {"丈夫", "husband"}, {"老婆", "wife"}, {"妻子", "wife"}, {"儿子", "son"}, {"女儿", "daughter"},
	{"婆婆", "mother-in-law"}, {"公公", "father-in-law"}, {"岳母", "mother-in-law-w"}, {"岳父", "father-in-law-w"},
	{"孕妇", "pregnant"}, {"宝宝", "baby"}, {"婴儿", "baby"},
}

// surnameSet and relativeFirst let identify skip most characters with one
// lookup.
var (
	surnameSet    = runeSet(surnames)
	relativeFirst = func() map[rune]bool {
		m := map[rune]bool{}
		for _, rel := range relatives {
			r, _ := utf8.DecodeRuneInString(rel.word)
			m[r] = true
		}
		return m
	}()
)

func runeSet(s string) map[rune]bool {
	m := map[rune]bool{}
	for _, r := range s {
		m[r] = true
	}
	return m
}

var englishRelatives = map[string]string{
	"mother": "mother", "mom": "mother", "mum": "mother", "father": "father", "dad": "father",
	"grandmother": "grandmother", "grandma": "grandmother", "grandfather": "grandfather", "grandpa": "grandfather",
	"wife": "wife", "husband": "husband", "son": "son", "daughter": "daughter", "baby": "baby",
}

// identify extracts the identifiers of a case's text by kind.
func identify(c *store.Case) [nIDKinds][]string {
	var ids [nIDKinds][]string
	add := func(k int, v string) {
		if !slices.Contains(ids[k], v) {
			ids[k] = append(ids[k], v)
		}
	}
	s := c.Text
	namedAt := -1 // byte offset of the title of the last name found
	prevWord := ""
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case digit(r) >= 0:
			n, end := number(s, i)
			if len(n) <= 5 { // longer runs are phones and ids, not units
				rest := s[end:]
				rest = strings.TrimLeft(rest, " ")
				for _, u := range unitSuffixes {
					if strings.HasPrefix(rest, u.s) {
						add(u.kind, n)
						break
					}
				}
				if k, ok := englishUnits[prevWord]; ok {
					add(k, n)
				}
				if strings.HasPrefix(rest, "-year-old") || strings.HasPrefix(rest, "year-old") || strings.HasPrefix(rest, "years old") {
					add(idAge, n)
				}
				// "5-302", "5号302": building and room written short.
				if strings.HasPrefix(s[end:], "-") {
					if m, _ := number(s, end+1); m != "" && len(m) <= 5 {
						add(idRoom, n+"-"+m)
					}
				}
			}
			prevWord = ""
			i = end
			continue
		case unicode.Is(unicode.Han, r):
			if surnameSet[r] {
				for _, t := range titles {
					if strings.HasPrefix(s[i+size:], t) {
						add(idNamed, string(r)+t)
						namedAt = i + size
						break
					}
				}
			}
			if i != namedAt && relativeFirst[r] {
				for _, rel := range relatives {
					if strings.HasPrefix(s[i:], rel.word) {
						add(idRelative, rel.who)
						break
					}
				}
			}
			prevWord = ""
		case r < utf8.RuneSelf && unicode.IsLetter(r):
			j := i
			for j < len(s) {
				r2, n2 := utf8.DecodeRuneInString(s[j:])
				if r2 >= utf8.RuneSelf || !unicode.IsLetter(r2) {
					break
				}
				j += n2
			}
			w := strings.ToLower(s[i:j])
			if who, ok := englishRelatives[w]; ok {
				add(idRelative, who)
			}
			prevWord = w
			i = j
			continue
		case r == ' ' || r == '.' || r == '#':
			// "No. 5", "Room #302": the word still applies.
			i += size
			continue
		default:
			prevWord = ""
		}
		i += size
	}
	return ids
}

// digit is the value of an ASCII or full-width digit, else -1.
func digit(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0')
	case r >= '０' && r <= '９':
		return int(r - '０')
	}
	return -1
}

// number reads the digits at s[i:] as ASCII, returning them and the end.
func number(s string, i int) (string, int) {
	var b []byte
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		d := digit(r)
		if d < 0 {
			break
		}
		b = append(b, byte('0'+d))
		i += size
	}
	return string(b), i
}
