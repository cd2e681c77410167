package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/triage"
)

// regionTriage is a triage engine of its own reading bare numbers as in
// region (the shared default engine must keep CN).
func regionTriage(t *testing.T, region triage.PhoneRegion) func(*bot.Options) {
	return func(o *bot.Options) {
		tri, err := triage.NewEngine()
		if err != nil {
			t.Fatal(err)
		}
		tri.SetPhoneRegion(region)
		o.Triage = tri
	}
}

// A number written the local way of the phone region, or in international
// form, is taken as the asker's phone: the bot does not ask for one again.
func TestAskerIsNotAskedAgainForAPhoneInTheirRegionsForm(t *testing.T) {
	for _, tc := range []struct {
		name   string
		region triage.PhoneRegion
		plea   string
		phone  string
	}{
		{"Hong Kong mobile", triage.RegionHK, "我阿媽喺屋企跌倒咗，起唔到身，叫唔到白車，觀塘，電話 9123 4567", "91234567"},
		{"Taiwan mobile", triage.RegionTW, "我爸爸中風了，不能說話，台北市大安區，電話 0912-345-678", "912345678"},
		{"Macau mobile", triage.RegionMO, "我媽媽暈倒了，叫不醒，氹仔，電話 6612 3456", "66123456"},
		{"international", triage.RegionCN, "My father had a stroke and cannot speak, 3 Elm Road London, call +44 7700 900123", "7700900123"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, regionTriage(t, tc.region))
			out := h.say("[@Ann] Ann: " + tc.plea)
			mustContain(t, out, "#1")
			mustNotContain(t, out, "What phone number", "电话联系您", "電話聯繫您", "phone number can")
			c := h.caseByID(1)
			if digits := strings.NewReplacer(" ", "", "-", "").Replace(strings.Join(c.Phones, " ")); len(c.Phones) == 0 || !strings.Contains(digits, tc.phone) {
				t.Errorf("phones = %v; want one with %s", c.Phones, tc.phone)
			}
		})
	}
}

// A shared contact card (Telegram's one-tap "share my phone") in the
// region's form answers the phone question once and for all.
func TestSharedContactAnswersThePhoneQuestion(t *testing.T) {
	h := newHarness(t, regionTriage(t, triage.RegionHK))
	h.say("[@Ann] Ann: my mother, 78, fell at home and cannot get up")
	out := h.say("[@Ann] Ann: Kwun Tong, Hong Kong")
	mustContain(t, out, "What phone number", "[share phone:")
	out = h.sayMedia("[@Ann] Ann: [contact +85291234567 Ann]")
	mustContain(t, out, "added the number to request #1")
	mustNotContain(t, out, "What phone number", "couldn't find a phone")
	if c := h.caseByID(1); len(c.Phones) != 1 {
		t.Errorf("phones = %v", c.Phones)
	}
}

// Written Cantonese pleas open cases and alert, in a group and privately,
// and a Traditional writer is answered in Traditional.
func TestCantonesePleasThroughTheEngine(t *testing.T) {
	for _, plea := range []string{
		"我阿媽喺屋企跌倒咗，起唔到身，叫唔到白車",
		"阿爺成日頭暈，今朝暈咗喺廁所，唔識反應，快啲嚟救命",
		"我老豆心口好痛，唞唔到氣，點算好",
	} {
		t.Run(plea, func(t *testing.T) {
			h := newHarness(t)
			out := h.say("[intake] 阿明: " + plea)
			mustContain(t, out, "[volunteers] lifeline:", "case #1")
			out = h.say("[@阿芳] 阿芳: " + plea)
			mustContain(t, out, "[@阿芳] lifeline:", "#")
			if !strings.Contains(out, "志願者") || strings.Contains(out, "志愿者") {
				t.Errorf("a Traditional writer was not answered in Traditional:\n%s", out)
			}
		})
	}
}

// The script is remembered: a Traditional writer's later short answers
// stay Traditional, and a switch to Simplified is followed.
func TestTraditionalScriptIsRemembered(t *testing.T) {
	h := newHarness(t)
	out := h.say("[@阿芳] 阿芳: 我媽媽需要洗腎，已經兩個星期冇做")
	mustContain(t, out, "請問")
	out = h.say("[@阿芳] 阿芳: 12345678")
	mustNotContain(t, out, "请问", "谢谢")
	out = h.say("[@阿芳] 阿芳: 我们在浦东川沙，请尽快联系")
	mustContain(t, out, "谢谢")
}

// In a group, a map pin or contact card that replies to a plea, or comes
// from the plea's author within minutes, joins that case; others are seen
// and change nothing.
func TestGroupLocationAndContactJoinTheirPlea(t *testing.T) {
	h := newHarness(t)
	h.say("[intake] 小陈: 外婆突然昏迷不醒，叫不到救护车，闵行莘庄")
	out := h.sayMedia("[intake] 小陈: [location 31.1100,121.3800 莘庄]")
	mustContain(t, out, "31.11000, 121.38000", "openstreetmap.org")
	out = h.sayMedia("[intake] 路人: [contact 13912345672 小陈]")
	if out != "" || len(h.caseByID(1).Phones) != 0 {
		t.Errorf("a stranger's contact card joined the plea:\n%s", out)
	}
	// A reply to the plea joins it, whoever sends it.
	m := bot.Message{Chat: "console:intake", ID: "r1", Sender: "console:邻居", SenderName: "邻居", Time: h.now(), ReplyTo: "m1",
		Contact: &bot.Contact{Phone: "13912345672", Name: "小陈"}}
	out = h.handle(m)
	mustContain(t, out, "13912345672")
	// Too late: the author's pin an hour later is not taken as part of it.
	h.advance(time.Hour)
	out = h.sayMedia("[intake] 小陈: [location 30.0,120.0 别处]")
	if out != "" || h.caseByID(1).Location.Lat != 31.11 {
		t.Errorf("a late pin moved the case:\n%s", out)
	}
}

// A voice message joining a case no volunteer has judged makes it urgent
// (unknown) and alerts; once a coordinator sets the urgency the card says
// so and a later voice message changes nothing.
func TestVoiceRaisesAnUnjudgedCaseUntilACoordinatorSetsIt(t *testing.T) {
	h := newHarness(t)
	h.say("[@Tom] Tom: we need groceries, Pudong Chuansha, 13812345678, for my grandmother")
	out := h.sayMedia("[@Tom] Tom: [voice 30s]")
	mustContain(t, out, "[volunteers] lifeline: 🟠 HIGH", "Urgency unknown", "[voice copy of @Tom#m2]")
	h.say("[volunteers] admin: /urgency 1 normal called back, groceries only")
	if c := h.caseByID(1); c.UrgencyUnknown || c.Urgency != triage.Normal {
		t.Errorf("after /urgency: unknown %v, urgency %s", c.UrgencyUnknown, c.Urgency)
	}
	out = h.sayMedia("[@Tom] Tom: [voice 10s]")
	mustContain(t, out, "[voice copy of @Tom#m4]")
	mustNotContain(t, out, "HIGH")
}

// Stickers and videos get a short honest answer; a video with no case
// opens none.
func TestStickersAndVideosGetAnHonestAnswer(t *testing.T) {
	h := newHarness(t)
	mustContain(t, h.sayMedia("[@Tom] Tom: [sticker]"), "can't understand stickers")
	mustContain(t, h.sayMedia("[@Tom] Tom: [video 20s]"), "can't watch videos")
	if n := h.countCases(); n != 0 {
		t.Errorf("%d cases from a sticker and a video", n)
	}
}

// A map pin before any plea is kept and lands on the plea's case.
func TestLocationBeforeThePleaIsKept(t *testing.T) {
	h := newHarness(t)
	out := h.sayMedia("[@Tom] Tom: [location 31.2304,121.4737 People's Square]")
	mustContain(t, out, "noted your location", "What do you need help with?")
	h.say("[@Tom] Tom: my father had a stroke and cannot speak")
	if c := h.caseByID(1); c.Location == nil || c.Location.Lat != 31.2304 {
		t.Errorf("location = %+v", c.Location)
	}
}

// Relaying media, coordinates and forwards never reach a masked card.
func TestMaskedCardsShowNoCoordinatesOrWhereMediaAre(t *testing.T) {
	h := newHarness(t)
	h.say("[@Tom] Tom: my father had a stroke and cannot speak, call 13812345678")
	h.sayMedia("[@Tom] Tom: [location 31.2304,121.4737 12 Elm Road]")
	h.sayMedia("[@Tom] Tom: [voice 5s]")
	h.say("[volunteers] admin: /grant @admin coordinator")
	out := h.say("[volunteers] admin: /broadcast 1 confirm")
	mustContain(t, out, "[broadcast]")
	public, _, _ := strings.Cut(out[strings.Index(out, "[broadcast]"):], "\n[volunteers]")
	mustContain(t, public, "case #1")
	mustNotContain(t, public, "31.2304", "openstreetmap", "@Tom", "Elm Road", "13812345678")
}
