package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/adapters/telegram/telegramtest"
	"github.com/lifeline-aid/lifeline/adapters/wechat/wechattest"
	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
)

// When the bot is kicked from the only coordination chat, the alert cannot
// be delivered and /readyz turns 503 naming that chat.
func TestReadyzTurnsUnreadyWhenTheCoordinationChatIsUnreachable(t *testing.T) {
	srv := telegramtest.NewServer(t)
	cfg, err := config.Parse(fmt.Appendf(nil, `
data_dir: %s
language: en
platforms:
  console: {enabled: false}
  telegram: {enabled: true, token: %q, api_url: %q, rooms: none}
groups:
  - {chat: "telegram:%d", role: intake}
  - {chat: "telegram:%d", role: coordination}
http: {listen: "127.0.0.1:0"}
`, t.TempDir(), srv.Token, srv.URL, tgIntake, tgCoordination))
	if err != nil {
		t.Fatal(err)
	}
	addr := make(chan net.Addr, 1)
	startApp(t, cfg, appIO{in: strings.NewReader(""), out: io.Discard, errOut: io.Discard, httpReady: func(a net.Addr) { addr <- a }})
	readyz := "http://" + (<-addr).String() + "/readyz"
	if code, body := httpGet(t, readyz); !strings.Contains(body, "ok    coordination") {
		t.Errorf("before: %d\n%s", code, body)
	}

	want := fmt.Sprintf("FAIL  coordination: unreachable: telegram:%d", tgCoordination)
	srv.Fail(telegramtest.Failure{Chat: tgCoordination, Code: 403, Description: "Forbidden: bot was kicked from the supergroup chat"})
	srv.Push(groupMessage(1, tgIntake, 555, "Grandma collapsed and is unconscious, not breathing, 3 Elm Road"))
	body := waitFor(t, func() (string, bool) {
		code, body := httpGet(t, readyz)
		// Other checks may fail first (the platform still starting): wait
		// for the coordination chat's own line.
		return body, code == http.StatusServiceUnavailable && strings.Contains(body, want)
	})
	if !strings.Contains(body, want) {
		t.Errorf("/readyz:\n%s\nwant a line %q", body, want)
	}
}

// webhook records the notices posted to it.
type webhook struct {
	*httptest.Server
	mu      sync.Mutex
	notices []map[string]string
}

func newWebhook(t *testing.T) *webhook {
	w := &webhook{}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var n map[string]string
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		w.mu.Lock()
		w.notices = append(w.notices, n)
		w.mu.Unlock()
	}))
	t.Cleanup(w.Close)
	return w
}

// wait returns the first notice containing substr, waiting long enough
// for a busy 2-core machine building the triage engine under -race.
func (w *webhook) wait(t *testing.T, substr string) map[string]string {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if n, ok := w.find(substr); ok {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("no notice saying %q; notices: %v", substr, w.all())
		}
	}
}

func (w *webhook) all() []map[string]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]map[string]string(nil), w.notices...)
}

func (w *webhook) find(substr string) (map[string]string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, n := range w.notices {
		if strings.Contains(n["text"], substr) {
			return n, true
		}
	}
	return nil, false
}

// A WeChat-only team hears through the webhook that the bot started and
// that WeChat needs a QR scan — without the login link, which a public
// push topic must not carry.
func TestWeChatOnlyTeamIsToldThroughTheWebhook(t *testing.T) {
	hook := newWebhook(t)
	srv := wechattest.New("Lifeline")
	t.Cleanup(srv.Close)
	srv.PollWait = 200 * time.Millisecond
	srv.AddFriend("alice", "Alice")
	srv.AddGroup("coord", "志愿者协调群", "alice")
	cfg, err := config.Parse(fmt.Appendf(nil, `
data_dir: %s
platforms:
  console: {enabled: false}
  wechat: {enabled: true, endpoint: %q, min_gap: 1ms, max_gap: 2ms}
groups:
  - {chat: "wechat:志愿者协调群", role: coordination}
notify: {webhook_url: %q}
`, t.TempDir(), srv.URL(), hook.URL+"/hook"))
	if err != nil {
		t.Fatal(err)
	}
	var terminal syncBuffer
	startApp(t, cfg, appIO{in: strings.NewReader(""), out: &terminal, errOut: io.Discard})
	if n := hook.wait(t, "started"); n["level"] != "info" {
		t.Errorf("start notice %v", n)
	}
	// Logged in and polling (contacts loaded), as the adapter's own tests
	// wait before expiring the session.
	for deadline := time.Now().Add(90 * time.Second); srv.Logins() == 0 || srv.Requests("synccheck") < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the bot never logged in and polled")
		}
	}
	srv.SetPushLogin(false)
	srv.ExpireSessionWith("1102")
	// A re-login goes through a failed sync, a failed hot login and a
	// refused push login first.
	n := hook.wait(t, "WeChat needs a fresh login")
	if n["level"] != "critical" || !strings.Contains(n["text"], "docker logs") {
		t.Errorf("login notice %v", n)
	}
	if strings.Contains(n["text"], "http") {
		t.Errorf("the login link went to the webhook: %q", n["text"])
	}
}
