package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/lifeline-aid/lifeline/bot"
)

// FreeRoomTitle is the title of a pool group that holds no case.
const FreeRoomTitle = "Lifeline room (free)"

// maxTitle is Telegram's limit on chat titles and topic names.
const maxTitle = 128

// poolState records which pool group holds which case, and who must be
// removed when the case closes. It lives in the StateStore so a restart
// never hands one group to two cases.
type poolState struct {
	Rooms map[string]*poolRoom `json:"rooms"` // group id → room
}

type poolRoom struct {
	Case    int64    `json:"case"`
	Members []int64  `json:"members,omitempty"` // invited or seen joining
	Links   []string `json:"links,omitempty"`   // invite links to revoke
}

func (a *Adapter) poolKey() string { return fmt.Sprintf("telegram/%d/pool", a.me.ID) }

func (a *Adapter) loadPool(ctx context.Context) (*poolState, error) {
	raw, err := a.state.GetState(ctx, a.poolKey())
	if err != nil {
		return nil, fmt.Errorf("read room pool: %w", err)
	}
	st := &poolState{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, st); err != nil {
			return nil, fmt.Errorf("decode room pool: %w", err)
		}
	}
	if st.Rooms == nil {
		st.Rooms = map[string]*poolRoom{}
	}
	return st, nil
}

func (a *Adapter) savePool(ctx context.Context, st *poolState) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode room pool: %w", err)
	}
	if err := a.state.PutState(ctx, a.poolKey(), raw); err != nil {
		return fmt.Errorf("write room pool: %w", err)
	}
	return nil
}

// OpenRoom opens a rescue room for a case. With rooms: topics it creates a
// forum topic in the coordination supergroup and returns a bridged room
// (the asker stays in their private chat; the engine relays). With rooms:
// pool it takes a free pool group, renames it after the case and returns
// one single-use invite link per member in Room.Invites. A full pool is
// an error wrapping ErrNoFreeRoom.
func (a *Adapter) OpenRoom(ctx context.Context, req bot.RoomRequest) (bot.Room, error) {
	switch a.opts.Rooms {
	case RoomsTopics:
		room, err := a.openTopic(ctx, req)
		if err != nil {
			return bot.Room{}, fmt.Errorf("open topic for case #%d in %s: %w", req.Case, req.Coordination, err)
		}
		return room, nil
	case RoomsPool:
		room, err := a.openPoolRoom(ctx, req)
		if err != nil {
			return bot.Room{}, fmt.Errorf("open pool room for case #%d: %w", req.Case, err)
		}
		return room, nil
	}
	return bot.Room{}, fmt.Errorf("open room for case #%d: %w", req.Case, ErrRoomsDisabled)
}

func (a *Adapter) openTopic(ctx context.Context, req bot.RoomRequest) (bot.Room, error) {
	chat, err := chatID(req.Coordination)
	if err != nil {
		return bot.Room{}, bot.Permanent(err)
	}
	topic, err := a.api.CreateForumTopic(ctx, &tgbot.CreateForumTopicParams{ChatID: chat, Name: clip(req.Title, maxTitle)})
	if err != nil {
		// "the chat is not a forum" lands here as permanent: enable topics
		// in the coordination group, or use rooms: pool.
		return bot.Room{}, a.classify(err)
	}
	return bot.Room{Chat: req.Coordination, Thread: strconv.Itoa(topic.MessageThreadID), Bridged: true}, nil
}

func (a *Adapter) openPoolRoom(ctx context.Context, req bot.RoomRequest) (bot.Room, error) {
	a.roomsMu.Lock()
	defer a.roomsMu.Unlock()
	st, err := a.loadPool(ctx)
	if err != nil {
		return bot.Room{}, err
	}
	var group int64
	for _, g := range a.opts.Pool {
		if r := st.Rooms[strconv.FormatInt(g, 10)]; r != nil && r.Case == req.Case {
			group = g // a retried open reuses the case's group
			break
		}
	}
	fresh := group == 0
	var unsafe []string
	if fresh {
		for _, g := range a.opts.Pool {
			if st.Rooms[strconv.FormatInt(g, 10)] != nil {
				continue
			}
			why, err := a.historyHidden(ctx, g)
			if err != nil {
				return bot.Room{}, err
			}
			if why != "" {
				unsafe = append(unsafe, why)
				a.reportUnsafePool(ctx, g, why)
				continue
			}
			group = g
			break
		}
	}
	if group == 0 {
		if len(unsafe) > 0 {
			return bot.Room{}, fmt.Errorf("%w: %s", ErrHistoryVisible, strings.Join(unsafe, "; "))
		}
		return bot.Room{}, ErrNoFreeRoom
	}
	key := strconv.FormatInt(group, 10)
	room := st.Rooms[key]
	if fresh {
		// Recorded before any API call, so a crash cannot give the group
		// to a second case.
		room = &poolRoom{Case: req.Case}
		st.Rooms[key] = room
		if err := a.savePool(ctx, st); err != nil {
			return bot.Room{}, err
		}
	}
	out := bot.Room{Chat: Ref(group), Invites: map[string]string{}}
	err = func() error {
		if _, err := a.api.SetChatTitle(ctx, &tgbot.SetChatTitleParams{ChatID: group, Title: clip(req.Title, maxTitle)}); err != nil {
			if !strings.Contains(err.Error(), "not modified") {
				return fmt.Errorf("rename %s: %w", out.Chat, a.classify(err))
			}
		}
		for _, person := range req.Members {
			link, err := a.invite(ctx, group, room, req.Case, person)
			if err != nil {
				return err
			}
			if link != "" {
				out.Invites[person] = link
			}
		}
		return nil
	}()
	if err != nil {
		if fresh {
			a.releasePoolRoom(ctx, st, group)
		}
		return bot.Room{}, err
	}
	if err := a.savePool(ctx, st); err != nil {
		return bot.Room{}, err
	}
	return out, nil
}

// ErrHistoryVisible is wrapped by OpenRoom when every free pool group
// would show a newcomer the messages of earlier cases (or cannot be
// checked); the error names each group and what to change.
// It wraps bot.ErrHistoryVisible, which the engine recognises.
var ErrHistoryVisible = fmt.Errorf("no free pool group hides its history from new members: %w", bot.ErrHistoryVisible)

// historyHidden checks that people invited to group cannot scroll up to an
// earlier case's address and phone. It returns "" when the group is safe,
// or why it is not; err is a failure to check that a retry may fix.
// has_visible_history is shown only to administrators, so the bot must be
// one to tell: a bot that is not is treated as unsafe.
func (a *Adapter) historyHidden(ctx context.Context, group int64) (string, error) {
	ref := Ref(group)
	mem, err := a.api.GetChatMember(ctx, &tgbot.GetChatMemberParams{ChatID: group, UserID: a.me.ID})
	if err != nil {
		if err := a.classify(err); !errors.Is(err, bot.ErrPermanent) {
			return "", fmt.Errorf("check pool group %s: %w", ref, err)
		}
		return fmt.Sprintf("%s: the bot is not in the group (%v)", ref, a.mask(err)), nil
	}
	if mem.Type != models.ChatMemberTypeAdministrator && mem.Type != models.ChatMemberTypeOwner {
		return fmt.Sprintf("%s: the bot is not an administrator, so it cannot check that chat history is hidden from new members; make it admin", ref), nil
	}
	info, err := a.api.GetChat(ctx, &tgbot.GetChatParams{ChatID: group})
	if err != nil {
		if err := a.classify(err); !errors.Is(err, bot.ErrPermanent) {
			return "", fmt.Errorf("check pool group %s: %w", ref, err)
		}
		return fmt.Sprintf("%s: cannot read the group (%v)", ref, a.mask(err)), nil
	}
	if info.HasVisibleHistory {
		return fmt.Sprintf("%s (%s): new members can read its history, which holds earlier cases; set Chat history for new members to Hidden in the group settings", ref, info.Title), nil
	}
	return "", nil
}

// unsafeNoticeGap is how often admins hear about the same unsafe pool group.
const unsafeNoticeGap = time.Hour

// reportUnsafePool logs a skipped pool group and tells the admins, at most
// once an hour per group.
func (a *Adapter) reportUnsafePool(ctx context.Context, group int64, why string) {
	a.log.Error("pool group skipped: it would show earlier cases to the next asker", "group", Ref(group), "why", why)
	a.noticeMu.Lock()
	last, seen := a.noticed[group]
	due := !seen || time.Since(last) >= unsafeNoticeGap
	if due {
		a.noticed[group] = time.Now()
	}
	a.noticeMu.Unlock()
	if due && a.opts.OnNotice != nil {
		a.opts.OnNotice(ctx, "Telegram rescue-room pool group skipped: "+why)
	}
}

// invite creates a single-use invite link to group for person and records
// them as a member to remove later. Non-Telegram refs get no link.
func (a *Adapter) invite(ctx context.Context, group int64, room *poolRoom, caseID int64, person string) (string, error) {
	uid, ok := userID(person)
	if !ok {
		return "", nil
	}
	link, err := a.api.CreateChatInviteLink(ctx, &tgbot.CreateChatInviteLinkParams{
		ChatID:      group,
		Name:        clip(fmt.Sprintf("#%d %d", caseID, uid), 32),
		MemberLimit: 1,
	})
	if err != nil {
		return "", fmt.Errorf("invite %s to %s: %w", person, Ref(group), a.classify(err))
	}
	if !slices.Contains(room.Members, uid) {
		room.Members = append(room.Members, uid)
	}
	room.Links = append(room.Links, link.InviteLink)
	return link.InviteLink, nil
}

// releasePoolRoom undoes a half-opened pool room, best effort.
func (a *Adapter) releasePoolRoom(ctx context.Context, st *poolState, group int64) {
	key := strconv.FormatInt(group, 10)
	if r := st.Rooms[key]; r != nil {
		for _, l := range r.Links {
			_, _ = a.api.RevokeChatInviteLink(ctx, &tgbot.RevokeChatInviteLinkParams{ChatID: group, InviteLink: l})
		}
	}
	delete(st.Rooms, key)
	if err := a.savePool(ctx, st); err != nil {
		a.log.Error("release pool room", "group", group, "err", err)
	}
}

// AddToRoom lets one more person into an open room: a new single-use
// invite link for a pool group; nothing for a topic room, whose
// volunteers are already in the coordination group.
func (a *Adapter) AddToRoom(ctx context.Context, room bot.Room, person string) (string, error) {
	if room.Thread != "" {
		return "", nil
	}
	group, err := chatID(room.Chat)
	if err != nil {
		return "", bot.Permanent(err)
	}
	gid, _ := group.(int64)
	a.roomsMu.Lock()
	defer a.roomsMu.Unlock()
	st, err := a.loadPool(ctx)
	if err != nil {
		return "", err
	}
	r := st.Rooms[strconv.FormatInt(gid, 10)]
	if r == nil {
		return "", fmt.Errorf("add %s to %s: %w", person, room.Chat, bot.Permanent(errors.New("not an open pool room")))
	}
	link, err := a.invite(ctx, gid, r, r.Case, person)
	if err != nil {
		return "", err
	}
	if err := a.savePool(ctx, st); err != nil {
		return "", err
	}
	return link, nil
}

// CloseRoom posts the closing note and closes the room: a topic is closed;
// a pool group has everyone it let in removed (banned, then unbanned so
// they may join a later room), its unused links revoked, its title reset,
// and goes back to the pool.
func (a *Adapter) CloseRoom(ctx context.Context, room bot.Room, closingNote string) error {
	if closingNote != "" {
		_, err := a.Send(ctx, bot.OutMessage{Chat: room.Chat, Thread: room.Thread, Text: closingNote})
		if err != nil && !errors.Is(err, bot.ErrPermanent) {
			return fmt.Errorf("close room %s: %w", room.Chat, err)
		}
	}
	chat, err := chatID(room.Chat)
	if err != nil {
		return fmt.Errorf("close room %s: %w", room.Chat, bot.Permanent(err))
	}
	if room.Thread != "" {
		thread, err := strconv.Atoi(room.Thread)
		if err != nil {
			return fmt.Errorf("close room %s: thread %q: %w", room.Chat, room.Thread, bot.Permanent(err))
		}
		_, err = a.api.CloseForumTopic(ctx, &tgbot.CloseForumTopicParams{ChatID: chat, MessageThreadID: thread})
		if err != nil && !strings.Contains(err.Error(), "TOPIC_NOT_MODIFIED") {
			return fmt.Errorf("close topic %s in %s: %w", room.Thread, room.Chat, a.classify(err))
		}
		return nil
	}
	group, _ := chat.(int64)
	if err := a.closePoolRoom(ctx, group); err != nil {
		return fmt.Errorf("close room %s: %w", room.Chat, err)
	}
	return nil
}

func (a *Adapter) closePoolRoom(ctx context.Context, group int64) error {
	a.roomsMu.Lock()
	defer a.roomsMu.Unlock()
	st, err := a.loadPool(ctx)
	if err != nil {
		return err
	}
	key := strconv.FormatInt(group, 10)
	r := st.Rooms[key]
	if r == nil && !slices.Contains(a.opts.Pool, group) {
		return bot.Permanent(errors.New("not a pool group"))
	}
	if r != nil {
		for len(r.Members) > 0 {
			uid := r.Members[0]
			if err := a.removeMember(ctx, group, uid); err != nil {
				// Keep who is left, so a retry carries on from here.
				_ = a.savePool(ctx, st)
				return err
			}
			r.Members = r.Members[1:]
		}
		for _, l := range r.Links {
			if _, err := a.api.RevokeChatInviteLink(ctx, &tgbot.RevokeChatInviteLinkParams{ChatID: group, InviteLink: l}); err != nil {
				// A used single-use link is already dead; log the rest.
				a.log.Debug("revoke invite link", "group", group, "err", a.mask(err))
			}
		}
		r.Links = nil
	}
	if _, err := a.api.SetChatTitle(ctx, &tgbot.SetChatTitleParams{ChatID: group, Title: FreeRoomTitle}); err != nil {
		if err := a.classify(err); !errors.Is(err, bot.ErrPermanent) {
			_ = a.savePool(ctx, st)
			return fmt.Errorf("reset title: %w", err)
		}
	}
	delete(st.Rooms, key)
	return a.savePool(ctx, st)
}

// removeMember bans and unbans uid: the ban removes them, the unban lets
// them join a later room. Administrators cannot be banned and stay.
func (a *Adapter) removeMember(ctx context.Context, group, uid int64) error {
	if _, err := a.api.BanChatMember(ctx, &tgbot.BanChatMemberParams{ChatID: group, UserID: uid}); err != nil {
		err = a.classify(err)
		if errors.Is(err, bot.ErrPermanent) {
			a.log.Info("keep member of pool group", "group", group, "user", uid, "reason", err)
			return nil
		}
		return fmt.Errorf("remove %s: %w", Ref(uid), err)
	}
	if _, err := a.api.UnbanChatMember(ctx, &tgbot.UnbanChatMemberParams{ChatID: group, UserID: uid, OnlyIfBanned: true}); err != nil {
		// They are out either way; only a later invite would fail.
		a.log.Warn("unban after removal", "group", group, "user", uid, "err", a.mask(err))
	}
	return nil
}

// trackPoolMembers remembers people who joined a held pool group, so
// closing the room removes them too, however they got in.
func (a *Adapter) trackPoolMembers(ctx context.Context, u *models.Update) {
	if u.Message == nil || len(u.Message.NewChatMembers) == 0 || !slices.Contains(a.opts.Pool, u.Message.Chat.ID) {
		return
	}
	a.roomsMu.Lock()
	defer a.roomsMu.Unlock()
	st, err := a.loadPool(ctx)
	if err != nil {
		a.log.Warn("track pool members", "err", err)
		return
	}
	r := st.Rooms[strconv.FormatInt(u.Message.Chat.ID, 10)]
	if r == nil {
		return
	}
	for _, m := range u.Message.NewChatMembers {
		if !m.IsBot && !slices.Contains(r.Members, m.ID) {
			r.Members = append(r.Members, m.ID)
		}
	}
	if err := a.savePool(ctx, st); err != nil {
		a.log.Warn("track pool members", "err", err)
	}
}

// clip shortens s to at most n runes.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
