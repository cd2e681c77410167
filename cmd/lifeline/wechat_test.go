package main

import (
	"fmt"
	"io"
	"regexp"
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
	deadline := time.Now().Add(45 * time.Second) // a loaded 2-core machine under -race
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

// A WeChat-only team names its first admin with the one-time code the bot
// prints at start: the configured admin can never match (WeChat ids are
// given on first contact), a stranger's guesses are refused, and the code
// itself never goes into a chat.
func TestWeChatFirstAdminClaimsWithTheCode(t *testing.T) {
	srv := wechattest.New("Lifeline")
	t.Cleanup(srv.Close)
	srv.PollWait = 200 * time.Millisecond
	srv.AddFriend("alice", "Alice")
	srv.AddFriend("mallory", "Alice")
	srv.AddGroup("g1", "浦东互助1群", "alice", "mallory")
	srv.AddGroup("coord", "志愿者协调群", "alice")
	yaml := fmt.Sprintf(`
data_dir: %s
admins: ["wechat:协调员老张"]
platforms:
  console: {enabled: false}
  wechat: {enabled: true, endpoint: %q, min_gap: 1ms, max_gap: 2ms}
groups:
  - {chat: "wechat:浦东互助1群", role: intake}
`, t.TempDir(), srv.URL())
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	var terminal, errOut syncBuffer
	startApp(t, cfg, appIO{in: strings.NewReader(""), out: &terminal, errOut: &errOut})
	deadline := time.Now().Add(45 * time.Second) // a loaded 2-core machine under -race
	code := regexp.MustCompile(`/admin ([0-9A-Z]{8})`)
	var m []string
	for m == nil {
		if time.Now().After(deadline) {
			t.Fatalf("no claim code on the terminal:\n%s", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
		m = code.FindStringSubmatch(errOut.String())
	}
	if !strings.Contains(errOut.String(), "No admin on wechat yet") {
		t.Errorf("the terminal does not say what the code is for:\n%s", errOut.String())
	}
	for srv.Logins() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the bot never logged in to the fake WeChat")
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitFor := func(id, want string) {
		t.Helper()
		for {
			for _, s := range srv.SentTo(id) {
				if strings.Contains(s.Text, want) {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never got %q; sent: %+v", id, want, srv.Sent())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// The stranger guesses, in private and in a group.
	srv.PushText("mallory", "/admin AAAAAAAA")
	waitFor("mallory", "验证码无效")
	srv.PushGroupText("g1", "mallory", "/admin BBBBBBBB", false)
	// The real admin claims it privately, once.
	srv.PushText("alice", "/admin "+strings.ToLower(m[1]))
	waitFor("alice", "现在是本机器人的管理员")
	srv.PushText("mallory", "/admin "+m[1])
	for n := 0; ; n++ {
		if time.Now().After(deadline) {
			t.Fatal("the second try of the code was not answered")
		}
		count := 0
		for _, s := range srv.SentTo("mallory") {
			if strings.Contains(s.Text, "验证码无效") {
				count++
			}
		}
		if count >= 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Her admin works: she sets up the coordination group.
	srv.PushGroupText("coord", "alice", "/bind coordination", false)
	waitFor("coord", "志愿者协调群")
	for _, s := range srv.Sent() {
		if strings.Contains(strings.ToUpper(s.Text), m[1]) {
			t.Errorf("the code went into a chat: %+v", s)
		}
	}
	if len(srv.SentTo("g1")) != 0 {
		t.Errorf("the bot answered in the intake group: %+v", srv.SentTo("g1"))
	}
}
