package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eatmoreapple/openwechat"

	"github.com/lifeline-aid/lifeline/bot"
)

// closedPrefix marks a room whose case is closed. openwechat v1.4.8 cannot
// remove members (WeChat ignores the call), so closing renames the group.
const closedPrefix = "[closed] "

// OpenRoom creates a WeChat group named req.Title with the members who are
// friends of the bot account. WeChat needs at least two of them besides the
// bot, and creating groups often gets accounts flagged, so at most
// RoomsPerDay groups are made in any 24 hours. When a room cannot be made the
// error wraps ErrRoomUnavailable and says why; the engine then uses a thread
// in the coordination chat.
func (a *Adapter) OpenRoom(ctx context.Context, req bot.RoomRequest) (bot.Room, error) {
	title := strings.TrimSpace(req.Title)
	if title == "" {
		title = fmt.Sprintf("#%d", req.Case)
	}
	sess := a.session()
	if sess == nil {
		return bot.Room{}, fmt.Errorf("%w: WeChat is logging in again", ErrRoomUnavailable)
	}
	var friends openwechat.Friends
	var strangers []string
	seen := map[string]bool{}
	for _, ref := range req.Members {
		id := bot.LocalID(ref)
		u, ok := "", false
		if bot.PlatformOf(ref) == platformName && isPersonID(id) {
			u, ok = sess.dir.friend(id)
			if !ok {
				u, ok = a.friendByNick(ctx, sess, id)
			}
		}
		if !ok {
			strangers = append(strangers, ref)
			continue
		}
		if !seen[u] {
			seen[u] = true
			friends = append(friends, &openwechat.Friend{User: &openwechat.User{UserName: u}})
		}
	}
	if len(friends) < 2 {
		why := fmt.Sprintf("WeChat needs at least two friends of the bot account to create a group, and only %d of the %d people are", len(friends), len(req.Members))
		if len(strangers) > 0 {
			why += " (not friends: " + strings.Join(strangers, ", ") + ")"
		}
		return bot.Room{}, fmt.Errorf("%w: %s", ErrRoomUnavailable, why)
	}
	if _, exists := sess.dir.group(title); exists {
		return bot.Room{}, fmt.Errorf("%w: a WeChat group named %q already exists", ErrRoomUnavailable, title)
	}

	a.roomMu.Lock()
	defer a.roomMu.Unlock()
	opened, err := a.roomsOpened(ctx)
	if err != nil {
		return bot.Room{}, fmt.Errorf("%w: %w", ErrRoomUnavailable, err)
	}
	if len(opened) >= a.opts.RoomsPerDay {
		return bot.Room{}, fmt.Errorf("%w: the daily limit of %d new WeChat groups is reached (next at %s)",
			ErrRoomUnavailable, a.opts.RoomsPerDay, opened[0].Add(24*time.Hour).Format(time.RFC3339))
	}

	// Group creation shares the send queue and its pacing: to WeChat it is
	// one more operation from a busy account.
	if err := a.acquire(ctx); err != nil {
		return bot.Room{}, err
	}
	defer a.release()
	if err := a.pace(ctx); err != nil {
		return bot.Room{}, err
	}
	g, err := sess.bot.Caller.WebWxCreateChatRoom(ctx, &openwechat.CallerWebWxCreateChatRoomOptions{
		BaseRequest: sess.req, LoginInfo: sess.info, Topic: title, Friends: friends,
	})
	a.sent(err == nil)
	if err != nil {
		err = a.classify(sess, redact(err))
		var ra *bot.RetryAfterError
		if errors.As(err, &ra) {
			return bot.Room{}, fmt.Errorf("%w: WeChat says the account is operating too often: %w", ErrRoomUnavailable, err)
		}
		return bot.Room{}, fmt.Errorf("%w: creating the group failed: %w", ErrRoomUnavailable, err)
	}
	c := contact{userName: g.UserName, nick: title, group: true}
	for _, f := range friends {
		fc, _ := sess.dir.get(f.UserName)
		c.members = append(c.members, member{userName: f.UserName, nick: fc.nick})
	}
	sess.dir.putGroup(c)
	a.noteGroup(ctx, sess, c)
	opened = append(opened, time.Now())
	if err := a.saveRooms(ctx, opened); err != nil {
		a.log.Warn("wechat: could not count the new room", "err", err)
	}
	a.log.Info("wechat: opened a room", "case", req.Case, "group", title, "members", len(friends))
	return bot.Room{Chat: platformName + ":" + title}, nil
}

// AddToRoom adds a newly assigned volunteer to a case's group. Only friends
// of the bot account can be added; they join at once, so there is no invite
// to deliver.
func (a *Adapter) AddToRoom(ctx context.Context, room bot.Room, person string) (string, error) {
	id := bot.LocalID(person)
	if err := a.acquire(ctx); err != nil {
		return "", err
	}
	defer a.release()
	sess := a.session()
	if sess == nil {
		return "", fmt.Errorf("wechat: add %s to room: %w", person, ErrNotLoggedIn)
	}
	if bot.PlatformOf(person) != platformName || !isPersonID(id) {
		return "", bot.Permanent(fmt.Errorf("wechat: %s is not a friend of the bot account and cannot be added to a group", person))
	}
	u, ok := sess.dir.friend(id)
	if !ok {
		if u, ok = a.friendByNick(ctx, sess, id); !ok {
			return "", bot.Permanent(fmt.Errorf("wechat: no friend of the bot has id %s", id))
		}
	}
	g, err := a.resolveChat(ctx, sess, room.Chat)
	if err != nil {
		return "", fmt.Errorf("wechat: add %s to room: %w", person, err)
	}
	gc, _ := sess.dir.get(g)
	for _, m := range gc.members {
		if m.userName == u {
			return "", nil
		}
	}
	if err := a.pace(ctx); err != nil {
		return "", err
	}
	err = sess.bot.Caller.AddFriendIntoChatRoom(ctx, &openwechat.CallerAddFriendIntoChatRoomOptions{
		BaseRequest: sess.req, LoginInfo: sess.info,
		Group:       &openwechat.Group{User: &openwechat.User{UserName: g}},
		GroupLength: len(gc.members) + 1,
		Friends:     []*openwechat.Friend{{User: &openwechat.User{UserName: u}}},
	})
	a.sent(err == nil)
	if err != nil {
		return "", fmt.Errorf("wechat: add %s to room: %w", person, a.classify(sess, redact(err)))
	}
	fc, _ := sess.dir.get(u)
	gc.members = append(gc.members, member{userName: u, nick: fc.nick})
	sess.dir.putGroup(gc)
	return "", nil
}

// CloseRoom posts the closing note and renames the group "[closed] …":
// this library version cannot remove members.
func (a *Adapter) CloseRoom(ctx context.Context, room bot.Room, closingNote string) error {
	name := bot.LocalID(room.Chat)
	if strings.TrimSpace(closingNote) != "" {
		if _, err := a.Send(ctx, bot.OutMessage{Chat: room.Chat, Text: closingNote}); err != nil {
			return fmt.Errorf("wechat: close room %s: %w", name, err)
		}
	}
	if strings.HasPrefix(name, closedPrefix) {
		return nil
	}
	if err := a.acquire(ctx); err != nil {
		return err
	}
	defer a.release()
	sess := a.session()
	if sess == nil {
		return fmt.Errorf("wechat: close room %s: %w", name, ErrNotLoggedIn)
	}
	u, err := a.resolveChat(ctx, sess, room.Chat)
	if err != nil {
		return fmt.Errorf("wechat: close room: %w", err)
	}
	if err := a.pace(ctx); err != nil {
		return err
	}
	newName := truncateRunes(closedPrefix+name, 30)
	err = sess.bot.Caller.WebWxRenameChatRoom(ctx, &openwechat.CallerWebWxRenameChatRoomOptions{
		NewTopic: newName, BaseRequest: sess.req, LoginInfo: sess.info,
		Group: &openwechat.Group{User: &openwechat.User{UserName: u}},
	})
	a.sent(err == nil)
	if err != nil {
		return fmt.Errorf("wechat: rename room %s: %w", name, a.classify(sess, redact(err)))
	}
	sess.dir.renameGroup(name, newName)
	a.noteGroupRename(ctx, name, newName)
	return nil
}

// roomsOpened returns the creation times of rooms in the last 24 hours.
func (a *Adapter) roomsOpened(ctx context.Context) ([]time.Time, error) {
	v, err := a.state.GetState(ctx, keyRooms)
	if err != nil {
		return nil, fmt.Errorf("read room count: %w", err)
	}
	var all []time.Time
	if v != nil {
		if err := json.Unmarshal(v, &all); err != nil {
			return nil, fmt.Errorf("decode room count: %w", err)
		}
	}
	var recent []time.Time
	for _, t := range all {
		if time.Since(t) < 24*time.Hour {
			recent = append(recent, t)
		}
	}
	return recent, nil
}

func (a *Adapter) saveRooms(ctx context.Context, opened []time.Time) error {
	v, err := json.Marshal(opened)
	if err != nil {
		return fmt.Errorf("encode room count: %w", err)
	}
	if err := a.state.PutState(ctx, keyRooms, v); err != nil {
		return fmt.Errorf("save room count: %w", err)
	}
	return nil
}
