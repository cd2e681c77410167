package telegram

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/lifeline-aid/lifeline/adapters/telegram/telegramtest"
	"github.com/lifeline-aid/lifeline/bot"
)

// pushAndGet pushes one update and returns what reached the engine for it
// (nil when nothing did).
func pushAndGet(t *testing.T, srv *telegramtest.Server, a *Adapter, rec *recorder, push func() int64) *bot.Message {
	t.Helper()
	before := len(rec.handled())
	id := push()
	waitFor(t, "update handled", func() bool { return a.LastHandled() >= id })
	got := rec.handled()[before:]
	switch len(got) {
	case 0:
		return nil
	case 1:
		return &got[0]
	}
	t.Fatalf("engine got %d messages for one update: %+v", len(got), got)
	return nil
}

func TestMediaLocationContactForwardMapping(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, nil)
	rec := &recorder{}
	start(t, a, rec)
	group := telegramtest.Group(-1001000000001, "浦东互助1群")
	forum := telegramtest.Forum(-1001000000002, "Volunteers")
	ann := telegramtest.User(7, "Ann")
	bob := telegramtest.User(8, "Bob")
	private := telegramtest.Private(ann)
	at := time.Unix(1700000000, 0)
	channel := models.Chat{ID: -1009999, Type: models.ChatTypeChannel, Title: "浦东通报"}

	photoData := bytes.Repeat([]byte("p"), 4000)

	tests := []struct {
		name string
		push func() models.Update
		want func(u models.Update) *bot.Message
	}{
		{"voice", func() models.Update { return srv.PushVoice(private, ann, []byte("OggS voice"), 12*time.Second) }, func(u models.Update) *bot.Message {
			return &bot.Message{Chat: "telegram:7", Private: true, ChatName: "Ann", Sender: "telegram:7", SenderName: "Ann",
				Media: []bot.Media{{Kind: bot.MediaVoice, Ref: u.Message.Voice.FileID, MIME: "audio/ogg", Size: 10, Duration: 12 * time.Second}}}
		}},
		{"photo: largest size, caption as text", func() models.Update { return srv.PushPhoto(group, ann, photoData, "我妈妈的药单 <急>") }, func(u models.Update) *bot.Message {
			big := u.Message.Photo[1]
			return &bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", Text: "我妈妈的药单 <急>",
				Media: []bot.Media{{Kind: bot.MediaPhoto, Ref: big.FileID, MIME: "image/jpeg", Size: 4000, Width: 720, Height: 1280}}}
		}},
		{"document", func() models.Update {
			return srv.PushDocument(group, ann, "处方.pdf", "application/pdf", []byte("%PDF"), "")
		}, func(u models.Update) *bot.Message {
			return &bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann",
				Media: []bot.Media{{Kind: bot.MediaDocument, Ref: u.Message.Document.FileID, MIME: "application/pdf", Name: "处方.pdf", Size: 4}}}
		}},
		{"video note", func() models.Update {
			return srv.PushMedia(private, ann, "", func(m *models.Message) {
				m.VideoNote = &models.VideoNote{FileID: "VN1", Length: 240, Duration: 9, FileSize: 300}
			})
		}, func(u models.Update) *bot.Message {
			return &bot.Message{Chat: "telegram:7", Private: true, ChatName: "Ann", Sender: "telegram:7", SenderName: "Ann",
				Media: []bot.Media{{Kind: bot.MediaVideo, Ref: "VN1", MIME: "video/mp4", Size: 300, Duration: 9 * time.Second, Width: 240, Height: 240}}}
		}},
		{"audio", func() models.Update {
			return srv.PushMedia(private, ann, "", func(m *models.Message) {
				m.Audio = &models.Audio{FileID: "AU1", Duration: 30, Performer: "Ann", Title: "求助", MimeType: "audio/mpeg"}
			})
		}, func(u models.Update) *bot.Message {
			return &bot.Message{Chat: "telegram:7", Private: true, ChatName: "Ann", Sender: "telegram:7", SenderName: "Ann",
				Media: []bot.Media{{Kind: bot.MediaAudio, Ref: "AU1", MIME: "audio/mpeg", Name: "Ann 求助", Duration: 30 * time.Second}}}
		}},
		{"location", func() models.Update { return srv.PushLocation(private, ann, 31.23, 121.47) }, func(models.Update) *bot.Message {
			return &bot.Message{Chat: "telegram:7", Private: true, ChatName: "Ann", Sender: "telegram:7", SenderName: "Ann",
				Location: &bot.Location{Lat: 31.23, Lon: 121.47}}
		}},
		{"venue", func() models.Update {
			return srv.PushMedia(group, ann, "", func(m *models.Message) {
				m.Venue = &models.Venue{Location: models.Location{Latitude: 31.19, Longitude: 121.7}, Title: "川沙医院", Address: "川沙路 1 号"}
				m.Location = &m.Venue.Location
			})
		}, func(models.Update) *bot.Message {
			return &bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann",
				Location: &bot.Location{Lat: 31.19, Lon: 121.7, Title: "川沙医院", Address: "川沙路 1 号"}}
		}},
		{"own contact from the share-phone button", func() models.Update { return srv.PushContact(private, ann, "+8613812345678", "Ann", 7) }, func(models.Update) *bot.Message {
			return &bot.Message{Chat: "telegram:7", Private: true, ChatName: "Ann", Sender: "telegram:7", SenderName: "Ann",
				Contact: &bot.Contact{Phone: "+8613812345678", Name: "Ann", Person: "telegram:7"}}
		}},
		{"contact not on Telegram", func() models.Update { return srv.PushContact(group, ann, "13900000000", "王阿姨", 0) }, func(models.Update) *bot.Message {
			return &bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann",
				Contact: &bot.Contact{Phone: "13900000000", Name: "王阿姨"}}
		}},
		{"forward from a person", func() models.Update {
			return srv.PushForward(group, ann, "救命 我爸心梗", telegramtest.ForwardFromUser(bob, at))
		}, func(models.Update) *bot.Message {
			return &bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", Text: "救命 我爸心梗",
				Forward: &bot.Forward{From: "telegram:8", FromName: "Bob", At: at}}
		}},
		{"forward from a hidden account", func() models.Update {
			return srv.PushForward(private, ann, "need insulin", telegramtest.ForwardFromHidden("Zhang San", at))
		}, func(models.Update) *bot.Message {
			return &bot.Message{Chat: "telegram:7", Private: true, ChatName: "Ann", Sender: "telegram:7", SenderName: "Ann", Text: "need insulin",
				Forward: &bot.Forward{FromName: "Zhang San", At: at}}
		}},
		{"forward from a channel", func() models.Update {
			return srv.PushForward(group, ann, "川沙停水通知", telegramtest.ForwardFromChannel(channel, 55, at))
		}, func(models.Update) *bot.Message {
			return &bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", Text: "川沙停水通知",
				Forward: &bot.Forward{FromName: "浦东通报", Chat: "telegram:-1009999", At: at}}
		}},
		{"forward from a group speaking as itself", func() models.Update {
			return srv.PushForward(group, ann, "集合", telegramtest.ForwardFromChat(telegramtest.Group(-1003, "楼栋群"), at))
		}, func(models.Update) *bot.Message {
			return &bot.Message{Chat: "telegram:-1001000000001", ChatName: "浦东互助1群", Sender: "telegram:7", SenderName: "Ann", Text: "集合",
				Forward: &bot.Forward{FromName: "楼栋群", Chat: "telegram:-1003", At: at}}
		}},
		{"a topic message is no reply", func() models.Update {
			m := srv.NewMessage(forum, ann, "on my way")
			m.IsTopicMessage, m.MessageThreadID = true, 1001
			m.ReplyToMessage = &models.Message{ID: 1001, Chat: forum, ForumTopicCreated: &models.ForumTopicCreated{Name: "#1"}}
			u := models.Update{Message: m}
			u.ID = srv.Push(u)
			return u
		}, func(models.Update) *bot.Message {
			return &bot.Message{Chat: "telegram:-1001000000002", ChatName: "Volunteers", Sender: "telegram:7", SenderName: "Ann", Text: "on my way", Thread: "1001"}
		}},
		{"a poll carries nothing", func() models.Update {
			return srv.PushMedia(group, ann, "", func(m *models.Message) { m.Poll = &models.Poll{ID: "p", Question: "lunch?"} })
		}, func(models.Update) *bot.Message { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var u models.Update
			got := pushAndGet(t, srv, a, rec, func() int64 { u = tt.push(); return u.ID })
			want := tt.want(u)
			if want == nil || got == nil {
				if want != got {
					t.Fatalf("got %+v, want %+v", got, want)
				}
				return
			}
			want.ID = strconv.Itoa(u.Message.ID)
			got.Time = time.Time{}
			if !reflect.DeepEqual(*got, *want) {
				t.Errorf("got  %+v\nwant %+v", *got, *want)
			}
		})
	}

	t.Run("a live location reaches the engine at most every few minutes", func(t *testing.T) {
		u := srv.PushMedia(private, ann, "", func(m *models.Message) {
			m.Location = &models.Location{Latitude: 31.1, Longitude: 121.1, LivePeriod: 3600}
		})
		waitFor(t, "live location", func() bool { return a.LastHandled() >= u.ID })
		var handled int
		for i := range 3 {
			e := *u.Message
			e.Location = &models.Location{Latitude: 31.1 + float64(i+1)/1000, Longitude: 121.1, LivePeriod: 3600}
			e.EditDate = e.Date + i + 1
			id := srv.Push(models.Update{EditedMessage: &e})
			waitFor(t, "edit handled", func() bool { return a.LastHandled() >= id })
		}
		for _, m := range rec.handled() {
			if m.ID == strconv.Itoa(u.Message.ID) && m.Chat == "telegram:7" {
				handled++
			}
		}
		if handled != 2 {
			t.Errorf("engine got %d positions of one live location within seconds, want 2 (the pin and one update)", handled)
		}
	})
}

func TestSendAttachmentUploadsFileWithEscapedCaption(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, nil)
	dir := t.TempDir()
	xlsx := filepath.Join(dir, "export.xlsx")
	content := []byte("PK\x03\x04 fake xlsx bytes")
	if err := os.WriteFile(xlsx, content, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kind   bot.MediaKind
		method string
	}{
		{bot.MediaDocument, "sendDocument"},
		{bot.MediaPhoto, "sendPhoto"},
		{bot.MediaVoice, "sendVoice"},
		{bot.MediaAudio, "sendAudio"},
		{bot.MediaVideo, "sendVideo"},
		{"", "sendDocument"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			id, err := a.Send(t.Context(), bot.OutMessage{Chat: "telegram:-1001000000002", Text: "cases <b>& notes",
				Attachment: &bot.Attachment{Kind: tt.kind, Path: xlsx, Name: "案例.xlsx"},
				Buttons:    [][]bot.Button{{{Label: "Claim", Data: "/claim 1"}}}})
			if err != nil {
				t.Fatal(err)
			}
			sent := srv.Sent()
			m := sent[len(sent)-1]
			if strconv.Itoa(m.MessageID) != id || m.File == nil || m.File.Method != tt.method || m.File.Name != "案例.xlsx" ||
				!bytes.Equal(m.File.Data, content) || m.Text != "cases <b>& notes" || len(m.Keyboard) != 1 {
				t.Errorf("recorded %+v (file %+v), id %s", m, m.File, id)
			}
		})
	}

	t.Run("long caption is split", func(t *testing.T) {
		long := strings.Repeat("第一段很长的文字。\n", 200)
		before := len(srv.Sent())
		_, err := a.Send(t.Context(), bot.OutMessage{Chat: "telegram:-1001000000002", Text: long,
			Attachment: &bot.Attachment{Kind: bot.MediaDocument, Path: xlsx}})
		if err != nil {
			t.Fatal(err)
		}
		sent := srv.Sent()[before:]
		if len(sent) != 2 || sent[0].File == nil || sent[1].File != nil {
			t.Fatalf("sent %d messages, want the file and one text", len(sent))
		}
		if units(sent[0].Text) > 1024 || sent[0].File.Name != "export.xlsx" {
			t.Errorf("caption of %d units, file name %q", units(sent[0].Text), sent[0].File.Name)
		}
		if got := strings.ReplaceAll(sent[0].Text+"\n"+sent[1].Text, "\n", ""); got != strings.ReplaceAll(long, "\n", "") {
			t.Errorf("split lost text")
		}
	})

	t.Run("a file that is gone is a permanent failure of the message", func(t *testing.T) {
		_, err := a.Send(t.Context(), bot.OutMessage{Chat: "telegram:-1001000000002", Text: "x",
			Attachment: &bot.Attachment{Kind: bot.MediaDocument, Path: filepath.Join(dir, "missing.xlsx")}})
		if !errors.Is(err, bot.ErrPermanent) || errors.Is(err, bot.ErrUnreachable) {
			t.Errorf("err = %v, want permanent but not unreachable", err)
		}
	})

	t.Run("a photo Telegram refuses goes as a document", func(t *testing.T) {
		srv.Fail(telegramtest.Failure{Method: "sendPhoto", Code: 400, Description: "Bad Request: PHOTO_INVALID_DIMENSIONS", Times: 1})
		_, err := a.Send(t.Context(), bot.OutMessage{Chat: "telegram:-1001000000002", Text: "scan",
			Attachment: &bot.Attachment{Kind: bot.MediaPhoto, Path: xlsx}})
		if err != nil {
			t.Fatal(err)
		}
		sent := srv.Sent()
		if m := sent[len(sent)-1]; m.File == nil || m.File.Method != "sendDocument" {
			t.Errorf("sent %+v", m)
		}
	})
}

func TestSendCopyRelaysAnAskersVoice(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, nil)
	ann := telegramtest.User(7, "Ann")
	u := srv.PushVoice(telegramtest.Private(ann), ann, []byte("OggS"), 5*time.Second)
	id, err := a.Send(t.Context(), bot.OutMessage{Chat: "telegram:-1002222222222", Text: "#12 语音求助 — 请收听",
		Attachment: &bot.Attachment{Kind: bot.MediaVoice, CopyOf: &bot.MessageRef{Chat: "telegram:7", ID: strconv.Itoa(u.Message.ID)}},
		Buttons:    [][]bot.Button{{{Label: "认领", Data: "/claim 12"}}}})
	if err != nil {
		t.Fatal(err)
	}
	m := srv.SentTo(-1002222222222)[0]
	if strconv.Itoa(m.MessageID) != id || m.CopyOf == nil || *m.CopyOf != (telegramtest.MessageRef{Chat: 7, MessageID: u.Message.ID}) ||
		m.Text != "#12 语音求助 — 请收听" || len(m.Keyboard) != 1 {
		t.Errorf("recorded %+v", m)
	}

	// The card under the voice note is refreshed through its caption.
	if _, err := a.Send(t.Context(), bot.OutMessage{Chat: "telegram:-1002222222222", Text: "#12 语音求助 — 已认领", EditOf: id}); err != nil {
		t.Fatal(err)
	}
	if got, _ := srv.Message(-1002222222222, m.MessageID); got.Text != "#12 语音求助 — 已认领" {
		t.Errorf("after the edit the caption is %q", got.Text)
	}

	_, err = a.Send(t.Context(), bot.OutMessage{Chat: "telegram:-1002222222222", Text: "x",
		Attachment: &bot.Attachment{CopyOf: &bot.MessageRef{Chat: "telegram:7", ID: "99999"}}})
	if !errors.Is(err, bot.ErrPermanent) {
		t.Errorf("copy of a missing message: %v, want permanent", err)
	}
}

func TestSendReplyKeyboard(t *testing.T) {
	srv := telegramtest.NewServer(t)
	srv.SetLimits(telegramtest.Limits{})
	a := newAdapter(t, srv, nil)
	_, err := a.Send(t.Context(), bot.OutMessage{Chat: "telegram:7", Text: "请告诉志愿者怎么联系您",
		Keyboard: &bot.ReplyKeyboard{SharePhone: "📞 发送我的电话", ShareLocation: "📍 发送我的位置"}})
	if err != nil {
		t.Fatal(err)
	}
	m := srv.SentTo(7)[0]
	want := [][]telegramtest.KeyButton{{{Text: "📞 发送我的电话", RequestContact: true}}, {{Text: "📍 发送我的位置", RequestLocation: true}}}
	if !reflect.DeepEqual(m.ReplyKeyboard, want) {
		t.Errorf("keyboard %+v, want %+v", m.ReplyKeyboard, want)
	}
	if _, err := a.Send(t.Context(), bot.OutMessage{Chat: "telegram:7", Text: "收到", Keyboard: &bot.ReplyKeyboard{Remove: true}}); err != nil {
		t.Fatal(err)
	}
	if m := srv.SentTo(7)[1]; !m.RemoveKeyboard {
		t.Errorf("keyboard not removed: %+v", m)
	}
	// A group cannot have contact buttons: the text still goes out.
	if _, err := a.Send(t.Context(), bot.OutMessage{Chat: "telegram:-1001", Text: "hi", Keyboard: &bot.ReplyKeyboard{SharePhone: "phone"}}); err != nil {
		t.Fatalf("keyboard in a group: %v", err)
	}
	if m := srv.SentTo(-1001)[0]; m.ReplyKeyboard != nil || m.Text != "hi" {
		t.Errorf("group message %+v", m)
	}
}

func TestFetchMediaHonoursTheLimit(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, nil)
	ann := telegramtest.User(7, "Ann")
	data := bytes.Repeat([]byte("v"), 5000)
	u := srv.PushVoice(telegramtest.Private(ann), ann, data, 3*time.Second)
	m := mediaOf(u.Message)[0]
	got, err := a.FetchMedia(t.Context(), m, 1<<20)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("fetch: %d bytes, %v", len(got), err)
	}
	// The size the message declared already rules it out.
	if _, err := a.FetchMedia(t.Context(), m, 4999); !errors.Is(err, ErrTooLarge) || !errors.Is(err, bot.ErrPermanent) {
		t.Errorf("over the limit by the declared size: %v", err)
	}
	// A size not declared is checked on getFile's answer.
	m.Size = 0
	if _, err := a.FetchMedia(t.Context(), m, 4999); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit by getFile: %v", err)
	}
	if _, err := a.FetchMedia(t.Context(), bot.Media{Kind: bot.MediaVoice, Ref: "nope"}, 1<<20); !errors.Is(err, bot.ErrPermanent) {
		t.Errorf("unknown file: %v", err)
	}
	srv.Outage(502, time.Minute)
	_, err = a.FetchMedia(t.Context(), m, 1<<20)
	if err == nil || errors.Is(err, bot.ErrPermanent) || containsToken(err.Error(), srv.Token) {
		t.Errorf("during an outage: %v, want a retryable error without the token", err)
	}
}

func TestDeepLink(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, nil)
	tests := []struct {
		payload, want string
		ok            bool
	}{
		{"case-42_r", "https://t.me/lifeline_test_bot?start=case-42_r", true},
		{strings.Repeat("a", 64), "https://t.me/lifeline_test_bot?start=" + strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), "", false},
		{"", "", false},
		{"case 42", "", false},
		{"案例42", "", false},
		{"a&b=c", "", false},
	}
	for _, tt := range tests {
		got, ok := a.DeepLink(tt.payload)
		if got != tt.want || ok != tt.ok {
			t.Errorf("DeepLink(%q) = %q, %v; want %q, %v", tt.payload, got, ok, tt.want, tt.ok)
		}
	}
}

func TestStatusFollowsPolling(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, nil)
	if st := a.Status(); st.Up {
		t.Errorf("up before Run: %+v", st)
	}
	start(t, a, &recorder{})
	waitFor(t, "up", func() bool { return a.Status().Up })
	first := a.Status().LastUpdate

	srv.Outage(502, 3*time.Second)
	waitFor(t, "down during a 502 outage", func() bool { return !a.Status().Up })
	if d := a.Status().Detail; !strings.Contains(d, "502") {
		t.Errorf("detail %q does not say what Telegram answered", d)
	}
	waitWithin(t, 15*time.Second, "up after the outage", func() bool { return a.Status().Up })
	if !a.Status().LastUpdate.After(first) {
		t.Errorf("last update did not move on")
	}

	srv.Down()
	waitFor(t, "down while the network is gone", func() bool { return !a.Status().Up })
	if d := a.Status().Detail; !strings.Contains(d, "cannot reach Telegram") || containsToken(d, srv.Token) {
		t.Errorf("detail %q", d)
	}
	if err := srv.Up(); err != nil {
		t.Fatal(err)
	}
	waitWithin(t, 15*time.Second, "up after the network came back", func() bool { return a.Status().Up })
}

func TestStatusSaysTheTokenWasRevoked(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, nil)
	srv.Fail(telegramtest.Failure{Method: "getUpdates", Code: 401, Description: "Unauthorized"})
	err := a.Run(t.Context(), &recorder{})
	if err == nil {
		t.Fatal("Run went on with a revoked token")
	}
	// Run has returned: the status says stopped, and the log said why.
	if st := a.Status(); st.Up {
		t.Errorf("status %+v", st)
	}
}

func TestSetMenusPerScope(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, func(o *Options) { o.MenuChats = []string{"telegram:-1002222222222"} })
	if err := a.SetCommands(t.Context()); err != nil {
		t.Fatal(err)
	}
	err := a.SetMenus(t.Context(), bot.Menus{
		Private: []bot.MenuItem{{Command: "start", Description: "求助"}},
		Chats: map[string][]bot.MenuItem{
			"telegram:-1002222222222": {{Command: "/claim", Description: "认领"}, {Command: "cases", Description: "案例"}},
			"wechat:志愿者协调群":           {{Command: "claim", Description: "not telegram"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	names := func(cmds []models.BotCommand) []string {
		var out []string
		for _, c := range cmds {
			out = append(out, c.Command)
		}
		return out
	}
	checks := []struct {
		scope string
		chat  int64
		lang  string
		want  []string
	}{
		{"all_private_chats", 0, "", []string{"start"}},
		{"all_private_chats", 0, "zh", nil},
		{"all_group_chats", 0, "", nil},
		{"all_group_chats", 0, "zh", nil},
		{"chat", -1002222222222, "", []string{"claim", "cases"}},
		{"chat", -1002222222222, "zh", nil},
	}
	for _, c := range checks {
		if got := names(srv.Menu(c.scope, c.chat, c.lang)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %d %q: %v, want %v", c.scope, c.chat, c.lang, got, c.want)
		}
	}
	// After the engine set its menus, the built-in ones never come back.
	if err := a.SetCommands(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := names(srv.Menu("all_private_chats", 0, "zh")); got != nil {
		t.Errorf("built-in menu republished over the engine's: %v", got)
	}
}
