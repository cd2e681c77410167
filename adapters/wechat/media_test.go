package wechat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/adapters/wechat/wechattest"
	"github.com/lifeline-aid/lifeline/bot"
)

func TestMediaMessagesAreMapped(t *testing.T) {
	srv := newServer(t)
	h := start(t, srv, testOptions(t, srv))
	at := time.Date(2022, 4, 10, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	voice := []byte("ID3 mp3 voice")
	tests := []struct {
		name  string
		push  func() string
		check func(t *testing.T, m bot.Message)
	}{
		{"private voice", func() string { return srv.PushVoice("", "alice", voice, 12*time.Second) }, func(t *testing.T, m bot.Message) {
			if !m.Private || len(m.Media) != 1 || m.Media[0].Kind != bot.MediaVoice || m.Media[0].Duration != 12*time.Second || m.Text != "" {
				t.Errorf("got %+v", m)
			}
			got, err := h.a.FetchMedia(t.Context(), m.Media[0], 1<<20)
			if err != nil || !bytes.Equal(got, voice) {
				t.Errorf("fetch: %q, %v", got, err)
			}
			if _, err := h.a.FetchMedia(t.Context(), m.Media[0], 5); !errors.Is(err, ErrTooLarge) {
				t.Errorf("over the limit: %v", err)
			}
		}},
		{"group image", func() string { return srv.PushImage("g1", "bob", []byte("\xff\xd8\xff jpeg"), 720, 1280) }, func(t *testing.T, m bot.Message) {
			if m.Chat != "wechat:浦东互助1群" || m.Sender != "wechat:浦东互助1群/Bob" || len(m.Media) != 1 || m.Media[0].Kind != bot.MediaPhoto || m.Media[0].Width != 720 {
				t.Errorf("got %+v", m)
			}
			if got, err := h.a.FetchMedia(t.Context(), m.Media[0], 1<<20); err != nil || string(got) != "\xff\xd8\xff jpeg" {
				t.Errorf("fetch: %q, %v", got, err)
			}
		}},
		{"video", func() string { return srv.PushVideo("", "alice", []byte("mp4"), 30*time.Second) }, func(t *testing.T, m bot.Message) {
			if len(m.Media) != 1 || m.Media[0].Kind != bot.MediaVideo || m.Media[0].Duration != 30*time.Second {
				t.Errorf("got %+v", m)
			}
		}},
		{"file", func() string { return srv.PushFile("g1", "alice", "处方.pdf", []byte("%PDF-1.4")) }, func(t *testing.T, m bot.Message) {
			if len(m.Media) != 1 || m.Media[0].Kind != bot.MediaDocument || m.Media[0].Name != "处方.pdf" || m.Media[0].Size != 8 {
				t.Fatalf("got %+v", m)
			}
			if got, err := h.a.FetchMedia(t.Context(), m.Media[0], 1<<20); err != nil || string(got) != "%PDF-1.4" {
				t.Errorf("fetch: %q, %v", got, err)
			}
		}},
		{"private location", func() string { return srv.PushLocation("", "alice", 31.197, 121.704, "浦东新区川沙路1号") }, func(t *testing.T, m bot.Message) {
			want := &bot.Location{Lat: 31.197, Lon: 121.704, Address: "浦东新区川沙路1号"}
			if !reflect.DeepEqual(m.Location, want) || m.Text != "" {
				t.Errorf("got %+v (location %+v)", m, m.Location)
			}
		}},
		{"group location", func() string { return srv.PushLocation("g1", "bob", 31.2, 121.5, "川沙") }, func(t *testing.T, m bot.Message) {
			if m.Location == nil || m.Location.Lat != 31.2 || m.Location.Address != "川沙" {
				t.Errorf("got %+v (location %+v)", m, m.Location)
			}
		}},
		{"link", func() string {
			return srv.PushLink("g1", "bob", "川沙停水通知", "https://example.org/n", "4月10日起")
		}, func(t *testing.T, m bot.Message) {
			want := &bot.Link{Title: "川沙停水通知", URL: "https://example.org/n", Desc: "4月10日起"}
			if !reflect.DeepEqual(m.Link, want) || m.Text != "川沙停水通知" {
				t.Errorf("got %+v (link %+v)", m, m.Link)
			}
		}},
		{"contact card", func() string { return srv.PushCard("", "alice", "王阿姨 <居委>", "wang_ayi") }, func(t *testing.T, m bot.Message) {
			if m.Contact == nil || m.Contact.Name != "王阿姨 <居委>" || m.Contact.Phone != "" {
				t.Errorf("got %+v (contact %+v)", m, m.Contact)
			}
		}},
		{"chat record", func() string {
			return srv.PushRecord("g1", "alice", "张三和李四的聊天记录", []wechattest.RecordItem{
				{Sender: "张三", Text: "救命 我爸心梗 在川沙路1号", At: at},
				{Sender: "李四", Photo: true, At: at.Add(time.Minute)},
				{Sender: "张三", Text: "电话 13800000000", At: at.Add(2 * time.Minute)},
			})
		}, func(t *testing.T, m bot.Message) {
			if len(m.Record) != 3 || m.Record[0].SenderName != "张三" || m.Record[0].Text != "救命 我爸心梗 在川沙路1号" || !m.Record[0].At.Equal(at) ||
				m.Record[1].Media == nil || m.Record[1].Media.Kind != bot.MediaPhoto {
				t.Errorf("record %+v", m.Record)
			}
			if m.Forward == nil || m.Forward.FromName != "张三" || m.Sender != "wechat:LL-0001" {
				t.Errorf("forward %+v, sender %s", m.Forward, m.Sender)
			}
			if !strings.Contains(m.Text, "张三: 救命 我爸心梗") || !strings.Contains(m.Text, "张三: 电话 13800000000") {
				t.Errorf("text %q", m.Text)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.push()
			m := h.rec.next(t)
			if m.ID != id {
				t.Fatalf("got message %s, want %s: %+v", m.ID, id, m)
			}
			tt.check(t, m)
		})
	}
}

func TestSendAttachmentUploadsAfterTheText(t *testing.T) {
	srv := newServer(t)
	h := start(t, srv, testOptions(t, srv))
	dir := t.TempDir()
	xlsx := filepath.Join(dir, "export.xlsx")
	content := []byte("PK\x03\x04 fake xlsx")
	if err := os.WriteFile(xlsx, content, 0o600); err != nil {
		t.Fatal(err)
	}
	id, err := h.a.Send(t.Context(), bot.OutMessage{Chat: "wechat:志愿者协调群", Text: "案例导出",
		Attachment: &bot.Attachment{Kind: bot.MediaDocument, Path: xlsx, Name: "案例.xlsx"}})
	if err != nil || id == "" {
		t.Fatalf("send: %q, %v", id, err)
	}
	sent := srv.SentTo("coord")
	if len(sent) != 2 || sent[0].Kind != "text" || sent[0].Text != "案例导出" || sent[1].Kind != "file" ||
		sent[1].FileName != "案例.xlsx" || !bytes.Equal(sent[1].Data, content) {
		t.Fatalf("sent %+v", sent)
	}

	png := filepath.Join(dir, "map.png")
	if err := os.WriteFile(png, []byte("\x89PNG\r\n fake"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := h.a.Send(t.Context(), bot.OutMessage{Chat: "wechat:志愿者协调群", Attachment: &bot.Attachment{Kind: bot.MediaPhoto, Path: png}}); err != nil {
		t.Fatal(err)
	}
	if s := srv.SentTo("coord"); len(s) != 3 || s[2].Kind != "image" || !bytes.HasPrefix(s[2].Data, []byte("\x89PNG")) {
		t.Errorf("image sent as %+v", s[len(s)-1])
	}

	// A voice note someone sent is relayed by downloading and uploading it.
	msgID := srv.PushVoice("", "alice", []byte("ID3 voice bytes"), 5*time.Second)
	h.rec.next(t)
	if _, err := h.a.Send(t.Context(), bot.OutMessage{Chat: "wechat:志愿者协调群", Text: "#3 语音求助",
		Attachment: &bot.Attachment{Kind: bot.MediaVoice, CopyOf: &bot.MessageRef{Chat: "wechat:LL-0001", ID: msgID}}}); err != nil {
		t.Fatal(err)
	}
	s := srv.SentTo("coord")
	if last := s[len(s)-1]; last.Kind != "file" || string(last.Data) != "ID3 voice bytes" || !strings.HasSuffix(last.FileName, ".mp3") {
		t.Errorf("relayed voice sent as %+v", last)
	}

	_, err = h.a.Send(t.Context(), bot.OutMessage{Chat: "wechat:志愿者协调群", Text: "x", Attachment: &bot.Attachment{Path: filepath.Join(dir, "gone.xlsx")}})
	if !errors.Is(err, bot.ErrPermanent) {
		t.Errorf("missing file: %v, want permanent", err)
	}
}

func TestStatusFollowsTheSession(t *testing.T) {
	srv := newServer(t)
	opts := testOptions(t, srv)
	srv.SetHoldLogin(true)
	a, err := New(func() Options {
		o := opts
		o.QROut = &syncBuffer{}
		return o
	}())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, newRecorder()) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "QR login URL", func() bool { return a.Status().LoginURL != "" })
	if st := a.Status(); st.Up || !strings.HasPrefix(st.LoginURL, "https://login.weixin.qq.com/l/") || !strings.Contains(st.Detail, "QR") {
		t.Errorf("while waiting for a scan: %+v", st)
	}
	srv.SetHoldLogin(false)
	waitFor(t, "up", func() bool { return a.Status().Up })
	if st := a.Status(); st.LoginURL != "" || st.LastUpdate.IsZero() {
		t.Errorf("logged in: %+v", st)
	}
	srv.SetPushLogin(false)
	srv.SetHoldLogin(true)
	srv.ExpireSession()
	waitFor(t, "down after the session died", func() bool { st := a.Status(); return !st.Up && st.LoginURL != "" })
}

func TestIDsAreUniqueForever(t *testing.T) {
	srv := newServer(t)
	srv.AddFriend("dave", "Dave")
	// LL-0007 was typed by hand on Carol (or restored from a backup), and
	// copied onto Dave too.
	srv.SetRemark("carol", "LL-0007 卡罗")
	srv.SetRemark("dave", "LL-0007")
	opts := testOptions(t, srv)
	state := newMemState()
	_ = state.PutState(context.Background(), keyByID+"LL-0007", []byte("Carol"))
	opts.State = state
	h := start(t, srv, opts)

	var notice string
	select {
	case notice = <-h.notices:
	case <-time.After(5 * time.Second):
		t.Fatal("admins were not told about the collision")
	}
	if !strings.Contains(notice, "LL-0007") || !strings.Contains(notice, "Dave") || !strings.Contains(notice, "LL-0008") {
		t.Errorf("notice %q", notice)
	}
	if r := srv.Remark("dave"); r != "LL-0008" {
		t.Errorf("Dave's remark is %q, want the fresh LL-0008", r)
	}
	if r := srv.Remark("carol"); r != "LL-0007 卡罗" {
		t.Errorf("Carol's remark changed to %q", r)
	}
	// The next newcomer gets neither 0001 (the counter knows 0007 and
	// 0008) nor a taken id.
	srv.PushText("alice", "你好")
	if m := h.rec.next(t); m.Sender != "wechat:LL-0009" {
		t.Errorf("Alice got %s, want wechat:LL-0009", m.Sender)
	}
	srv.PushText("dave", "hi")
	if m := h.rec.next(t); m.Sender != "wechat:LL-0008" {
		t.Errorf("Dave speaks as %s", m.Sender)
	}
	srv.PushText("carol", "hi")
	if m := h.rec.next(t); m.Sender != "wechat:LL-0007" {
		t.Errorf("Carol speaks as %s", m.Sender)
	}
}

// batchHandler records batches; it is also a plain handler.
type batchHandler struct {
	mu      sync.Mutex
	batches [][]bot.Message
	single  []bot.Message
}

func (b *batchHandler) HandleMessage(_ context.Context, m bot.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.single = append(b.single, m)
	return nil
}

func (b *batchHandler) HandleBatch(_ context.Context, batch bot.Batch) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.batches = append(b.batches, batch.Messages)
	return nil
}

func (b *batchHandler) count() (batched, single, batches int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, x := range b.batches {
		batched += len(x)
	}
	return batched, len(b.single), len(b.batches)
}

func TestOneSyncIsOneBatch(t *testing.T) {
	srv := newServer(t)
	opts := testOptions(t, srv)
	opts.QROut = &syncBuffer{}
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	bh := &batchHandler{}
	// What one sync brings is queued before dispatch looks: it must go
	// over as one batch. (Through the live sync loop the grouping depends
	// on timing, so this drives dispatch directly.)
	for i := range 20 {
		a.queue <- bot.Message{Chat: "wechat:g1", ID: fmt.Sprint(i), Text: "求助"}
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); a.dispatch(ctx, bh) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "all 20 handed over", func() bool { b, s, _ := bh.count(); return b+s == 20 })
	if b, s, n := bh.count(); b != 20 || n != 1 {
		t.Errorf("%d messages in %d batches and %d alone, want 20 in 1", b, n, s)
	}
}
