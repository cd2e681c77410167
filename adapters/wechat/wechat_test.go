package wechat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/adapters/wechat/wechattest"
	"github.com/lifeline-aid/lifeline/bot"
)

// recorder is a bot.Handler that keeps what it receives.
type recorder struct {
	ch chan bot.Message
}

func newRecorder() *recorder { return &recorder{ch: make(chan bot.Message, 100)} }

func (r *recorder) HandleMessage(_ context.Context, m bot.Message) error {
	r.ch <- m
	return nil
}

func (r *recorder) next(t *testing.T) bot.Message {
	t.Helper()
	select {
	case m := <-r.ch:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message reached the handler")
		return bot.Message{}
	}
}

// syncBuffer is an io.Writer safe to read while the adapter writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type harness struct {
	t       *testing.T
	srv     *wechattest.Server
	a       *Adapter
	rec     *recorder
	qr      *syncBuffer
	logs    *syncBuffer
	cancel  context.CancelFunc
	done    chan error
	opts    Options
	notices chan string
	logins  chan string
}

// newServer is a fake WeChat with one intake group: Alice is the bot's
// friend, Bob is not.
func newServer(t *testing.T) *wechattest.Server {
	t.Helper()
	srv := wechattest.New("Lifeline")
	srv.PollWait = 200 * time.Millisecond
	srv.AddFriend("alice", "Alice")
	srv.AddFriend("carol", "Carol")
	srv.AddStranger("bob", "Bob")
	srv.AddGroup("g1", "浦东互助1群", "alice", "bob", "carol")
	srv.AddGroup("coord", "志愿者协调群", "alice", "carol")
	t.Cleanup(srv.Close)
	return srv
}

func testOptions(t *testing.T, srv *wechattest.Server) Options {
	return Options{
		SessionFile:  filepath.Join(t.TempDir(), "wechat.session"),
		Endpoint:     srv.URL(),
		MinGap:       time.Millisecond,
		MaxGap:       2 * time.Millisecond,
		State:        newMemState(),
		StartTimeout: 3 * time.Second,
	}
}

func start(t *testing.T, srv *wechattest.Server, opts Options) *harness {
	t.Helper()
	h := &harness{t: t, srv: srv, rec: newRecorder(), qr: &syncBuffer{}, logs: &syncBuffer{},
		done: make(chan error, 1), notices: make(chan string, 10), logins: make(chan string, 10)}
	opts.QROut = h.qr
	opts.Logger = slog.New(slog.NewTextHandler(io.MultiWriter(h.logs, testWriter{t}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.OnAdminNotice = func(_ context.Context, text string) { h.notices <- text }
	opts.OnLoginNeeded = func(_ context.Context, qr string) { h.logins <- qr }
	h.opts = opts
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.a = a
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- a.Run(ctx, h.rec) }()
	t.Cleanup(h.stop)
	h.waitLoggedIn()
	return h
}

func (h *harness) stop() {
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
		h.done <- nil
	case <-time.After(10 * time.Second):
		h.t.Error("Run did not stop after cancel")
	}
}

// waitLoggedIn waits until the adapter has a session with contacts loaded.
func (h *harness) waitLoggedIn() {
	h.t.Helper()
	waitFor(h.t, "login", func() bool {
		s := h.a.session()
		if s == nil {
			return false
		}
		_, ok := s.dir.group("浦东互助1群")
		return ok
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	if testing.Verbose() {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func TestQRLoginEndToEnd(t *testing.T) {
	srv := newServer(t)
	opts := testOptions(t, srv)
	h := start(t, srv, opts)
	if srv.Logins() != 1 {
		t.Fatalf("logins = %d, want 1", srv.Logins())
	}
	if !srv.Desktop() {
		t.Error("login did not use the UOS desktop mode")
	}
	out := h.qr.String()
	if !strings.Contains(out, "https://login.weixin.qq.com/qrcode/qr") {
		t.Errorf("QR URL not printed:\n%s", out)
	}
	if !strings.Contains(out, "█") {
		t.Errorf("QR code not printed as text blocks:\n%s", out)
	}
	if st, err := os.Stat(opts.SessionFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("session file not saved privately: %v %v", st, err)
	}
	h.stop()

	// A restart logs in from the session file without a new scan.
	h2 := start(t, srv, opts)
	if srv.Logins() != 1 {
		t.Errorf("restart needed a new login (logins = %d)", srv.Logins())
	}
	if !strings.Contains(h2.logs.String(), "hot login") {
		t.Errorf("no hot-login log line:\n%s", h2.logs.String())
	}
	// The session saved after a hot login still carries the cookies.
	if data, _ := os.ReadFile(opts.SessionFile); !strings.Contains(string(data), "wxsid") {
		t.Errorf("session file lost its cookies after a hot login:\n%s", data)
	}
}

func TestMessagesReachHandler(t *testing.T) {
	srv := newServer(t)
	h := start(t, srv, testOptions(t, srv))

	id := srv.PushGroupText("g1", "bob", "我妈妈透析两周没做了，浦东", false)
	m := h.rec.next(t)
	want := bot.Message{Chat: "wechat:浦东互助1群", ChatName: "浦东互助1群", ID: id,
		Sender: "wechat:浦东互助1群/Bob", SenderName: "Bob", Text: "我妈妈透析两周没做了，浦东", Kind: bot.KindText}
	m.Time = time.Time{}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("group message:\n got %+v\nwant %+v", m, want)
	}

	srv.PushOwnText("g1", "the bot's own message")
	id = srv.PushGroupText("g1", "alice", "/claim 42", true)
	m = h.rec.next(t)
	if m.ID != id || m.Sender != "wechat:LL-0001" || !m.Mentioned || m.Text != "/claim 42" || m.Private {
		t.Errorf("mention from a friend: %+v", m)
	}
	if got := srv.Remark("alice"); got != "LL-0001" {
		t.Errorf("alice's remark = %q, want LL-0001", got)
	}

	id = srv.PushText("alice", "line one\nline two")
	m = h.rec.next(t)
	if m.ID != id || m.Chat != "wechat:LL-0001" || m.Sender != "wechat:LL-0001" || !m.Private || m.Text != "line one\nline two" {
		t.Errorf("private message: %+v", m)
	}
	select {
	case extra := <-h.rec.ch:
		t.Errorf("unexpected message %+v", extra)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestRepliesGoToTheRightChat(t *testing.T) {
	srv := newServer(t)
	h := start(t, srv, testOptions(t, srv))
	srv.PushText("alice", "hello")
	h.rec.next(t)

	ctx := context.Background()
	if _, err := h.a.Send(ctx, bot.OutMessage{Chat: "wechat:浦东互助1群", Text: "收到"}); err != nil {
		t.Fatal(err)
	}
	id, err := h.a.Send(ctx, bot.OutMessage{Chat: "wechat:LL-0001", Text: "请问您在哪个小区？",
		Buttons: [][]bot.Button{{{Label: "认领", Data: "/claim 42"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if id == "" {
		t.Error("no message id returned")
	}
	sent := srv.Sent()
	if len(sent) != 2 {
		t.Fatalf("sent %d messages, want 2: %+v", len(sent), sent)
	}
	if !sent[0].Group || sent[0].ToID != "g1" || sent[0].Text != "收到" {
		t.Errorf("group reply: %+v", sent[0])
	}
	if sent[1].Group || sent[1].ToID != "alice" || !strings.Contains(sent[1].Text, "认领: /claim 42") {
		t.Errorf("private reply: %+v", sent[1])
	}

	_, err = h.a.Send(ctx, bot.OutMessage{Chat: "wechat:没有这个群", Text: "x"})
	if !errors.Is(err, bot.ErrPermanent) {
		t.Errorf("unknown group: err = %v, want permanent", err)
	}
	_, err = h.a.Send(ctx, bot.OutMessage{Chat: "wechat:浦东互助1群/Bob", Text: "x"})
	if !errors.Is(err, bot.ErrPermanent) {
		t.Errorf("non-friend member: err = %v, want permanent", err)
	}
}

func TestIdentitySurvivesRelogin(t *testing.T) {
	srv := newServer(t)
	h := start(t, srv, testOptions(t, srv))
	srv.PushGroupText("g1", "alice", "first", false)
	before := h.rec.next(t)
	oldName := srv.UserName("alice")

	srv.ExpireSession()
	waitFor(t, "a new login", func() bool { return srv.Logins() == 2 })
	h.waitLoggedIn()
	if srv.UserName("alice") == oldName {
		t.Fatal("the fake did not rotate user names")
	}

	srv.PushGroupText("g1", "alice", "second", false)
	after := h.rec.next(t)
	if after.Sender != before.Sender || after.Chat != before.Chat {
		t.Errorf("refs changed across re-login: %s %s → %s %s", before.Chat, before.Sender, after.Chat, after.Sender)
	}
	srv.PushText("alice", "private")
	if m := h.rec.next(t); m.Sender != before.Sender {
		t.Errorf("private sender %s, want %s", m.Sender, before.Sender)
	}
	if _, err := h.a.Send(context.Background(), bot.OutMessage{Chat: before.Sender, Text: "still you"}); err != nil {
		t.Fatal(err)
	}
	if s := srv.Sent(); len(s) != 1 || s[0].ToID != "alice" {
		t.Errorf("sent %+v, want one message to alice", s)
	}
	if !strings.Contains(h.logs.String(), "push login") {
		t.Errorf("re-login did not log its outcome:\n%s", h.logs.String())
	}
}

func TestReloginByQRTellsAdmins(t *testing.T) {
	srv := newServer(t)
	h := start(t, srv, testOptions(t, srv))
	srv.SetPushLogin(false)
	srv.ExpireSessionWith("1102")
	select {
	case url := <-h.logins:
		if !strings.HasPrefix(url, "https://login.weixin.qq.com/qrcode/") {
			t.Errorf("OnLoginNeeded got %q", url)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("OnLoginNeeded not called")
	}
	waitFor(t, "a new login", func() bool { return srv.Logins() == 2 })
}

func TestRenamedGroupIsReported(t *testing.T) {
	srv := newServer(t)
	h := start(t, srv, testOptions(t, srv))
	srv.RenameGroup("g1", "浦东互助一群")
	srv.ExpireSession()
	select {
	case text := <-h.notices:
		if !strings.Contains(text, "浦东互助1群") || !strings.Contains(text, "浦东互助一群") {
			t.Errorf("notice does not name both groups: %s", text)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("rename not reported")
	}
}

func TestFriendRequest(t *testing.T) {
	srv := newServer(t)
	opts := testOptions(t, srv)
	opts.AcceptFriends = true
	h := start(t, srv, opts)
	srv.PushFriendRequest("dave", "Dave", "我需要帮助")
	waitFor(t, "friend accepted", func() bool { return srv.IsFriend("dave") && srv.Remark("dave") != "" })
	srv.PushText("dave", "你好")
	if m := h.rec.next(t); m.Sender != "wechat:"+srv.Remark("dave") {
		t.Errorf("new friend's message from %s, remark %s", m.Sender, srv.Remark("dave"))
	}
}

func TestFriendRequestIgnoredByDefault(t *testing.T) {
	srv := newServer(t)
	start(t, srv, testOptions(t, srv))
	srv.PushFriendRequest("erin", "Erin", "hi")
	time.Sleep(500 * time.Millisecond)
	if srv.IsFriend("erin") {
		t.Error("friend request accepted with AcceptFriends off")
	}
}

func TestOpenRoom(t *testing.T) {
	srv := newServer(t)
	opts := testOptions(t, srv)
	opts.RoomsPerDay = 1
	h := start(t, srv, opts)
	srv.PushText("alice", "hi")
	alice := h.rec.next(t).Sender
	srv.PushText("carol", "hi")
	carol := h.rec.next(t).Sender
	ctx := context.Background()

	_, err := h.a.OpenRoom(ctx, bot.RoomRequest{Case: 41, Title: "#41 买药", Members: []string{alice, "wechat:浦东互助1群/Bob"}})
	if !errors.Is(err, ErrRoomUnavailable) || !strings.Contains(err.Error(), "not friends: wechat:浦东互助1群/Bob") {
		t.Errorf("room with one friend: err = %v", err)
	}

	room, err := h.a.OpenRoom(ctx, bot.RoomRequest{Case: 42, Title: "#42 透析 浦东", Members: []string{alice, carol}})
	if err != nil {
		t.Fatal(err)
	}
	if room.Chat != "wechat:#42 透析 浦东" {
		t.Errorf("room chat %q", room.Chat)
	}
	created := srv.Created()
	if len(created) != 1 || created[0].Topic != "#42 透析 浦东" || strings.Join(created[0].Members, ",") != "alice,carol" {
		t.Fatalf("created %+v", created)
	}
	if _, err := h.a.Send(ctx, bot.OutMessage{Chat: room.Chat, Text: "本群用于 #42"}); err != nil {
		t.Fatal(err)
	}

	_, err = h.a.OpenRoom(ctx, bot.RoomRequest{Case: 43, Title: "#43", Members: []string{alice, carol}})
	if !errors.Is(err, ErrRoomUnavailable) || !strings.Contains(err.Error(), "daily limit") {
		t.Errorf("second room of the day: err = %v", err)
	}

	srv.AddFriend("dan", "Dan")
	srv.PushText("dan", "我来帮忙")
	dan := h.rec.next(t).Sender
	if invite, err := h.a.AddToRoom(ctx, room, dan); err != nil || invite != "" {
		t.Fatalf("add to room: %q, %v", invite, err)
	}
	if got := strings.Join(srv.Members(created[0].ID), ","); got != "alice,carol,dan" {
		t.Errorf("room members %s", got)
	}
	if _, err := h.a.AddToRoom(ctx, room, "wechat:浦东互助1群/Bob"); !errors.Is(err, bot.ErrPermanent) {
		t.Errorf("adding a non-friend: err = %v", err)
	}

	if err := h.a.CloseRoom(ctx, room, "个案已解决，谢谢大家"); err != nil {
		t.Fatal(err)
	}
	if got := srv.GroupName(created[0].ID); got != "[closed] #42 透析 浦东" {
		t.Errorf("closed room named %q", got)
	}
	sent := srv.Sent()
	if last := sent[len(sent)-1]; last.ToID != created[0].ID || last.Text != "个案已解决，谢谢大家" {
		t.Errorf("closing note: %+v", last)
	}
}

func TestSendPacing(t *testing.T) {
	srv := newServer(t)
	opts := testOptions(t, srv)
	opts.MinGap, opts.MaxGap = 60*time.Millisecond, 90*time.Millisecond
	opts.HourlyCap = 5
	h := start(t, srv, opts)
	ctx := context.Background()

	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.a.Send(ctx, bot.OutMessage{Chat: "wechat:浦东互助1群", Text: "burst"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sent := srv.Sent()
	if len(sent) != 5 {
		t.Fatalf("sent %d, want 5", len(sent))
	}
	for i := 1; i < len(sent); i++ {
		if gap := sent[i].At.Sub(sent[i-1].At); gap < opts.MinGap {
			t.Errorf("gap %d = %s, below the minimum %s", i, gap, opts.MinGap)
		}
	}

	_, err := h.a.Send(ctx, bot.OutMessage{Chat: "wechat:浦东互助1群", Text: "one too many"})
	var ra *bot.RetryAfterError
	if !errors.As(err, &ra) || ra.After < 59*time.Minute || ra.After > time.Hour {
		t.Fatalf("over the hourly cap: err = %v", err)
	}

	// A cancelled context stops a send waiting in the queue.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	h.a.sendSem <- struct{}{}
	_, err = h.a.Send(cctx, bot.OutMessage{Chat: "wechat:浦东互助1群", Text: "x"})
	<-h.a.sendSem
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled send: err = %v", err)
	}
}

func TestTooOftenBacksOff(t *testing.T) {
	srv := newServer(t)
	h := start(t, srv, testOptions(t, srv))
	h.a.tooOftenBase = 200 * time.Millisecond
	ctx := context.Background()
	srv.FailSends(1205)
	_, err := h.a.Send(ctx, bot.OutMessage{Chat: "wechat:浦东互助1群", Text: "a"})
	var ra *bot.RetryAfterError
	if !errors.As(err, &ra) || ra.After <= 0 {
		t.Fatalf("ret 1205: err = %v, want RetryAfterError", err)
	}
	// Still paused: no request reaches WeChat.
	_, err = h.a.Send(ctx, bot.OutMessage{Chat: "wechat:浦东互助1群", Text: "b"})
	if !errors.As(err, &ra) {
		t.Fatalf("while paused: err = %v", err)
	}
	time.Sleep(250 * time.Millisecond)
	if _, err := h.a.Send(ctx, bot.OutMessage{Chat: "wechat:浦东互助1群", Text: "c"}); err != nil {
		t.Fatalf("after the pause: %v", err)
	}
	if n := len(srv.Sent()); n != 1 {
		t.Errorf("sent %d, want 1", n)
	}
}

func TestSessionExpiredOnSendIsRetryable(t *testing.T) {
	srv := newServer(t)
	h := start(t, srv, testOptions(t, srv))
	srv.FailSends(1101)
	_, err := h.a.Send(context.Background(), bot.OutMessage{Chat: "wechat:浦东互助1群", Text: "a"})
	var ra *bot.RetryAfterError
	if err == nil || errors.Is(err, bot.ErrPermanent) || errors.As(err, &ra) {
		t.Fatalf("err = %v, want a plain retryable error", err)
	}
	// The server still knows the session, so a hot login brings it back.
	waitFor(t, "re-login after the send failed", func() bool { return srv.Inits() == 2 })
}

func TestNoNetworkFailsFast(t *testing.T) {
	// A closed port: connection refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()

	// A port that accepts and never answers.
	hole, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hole.Close()
	go func() {
		for {
			c, err := hole.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()

	for _, endpoint := range []string{closed, "http://" + hole.Addr().String()} {
		a, err := New(Options{SessionFile: filepath.Join(t.TempDir(), "s"), Endpoint: endpoint,
			StartTimeout: 500 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), QROut: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		begin := time.Now()
		err = a.Run(context.Background(), newRecorder())
		if err == nil || !strings.Contains(err.Error(), "cannot reach the WeChat login server") {
			t.Errorf("%s: err = %v", endpoint, err)
		}
		if d := time.Since(begin); d > 3*time.Second {
			t.Errorf("%s: took %s to fail", endpoint, d)
		}
	}
}

func TestSplitText(t *testing.T) {
	long := strings.Repeat("一二三四五\n", 500) // 3,000 runes
	parts := splitText(long, 2000)
	if len(parts) != 2 {
		t.Fatalf("%d parts", len(parts))
	}
	for _, p := range parts {
		if n := len([]rune(p)); n > 2000 {
			t.Errorf("part of %d runes", n)
		}
		if strings.HasPrefix(p, "二") || !strings.HasSuffix(p, "五") {
			t.Errorf("part not cut at a line end: ...%q", p[len(p)-6:])
		}
	}
	oneLine := strings.Repeat("x", 4500)
	if parts := splitText(oneLine, 2000); len(parts) != 3 || strings.Join(parts, "") != oneLine {
		t.Errorf("long line split into %d parts", len(parts))
	}
	if parts := splitText("short", 2000); len(parts) != 1 || parts[0] != "short" {
		t.Errorf("short text: %q", parts)
	}
}

func TestNewValidates(t *testing.T) {
	for name, o := range map[string]Options{
		"no session file": {},
		"bad endpoint":    {SessionFile: "s", Endpoint: "127.0.0.1:80"},
		"gaps reversed":   {SessionFile: "s", MinGap: 2 * time.Second, MaxGap: time.Second},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestIdentityFallsBackToNickname(t *testing.T) {
	srv := newServer(t)
	srv.RefuseRemarks(true)
	h := start(t, srv, testOptions(t, srv))
	srv.PushText("alice", "one")
	first := h.rec.next(t)
	srv.PushText("alice", "two")
	h.rec.next(t)
	if n := srv.Requests("webwxoplog"); n != 1 {
		t.Errorf("asked WeChat for a remark %d times in one session, want 1", n)
	}

	srv.ExpireSession()
	waitFor(t, "a new login", func() bool { return srv.Logins() == 2 })
	h.waitLoggedIn()
	srv.PushGroupText("g1", "alice", "three", false)
	if m := h.rec.next(t); m.Sender != first.Sender {
		t.Errorf("sender %s after re-login, want %s", m.Sender, first.Sender)
	}
	if _, err := h.a.Send(context.Background(), bot.OutMessage{Chat: first.Sender, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if s := srv.Sent(); len(s) != 1 || s[0].ToID != "alice" {
		t.Errorf("sent %+v", s)
	}
}

func TestRenameInTheAppIsReported(t *testing.T) {
	srv := newServer(t)
	h := start(t, srv, testOptions(t, srv))
	srv.RenameGroupBy("g1", "alice", "浦东互助新群")
	select {
	case text := <-h.notices:
		if !strings.Contains(text, "wechat:浦东互助1群") || !strings.Contains(text, "wechat:浦东互助新群") {
			t.Errorf("notice: %s", text)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("rename not reported")
	}
	srv.PushGroupText("g1", "bob", "hello", false)
	if m := h.rec.next(t); m.Chat != "wechat:浦东互助新群" {
		t.Errorf("chat after rename %s", m.Chat)
	}
}

func TestNetworkLossBacksOff(t *testing.T) {
	srv := newServer(t)
	h := start(t, srv, testOptions(t, srv))
	srv.Close()
	time.Sleep(2 * time.Second)
	logs := h.logs.String()
	if !strings.Contains(logs, "message sync failed; backing off") {
		t.Fatalf("no back-off logged:\n%s", logs)
	}
	// Back-off starts at 1s and doubles: a couple of attempts, not a spin.
	if n := strings.Count(logs, "message sync still failing"); n > 3 {
		t.Errorf("%d sync attempts in 2s after the network went away", n)
	}
	_, err := h.a.Send(context.Background(), bot.OutMessage{Chat: "wechat:浦东互助1群", Text: "x"})
	if err == nil || errors.Is(err, bot.ErrPermanent) {
		t.Errorf("send without network: err = %v, want a retryable error", err)
	}
}

func TestRedactHidesSessionKeys(t *testing.T) {
	inner := errors.New(`Get "https://webpush.wx.qq.com/synccheck?skey=%40crypt_1&sid=abc&uin=42&r=1": refused`)
	err := fmt.Errorf("sync: %w", redact(inner))
	for _, secret := range []string{"crypt_1", "sid=abc", "uin=42"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%q shows %s", err, secret)
		}
	}
	if !errors.Is(err, inner) || !strings.Contains(err.Error(), "r=1") {
		t.Errorf("redaction lost the error: %v", err)
	}
}

// gatedHandler blocks every message until the gate opens.
type gatedHandler struct {
	gate chan struct{}
	got  chan bot.Message
}

func (g *gatedHandler) HandleMessage(ctx context.Context, m bot.Message) error {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.got <- m
	return nil
}

func TestSlowEngineLosesNothing(t *testing.T) {
	srv := newServer(t)
	opts := testOptions(t, srv)
	opts.QROut = io.Discard
	logs := &syncBuffer{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	a.queue = make(chan bot.Message, 2)
	h := &gatedHandler{gate: make(chan struct{}), got: make(chan bot.Message, 20)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, h) }()
	defer func() {
		cancel()
		<-done
	}()
	var ids []string
	for i := 0; i < 6; i++ {
		ids = append(ids, srv.PushText("alice", fmt.Sprintf("message %d", i)))
	}
	waitFor(t, "the full-queue warning", func() bool { return strings.Contains(logs.String(), "incoming queue full") })
	close(h.gate)
	for i, id := range ids {
		select {
		case m := <-h.got:
			if m.ID != id {
				t.Errorf("message %d has id %s, want %s (order lost)", i, m.ID, id)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("message %d never reached the engine", i)
		}
	}
}

func TestCancelWhileWaitingForScan(t *testing.T) {
	srv := newServer(t)
	srv.SetHoldLogin(true)
	opts := testOptions(t, srv)
	opts.QROut = io.Discard
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, newRecorder()) }()
	waitFor(t, "login polling", func() bool { return srv.Requests("login") > 0 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run kept waiting for a scan after cancel")
	}
}

// flakyHandler fails the first hand-over.
type flakyHandler struct {
	calls atomic.Int32
	got   chan bot.Message
}

func (f *flakyHandler) HandleMessage(_ context.Context, m bot.Message) error {
	if f.calls.Add(1) == 1 {
		return errors.New("store busy")
	}
	f.got <- m
	return nil
}

func TestHandlerErrorIsRetried(t *testing.T) {
	srv := newServer(t)
	opts := testOptions(t, srv)
	opts.QROut = io.Discard
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h := &flakyHandler{got: make(chan bot.Message, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, h) }()
	defer func() {
		cancel()
		<-done
	}()
	id := srv.PushText("alice", "help")
	select {
	case m := <-h.got:
		if m.ID != id {
			t.Errorf("got %s, want %s", m.ID, id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("message not handed over again after an engine error")
	}
}
