package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/adapters/wechat/wechattest"
	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
)

// The same engine behaviour on WeChat, through the fake WeChat web
// server: a private voice note is answered and relayed (downloaded and
// uploaded again) to the coordination group after its card; a group
// picture with a plea caption is impossible on WeChat (pictures carry no
// caption), so a private picture is relayed the same way; a location sent
// after a plea reaches the coordination group with coordinates converted
// from WeChat's GCJ-02 and a map link.
func TestWeChatVoiceImageAndLocationReachTheVolunteers(t *testing.T) {
	srv := wechattest.New("Lifeline")
	t.Cleanup(srv.Close)
	srv.PollWait = 200 * time.Millisecond
	srv.AddFriend("alice", "Alice")
	srv.AddFriend("bob", "Bob")
	srv.AddFriend("carol", "Carol")
	srv.AddGroup("g1", "浦东互助1群", "alice", "carol")
	srv.AddGroup("coord", "志愿者协调群", "bob", "carol")
	yaml := fmt.Sprintf(`
data_dir: %s
platforms:
  console: {enabled: false}
  wechat: {enabled: true, endpoint: %q, min_gap: 1ms, max_gap: 2ms}
groups:
  - {chat: "wechat:浦东互助1群", role: intake}
  - {chat: "wechat:志愿者协调群", role: coordination}
ocr: {engine: none}
`, t.TempDir(), srv.URL())
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	startQuiet(t, cfg)
	waitFor(t, func() (int, bool) { return srv.Logins(), srv.Logins() > 0 })

	sent := func(to string, ok func(wechattest.Sent) bool) wechattest.Sent {
		t.Helper()
		return waitFor(t, func() (wechattest.Sent, bool) {
			for _, s := range srv.SentTo(to) {
				if ok(s) {
					return s, true
				}
			}
			return wechattest.Sent{}, false
		})
	}
	has := func(want ...string) func(wechattest.Sent) bool {
		return func(s wechattest.Sent) bool {
			for _, w := range want {
				if !strings.Contains(s.Text, w) {
					return false
				}
			}
			return true
		}
	}

	voice := []byte("ID3 fake mp3 voice note")
	srv.PushVoice("", "alice", voice, 7*time.Second)
	sent("alice", has("已收到您的语音消息", "#1"))
	sent("coord", has("求助 #1", "紧急程度未知"))
	relayed := sent("coord", func(s wechattest.Sent) bool { return s.Kind == "file" && bytes.Equal(s.Data, voice) })
	if relayed.FileName == "" {
		t.Errorf("voice relayed without a name: %+v", relayed)
	}

	jpeg := append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte("x"), 64)...)
	srv.PushImage("", "alice", jpeg, 640, 480)
	sent("alice", has("已把您的图片转给负责求助 #1 的志愿者"))
	sent("coord", func(s wechattest.Sent) bool { return s.Kind == "image" && bytes.Equal(s.Data, jpeg) })

	srv.PushText("bob", "我爸爸突然昏迷不醒，叫不到救护车，快来人")
	sent("coord", has("求助 #2", "危急"))
	srv.PushLocation("", "bob", 31.22858, 121.47813, "人民广场")
	note := waitFor(t, func() (wechattest.Sent, bool) {
		for _, s := range srv.SentTo("coord") {
			if strings.Contains(s.Text, "📍") {
				return s, true
			}
		}
		return wechattest.Sent{}, false
	})
	// WeChat's GCJ-02 position, converted to WGS-84 for the map link.
	if !strings.Contains(note.Text, "31.230") || !strings.Contains(note.Text, "121.473") || !strings.Contains(note.Text, "openstreetmap.org") {
		t.Errorf("location note = %q", note.Text)
	}
	if len(srv.SentTo("g1")) != 0 {
		t.Errorf("the bot posted in the intake group: %+v", srv.SentTo("g1"))
	}
}
