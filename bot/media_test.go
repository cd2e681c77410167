package bot_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/lifeline-aid/lifeline/adapters/console"
	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/bot/deeplink"
	"github.com/lifeline-aid/lifeline/store"
)

// sayMedia feeds a console line whose text may start with media tags
// ("[voice 12s]", "[location 31.23,121.47 浦东]"), as the console adapter
// reads them, and returns what the bot printed.
func (h *harness) sayMedia(line string) string {
	h.t.Helper()
	chat, sender, text, err := console.ParseLine(line)
	if err != nil {
		h.t.Fatalf("bad console line %q: %v", line, err)
	}
	h.msgSeq++
	m := bot.Message{
		Chat:       "console:" + chat,
		Private:    strings.HasPrefix(chat, "@"),
		ChatName:   chat,
		ID:         "m" + strconv.Itoa(h.msgSeq),
		Sender:     "console:" + sender,
		SenderName: sender,
		Time:       h.now(),
	}
	if err := console.ParseContent(text, &m); err != nil {
		h.t.Fatalf("bad content %q: %v", text, err)
	}
	return h.handle(m)
}

// caseByID reads case id.
func (h *harness) caseByID(id int64) *store.Case {
	h.t.Helper()
	var c *store.Case
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		c, err = tx.Case(id)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return c
}

func TestPrivateVoiceOpensAnUrgentCaseAndIsRelayed(t *testing.T) {
	h := newHarness(t)
	out := h.sayMedia("[@Tom] Tom: [voice 12s]")
	mustContain(t, out,
		"[@Tom] lifeline: I received your voice message", "request #1", "emergency number (120)",
		"[volunteers] lifeline: 🟠 HIGH", "Urgency unknown", "🎤 voice message — listen 0:12",
		"[volunteers] lifeline: [voice copy of @Tom#m1] #1 · 🎤 voice message — listen 0:12 · from Tom")
	if i, j := strings.Index(out, "[volunteers] lifeline: 🟠"), strings.Index(out, "[voice copy of"); i < 0 || j < i {
		t.Errorf("the voice message was not relayed after its card:\n%s", out)
	}
	c := h.caseByID(1)
	if !c.UrgencyUnknown || len(c.Media) != 1 || c.Media[0].Kind != "voice" {
		t.Errorf("case = %+v", c)
	}
}

// linkingConsole is the console platform with Telegram-style deep links.
type linkingConsole struct{ *console.Adapter }

func (linkingConsole) DeepLink(payload string) (string, bool) {
	return "https://t.me/lifeline_bot?start=" + payload, true
}

func startLink(t *testing.T, h *harness, kind byte, id int64) string {
	t.Helper()
	var p string
	if err := h.st.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		p, err = deeplink.Payload(tx, kind, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return p
}

// A deep link to a case ties its asker's private chat to it; the same
// link opened by someone else, or a forged one, reveals nothing.
func TestDeepLinkTiesTheAskersPrivateChatToTheirCase(t *testing.T) {
	h := newHarness(t)
	h.say("[intake] 王阿姨: 我妈妈透析两周没做了，需要帮助")
	payload := startLink(t, h, deeplink.Case, 1)

	out := h.say("[@Eve] Eve: /start " + payload)
	mustNotContain(t, out, "#1")
	mustContain(t, out, "Welcome to Lifeline")
	out = h.say("[@王阿姨] 王阿姨: /start c1-aaaaaaaaaaaaaaaa")
	mustNotContain(t, out, "#1")

	out = h.say("[@王阿姨] 王阿姨: /start " + payload)
	mustContain(t, out, "tied to your request #1")
	out = h.say("[@王阿姨] 王阿姨: 浦东川沙 电话13812345678")
	mustContain(t, out, "已补充到您的求助 #1")
	if c := h.caseByID(1); len(c.Phones) == 0 || c.Phones[0] != "13812345678" {
		t.Errorf("phones = %v", c.Phones)
	}
	if h.countCases() != 1 {
		t.Errorf("%d cases; the private details opened another", h.countCases())
	}
}

// poolRooms is a platform that opens rooms whose invites must be sent
// privately (a Telegram pool group) and has deep links.
type poolRooms struct {
	mu   sync.Mutex
	sent []bot.OutMessage
}

func (f *poolRooms) Name() string       { return "fake" }
func (f *poolRooms) Limits() bot.Limits { return bot.Limits{} }
func (f *poolRooms) DeepLink(p string) (string, bool) {
	return "https://t.me/lifeline_bot?start=" + p, true
}
func (f *poolRooms) Send(_ context.Context, m bot.OutMessage) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, m)
	return strconv.Itoa(len(f.sent)), nil
}
func (f *poolRooms) OpenRoom(_ context.Context, req bot.RoomRequest) (bot.Room, error) {
	inv := map[string]string{}
	for _, p := range req.Members {
		inv[p] = "https://t.me/+invite-" + bot.LocalID(p)
	}
	return bot.Room{Chat: "fake:room1", Invites: inv}, nil
}
func (f *poolRooms) CloseRoom(context.Context, bot.Room, string) error { return nil }

func (f *poolRooms) to(chat string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	for _, m := range f.sent {
		if m.Chat == chat {
			b.WriteString(m.Text + "\n")
		}
	}
	return b.String()
}

// A volunteer let into a pool room who never wrote to the bot gets the
// invite through a deep link posted in the coordination chat; nobody
// else can use that link.
func TestRoomInviteReachesAVolunteerWithoutAPrivateChatThroughADeepLink(t *testing.T) {
	h := newHarness(t, func(o *bot.Options) {
		o.Groups = append(o.Groups, bot.GroupBinding{Chat: "fake:coord", Role: store.RoleCoordination, Name: "Coord"})
	})
	f := &poolRooms{}
	h.e.AddPlatform(f)
	vol := func(text string) bot.Message {
		h.msgSeq++
		return bot.Message{Chat: "fake:coord", ID: "f" + strconv.Itoa(h.msgSeq), Sender: "fake:vol", SenderName: "Li", Text: text, Time: h.now()}
	}
	h.say("[intake] 王阿姨: 我妈妈透析两周没做了，需要帮助")
	h.handle(vol("/volunteer medical"))
	h.handle(vol("/claim 1"))
	h.handle(vol("/room 1"))
	note := f.to("fake:coord")
	payload := startLink(t, h, deeplink.Room, 1)
	if !strings.Contains(note, "https://t.me/lifeline_bot?start="+payload) {
		t.Fatalf("coordination chat got no deep link for the invite:\n%s", note)
	}
	h.handle(bot.Message{Chat: "fake:eve", Private: true, ID: "e1", Sender: "fake:eve", SenderName: "Eve", Text: "/start " + payload, Time: h.now()})
	if strings.Contains(f.to("fake:eve"), "invite-") {
		t.Errorf("a stranger got the invite: %s", f.to("fake:eve"))
	}
	h.handle(bot.Message{Chat: "fake:vol", Private: true, ID: "v1", Sender: "fake:vol", SenderName: "Li", Text: "/start " + payload, Time: h.now()})
	if got := f.to("fake:vol"); !strings.Contains(got, "https://t.me/+invite-vol") {
		t.Errorf("the volunteer got %q", got)
	}
	h.handle(bot.Message{Chat: "fake:vol", Private: true, ID: "v2", Sender: "fake:vol", SenderName: "Li", Text: "/start " + payload, Time: h.now()})
	if got := f.to("fake:vol"); strings.Count(got, "invite-vol") != 1 {
		t.Errorf("the invite went out twice: %q", got)
	}
}
