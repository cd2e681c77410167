package telegram

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"github.com/lifeline-aid/lifeline/adapters/telegram/telegramtest"
	"github.com/lifeline-aid/lifeline/bot"
)

func TestTopicRoomOpenAndClose(t *testing.T) {
	srv := telegramtest.NewServer(t)
	const coord = int64(-1001000000002)
	srv.SetForum(coord)
	a := newAdapter(t, srv, func(o *Options) { o.Rooms = RoomsTopics })

	room, err := a.OpenRoom(t.Context(), bot.RoomRequest{Case: 42, Title: "#42 透析 浦东", Coordination: Ref(coord), Members: []string{"telegram:7", "telegram:9"}})
	if err != nil {
		t.Fatal(err)
	}
	if room.Chat != Ref(coord) || room.Thread == "" || !room.Bridged || len(room.Invites) != 0 {
		t.Fatalf("room = %+v, want a bridged topic in the coordination chat", room)
	}
	calls := srv.Calls("createForumTopic")
	if len(calls) != 1 || calls[0].Params["name"] != "#42 透析 浦东" {
		t.Errorf("createForumTopic calls %+v", calls)
	}
	if _, err := a.Send(t.Context(), bot.OutMessage{Chat: room.Chat, Thread: room.Thread, Text: "asker: 我还能等两小时"}); err != nil {
		t.Fatal(err)
	}
	if err := a.CloseRoom(t.Context(), room, "Case #42 resolved"); err != nil {
		t.Fatal(err)
	}
	thread, _ := strconv.Atoi(room.Thread)
	sent := srv.SentTo(coord)
	if len(sent) != 2 || sent[1].Text != "Case #42 resolved" || sent[1].Thread != thread {
		t.Errorf("topic messages %+v, want the relay then the closing note in thread %d", sent, thread)
	}
	if !srv.TopicClosed(coord, thread) {
		t.Errorf("topic %d not closed", thread)
	}
	// A message still queued for the closed topic is not lost, and does not
	// read as the coordination chat being unreachable.
	for _, th := range []string{room.Thread, "4242"} {
		if _, err := a.Send(t.Context(), bot.OutMessage{Chat: room.Chat, Thread: th, Text: "late relay " + th}); err != nil {
			t.Errorf("send to gone topic %s: %v", th, err)
		}
		sent := srv.SentTo(coord)
		if last := sent[len(sent)-1]; last.Text != "late relay "+th || last.Thread != 0 {
			t.Errorf("late message for topic %s: %+v, want it in the chat itself", th, last)
		}
	}

	// A coordination group without topics cannot hold topic rooms.
	_, err = a.OpenRoom(t.Context(), bot.RoomRequest{Case: 43, Title: "#43", Coordination: "telegram:-1001000000003"})
	if !errors.Is(err, bot.ErrPermanent) {
		t.Errorf("topic in a non-forum group: %v, want a permanent error", err)
	}
}

func TestPoolRoomLifecycle(t *testing.T) {
	srv := telegramtest.NewServer(t)
	const g1, g2 = int64(-1002000000001), int64(-1002000000002)
	const asker, volunteer, lead, stranger = 7, 8, 9, 11
	srv.SetAdmin(g1, lead) // the team lead administers the pool group
	state := &memState{m: map[string][]byte{}}
	a := newAdapter(t, srv, func(o *Options) { o.Rooms, o.Pool, o.State = RoomsPool, []int64{g1, g2}, state })
	rec := &recorder{}
	start(t, a, rec)

	members := []string{Ref(asker), Ref(volunteer), Ref(lead), "wechat:someone"}
	room, err := a.OpenRoom(t.Context(), bot.RoomRequest{Case: 42, Title: "#42 透析 浦东", Coordination: "telegram:-1001000000002", Members: members})
	if err != nil {
		t.Fatal(err)
	}
	if room.Chat != Ref(g1) || room.Thread != "" || room.Bridged {
		t.Fatalf("room = %+v, want pool group %d, not bridged", room, g1)
	}
	if srv.Title(g1) != "#42 透析 浦东" {
		t.Errorf("group title %q", srv.Title(g1))
	}
	links := srv.Links(g1)
	if len(links) != 3 || len(room.Invites) != 3 {
		t.Fatalf("links %+v, invites %v; want one per telegram member", links, room.Invites)
	}
	for _, l := range links {
		if l.MemberLimit != 1 {
			t.Errorf("link %s is not single-use", l.Link)
		}
	}
	for _, p := range members[:3] {
		if room.Invites[p] == "" {
			t.Errorf("no invite for %s", p)
		}
	}

	// Opening again for the same case (a retry) reuses its group.
	again, err := a.OpenRoom(t.Context(), bot.RoomRequest{Case: 42, Title: "#42 透析 浦东", Members: []string{Ref(asker)}})
	if err != nil || again.Chat != Ref(g1) {
		t.Errorf("reopen = %+v, %v; want the same group", again, err)
	}

	// Someone joins through a forwarded link: the adapter sees it and will
	// remove them too.
	join := srv.NewMessage(telegramtest.Group(g1, "#42"), telegramtest.User(stranger, "S"), "")
	join.NewChatMembers = []models.User{telegramtest.User(stranger, "S")}
	id := srv.Push(models.Update{Message: join})
	waitFor(t, "join seen", func() bool { return a.LastHandled() >= id })

	if r2, err := a.OpenRoom(t.Context(), bot.RoomRequest{Case: 43, Title: "#43"}); err != nil || r2.Chat != Ref(g2) {
		t.Fatalf("second room = %+v, %v; want group %d", r2, err, g2)
	}
	if _, err := a.OpenRoom(t.Context(), bot.RoomRequest{Case: 44, Title: "#44"}); !errors.Is(err, ErrNoFreeRoom) {
		t.Fatalf("third room with a pool of two: %v, want ErrNoFreeRoom", err)
	}

	// A restarted adapter knows which groups are taken.
	b := newAdapter(t, srv, func(o *Options) { o.Rooms, o.Pool, o.State = RoomsPool, []int64{g1, g2}, state })
	if _, err := b.OpenRoom(t.Context(), bot.RoomRequest{Case: 44, Title: "#44"}); !errors.Is(err, ErrNoFreeRoom) {
		t.Fatalf("after restart: %v, want ErrNoFreeRoom", err)
	}

	if err := a.CloseRoom(t.Context(), room, "Case #42 closed. Thank you all."); err != nil {
		t.Fatal(err)
	}
	if s := srv.SentTo(g1); len(s) == 0 || s[len(s)-1].Text != "Case #42 closed. Thank you all." {
		t.Errorf("closing note not posted: %+v", s)
	}
	removed := map[int64]bool{}
	for _, u := range srv.Removed(g1) {
		removed[u] = true
	}
	if !removed[asker] || !removed[volunteer] || !removed[stranger] || removed[lead] {
		t.Errorf("removed %v; want asker, volunteer and the stranger, not the admin", srv.Removed(g1))
	}
	for _, u := range []int64{asker, volunteer, stranger} {
		if srv.Banned(g1, u) {
			t.Errorf("user %d still banned: a later room could not invite them", u)
		}
	}
	for _, l := range srv.Links(g1) {
		if !l.Revoked {
			t.Errorf("link %s not revoked", l.Link)
		}
	}
	if srv.Title(g1) != FreeRoomTitle {
		t.Errorf("title after close %q, want %q", srv.Title(g1), FreeRoomTitle)
	}
	r3, err := b.OpenRoom(t.Context(), bot.RoomRequest{Case: 44, Title: "#44", Members: []string{Ref(asker)}})
	if err != nil || r3.Chat != Ref(g1) {
		t.Errorf("after close: %+v, %v; want group %d back from the pool", r3, err, g1)
	}

	// AddToRoom gives one more single-use link.
	link, err := b.AddToRoom(t.Context(), r3, Ref(volunteer))
	if err != nil || link == "" {
		t.Errorf("AddToRoom = %q, %v", link, err)
	}
}

func TestRoomsNone(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, func(o *Options) { o.Rooms = RoomsNone })
	if _, err := a.OpenRoom(t.Context(), bot.RoomRequest{Case: 1, Title: "#1"}); !errors.Is(err, ErrRoomsDisabled) {
		t.Errorf("OpenRoom = %v, want ErrRoomsDisabled", err)
	}
}

func TestPoolSkipsGroupsWhoseHistoryNewMembersCanRead(t *testing.T) {
	srv := telegramtest.NewServer(t)
	const g1, g2, g3 = int64(-1002000000001), int64(-1002000000002), int64(-1002000000003)
	srv.SetHistoryVisible(g1, true)
	srv.SetBotStatus(g2, models.ChatMemberTypeMember) // cannot even check
	var notices []string
	a := newAdapter(t, srv, func(o *Options) {
		o.Rooms, o.Pool = RoomsPool, []int64{g1, g2, g3}
		o.OnNotice = func(_ context.Context, text string) { notices = append(notices, text) }
	})
	req := bot.RoomRequest{Case: 1, Title: "#1", Coordination: "telegram:-1001000000002", Members: []string{Ref(7), Ref(8)}}
	room, err := a.OpenRoom(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if room.Chat != Ref(g3) {
		t.Errorf("room in %s, want the one safe group %s", room.Chat, Ref(g3))
	}
	if len(notices) != 2 || !strings.Contains(notices[0], "-1002000000001") || !strings.Contains(notices[0], "Hidden") ||
		!strings.Contains(notices[1], "not an administrator") {
		t.Errorf("admins were told %q", notices)
	}

	// With only unsafe groups left, the engine gets an error naming them.
	req.Case = 2
	_, err = a.OpenRoom(t.Context(), req)
	if !errors.Is(err, ErrHistoryVisible) || !strings.Contains(err.Error(), "-1002000000001") {
		t.Errorf("err = %v, want ErrHistoryVisible naming the group", err)
	}
	if len(notices) != 2 {
		t.Errorf("the same groups were reported again within the hour: %q", notices)
	}

	// Fixed by the admins: the group is used again.
	srv.SetHistoryVisible(g1, false)
	if room, err := a.OpenRoom(t.Context(), req); err != nil || room.Chat != Ref(g1) {
		t.Errorf("after hiding history: %+v, %v", room, err)
	}
}
