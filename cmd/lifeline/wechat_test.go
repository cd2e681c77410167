package main

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/adapters/wechat/wechattest"
	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
)

// The whole bot configured for WeChat with platforms.wechat.endpoint
// pointing at a fake WeChat web server on loopback: it logs in, and an
// urgent plea in a WeChat intake group alerts the WeChat coordination group.
func TestWeChatEndToEndThroughConfig(t *testing.T) {
	srv := wechattest.New("Lifeline")
	t.Cleanup(srv.Close)
	srv.PollWait = 200 * time.Millisecond
	srv.AddFriend("alice", "Alice")
	srv.AddFriend("carol", "Carol")
	srv.AddGroup("g1", "浦东互助1群", "alice", "carol")
	srv.AddGroup("coord", "志愿者协调群", "alice", "carol")
	yaml := fmt.Sprintf(`
data_dir: %s
platforms:
  console: {enabled: false}
  wechat: {enabled: true, endpoint: %q, min_gap: 1ms, max_gap: 2ms}
groups:
  - {chat: "wechat:浦东互助1群", role: intake}
  - {chat: "wechat:志愿者协调群", role: coordination}
`, t.TempDir(), srv.URL())
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	var terminal syncBuffer
	startApp(t, cfg, appIO{in: strings.NewReader(""), out: &terminal, errOut: io.Discard})
	deadline := time.Now().Add(15 * time.Second)
	for srv.Logins() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the bot never logged in to the fake WeChat")
		}
		time.Sleep(20 * time.Millisecond)
	}
	srv.PushGroupText("g1", "alice", "我妈妈心脏病发作，胸口剧痛喘不上气，叫不到救护车，浦东川沙，电话13812345678", false)
	for {
		var alert string
		for _, s := range srv.SentTo("coord") {
			if strings.Contains(s.Text, "求助 #1") {
				alert = s.Text
			}
		}
		if alert != "" {
			if !strings.Contains(alert, "13812345678") || !strings.Contains(alert, "/claim 1") {
				t.Errorf("alert card = %q", alert)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no alert in the coordination group; sent: %+v", srv.Sent())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(srv.SentTo("g1")) != 0 {
		t.Errorf("the bot posted in the intake group: %+v", srv.SentTo("g1"))
	}
	if !strings.Contains(terminal.String(), "http") {
		t.Errorf("no login QR/URL printed on the terminal: %q", terminal.String())
	}
}
