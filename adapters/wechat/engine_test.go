package wechat

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// The bbolt store is the adapter's state store in production.
var _ StateStore = (*store.Store)(nil)

// TestEngineOverWeChat runs the real engine with a store on disk and the
// adapter against the fake WeChat: an urgent plea in an intake group becomes
// an alert card in the coordination group, a volunteer opens a room for a
// case with two friends of the bot, and an asker's private message gets a
// private answer.
func TestEngineOverWeChat(t *testing.T) {
	srv := newServer(t)
	srv.AddFriend("dan", "Dan")
	ctx, cancel := context.WithCancel(t.Context())
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "lifeline.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	e, err := bot.New(ctx, bot.Options{
		Store:    st,
		Triage:   triage.Default(),
		Language: "en",
		// Carol is the second friend to speak below, so she is LL-0002.
		Admins: []string{"wechat:LL-0002"},
		Groups: []bot.GroupBinding{
			{Chat: "wechat:浦东互助1群", Role: store.RoleIntake, Name: "浦东互助1群"},
			{Chat: "wechat:志愿者协调群", Role: store.RoleCoordination, Name: "Volunteers"},
		},
		Outbox: bot.OutboxOptions{Jitter: func() float64 { return 0 }, BaseBackoff: 100 * time.Millisecond, MaxBackoff: time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions(t, srv)
	opts.State = st
	opts.QROut = &syncBuffer{}
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.AddPlatform(a)
	runErr := make(chan error, 2)
	go func() { runErr <- e.Run(ctx) }()
	go func() { runErr <- a.Run(ctx, e) }()
	t.Cleanup(func() {
		cancel()
		for range 2 {
			if err := <-runErr; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("run: %v", err)
			}
		}
		st.Close()
	})
	waitFor(t, "login", func() bool {
		s := a.session()
		if s == nil {
			return false
		}
		_, ok := s.dir.group("志愿者协调群")
		return ok
	})

	sentTo := srv.SentTo
	cardFor := func(n string) func() bool {
		return func() bool {
			for _, s := range sentTo("coord") {
				if strings.Contains(s.Text, "#"+n) {
					return true
				}
			}
			return false
		}
	}

	srv.PushGroupText("g1", "bob", "我妈妈透析两周没做了，浦东川沙，电话13812345678", false)
	waitFor(t, "alert card for #1 in the coordination group", cardFor("1"))
	if n := len(sentTo("g1")); n != 0 {
		t.Errorf("bot posted %d messages in the intake group", n)
	}

	srv.PushGroupText("g1", "alice", "我爸爸昏迷了，叫不醒，浦东惠南，电话13900001111", false)
	waitFor(t, "alert card for #2", cardFor("2"))
	srv.PushGroupText("coord", "carol", "/claim 2", false)
	srv.PushGroupText("coord", "carol", "/room 2", false)
	waitFor(t, "a WeChat group for case #2", func() bool { return len(srv.Created()) == 1 })
	room := srv.Created()[0]
	if !strings.HasPrefix(room.Topic, "#2") || strings.Join(room.Members, ",") != "alice,carol" {
		t.Errorf("room %+v", room)
	}

	srv.PushText("dan", "我需要帮助，家里老人的降压药吃完了")
	waitFor(t, "a private answer to the asker", func() bool { return len(sentTo("dan")) > 0 })

	// A plea the triage misses, opened by a volunteer quoting it with
	// /new: the group hears only that it was noted, the case is Bob's, and
	// quoting it again names the case.
	const missed = "9号楼那户人家一直没动静，电话13812345678"
	srv.PushGroupText("g1", "bob", missed, false)
	srv.PushGroupText("g1", "carol", "「Bob："+missed+"」"+sep+"/new high", false)
	said := func(chat, text string) func() bool {
		return func() bool {
			for _, s := range sentTo(chat) {
				if strings.Contains(s.Text, text) {
					return true
				}
			}
			return false
		}
	}
	waitFor(t, "the group told the plea was noted", said("g1", "Noted as a request for help (case #4)"))
	waitFor(t, "an alert for #4 with the phone", said("coord", "13812345678"))
	for _, s := range sentTo("g1") {
		if strings.Contains(s.Text, "13812345678") {
			t.Errorf("the intake group was sent the phone: %q", s.Text)
		}
	}
	var c *store.Case
	if err := st.View(ctx, func(tx *store.Tx) (err error) { c, err = tx.Case(4); return err }); err != nil {
		t.Fatal(err)
	}
	if c.AskerName != "Bob" || c.Text != missed || c.Urgency != triage.High {
		t.Errorf("case #4: asker %q, text %q, %s", c.AskerName, c.Text, c.Urgency)
	}
	srv.PushGroupText("g1", "carol", "「Bob："+missed+"」"+sep+"/new", false)
	waitFor(t, "a second quote named the case", said("g1", "That plea is already case #4."))
}
