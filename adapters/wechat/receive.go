package wechat

import (
	"strings"
	"time"

	"github.com/eatmoreapple/openwechat"

	"github.com/lifeline-aid/lifeline/bot"
)

// onMessage runs inside the library's sync goroutine, one message at a
// time. It may call the library (the sync goroutine owns its caches) but
// must not wait on the engine: the message goes to the dispatcher's queue.
func (a *Adapter) onMessage(sess *session, m *openwechat.Message) {
	ctx := sess.ctx
	switch {
	case m.IsSendBySelf():
		return
	case m.IsFriendAdd():
		a.onFriendRequest(sess, m)
		return
	case m.IsRenameGroup():
		a.onGroupRenamed(sess, m)
		return
	}
	out := bot.Message{
		ID:   m.MsgId,
		Time: time.Unix(m.CreateTime, 0),
		Kind: bot.KindText,
	}
	if !a.mapContent(m, &out) {
		return
	}
	if out.Time.Unix() <= 0 {
		out.Time = time.Now()
	}
	switch {
	case m.IsSendByGroup():
		g, err := m.Sender()
		if err != nil {
			a.log.Warn("wechat: group message from an unknown group; skipped", "msg", m.MsgId, "err", redact(err))
			return
		}
		gc := contactOf(g)
		if gc.nick == "" {
			a.log.Warn("wechat: message in a group without a name; give the group a name to use it with Lifeline", "msg", m.MsgId)
			return
		}
		a.noteGroupSeen(sess, gc)
		who, err := m.SenderInGroup()
		if err != nil {
			a.log.Warn("wechat: cannot tell who wrote in the group; skipped", "group", gc.nick, "msg", m.MsgId, "err", redact(err))
			return
		}
		mem := member{userName: who.UserName, nick: openwechat.FormatEmoji(who.NickName), display: openwechat.FormatEmoji(who.DisplayName)}
		out.Chat = platformName + ":" + gc.nick
		out.ChatName = gc.nick
		out.SenderName = mem.name()
		out.Sender = a.memberRef(sess, m, gc.nick, mem)
		out.Mentioned = m.IsAt()
		if out.Mentioned && m.IsText() {
			out.Text = stripMention(out.Text, sess.selfNick, groupDisplayName(gc, sess.self))
		}
		if m.IsText() {
			applyQuote(&out, func(name string) string {
				if name == sess.selfNick || name == groupDisplayName(gc, sess.self) {
					return ""
				}
				for _, other := range gc.members {
					if other.name() == name {
						return a.memberRef(sess, m, gc.nick, other)
					}
				}
				return platformName + ":" + gc.nick + "/" + name
			})
		}
	case m.IsSendByFriend():
		u, err := m.Sender()
		if err != nil {
			a.log.Warn("wechat: private message from an unknown sender; skipped", "msg", m.MsgId, "err", redact(err))
			return
		}
		if !u.IsFriend() || u.IsMP() {
			return
		}
		c := contactOf(u)
		ref, err := a.friendRef(ctx, sess, c)
		if err != nil {
			a.log.Error("wechat: cannot assign a person id; message skipped", "msg", m.MsgId, "err", redact(err))
			return
		}
		out.Chat, out.Sender = ref, ref
		out.Private = true
		out.ChatName, out.SenderName = c.nick, c.nick
		if m.IsText() {
			applyQuote(&out, func(name string) string {
				if name == c.nick {
					return ref
				}
				return "" // the bot, quoted back to it
			})
		}
	default:
		return
	}
	a.enqueue(ctx, out)
}

// memberRef names a group member: a friend by their bot-assigned id, anyone
// else by group and display name (WeChat web cannot message them anyway).
func (a *Adapter) memberRef(sess *session, m *openwechat.Message, groupName string, mem member) string {
	c, ok := sess.dir.get(mem.userName)
	if !ok {
		// Not in the contact list loaded at login: the library's cache may
		// know a friend added since.
		if members, err := m.Owner().Members(); err == nil {
			if u, found := members.GetByUserName(mem.userName); found && u.IsFriend() {
				c, ok = contactOf(u), true
			}
		}
	}
	if ok && !c.group {
		ref, err := a.friendRef(sess.ctx, sess, c)
		if err == nil {
			return ref
		}
		a.log.Warn("wechat: cannot assign a person id; using the group name", "err", redact(err))
	}
	return platformName + ":" + groupName + "/" + mem.name()
}

func groupDisplayName(g contact, self string) string {
	for _, m := range g.members {
		if m.userName == self {
			return m.display
		}
	}
	return ""
}

// stripMention removes "@bot" (followed by WeChat's U+2005 or a space) so
// the engine sees the words, including any command, that follow it.
func stripMention(text string, names ...string) string {
	for _, n := range names {
		if n == "" {
			continue
		}
		for _, sep := range []string{"\u2005", " "} {
			text = strings.ReplaceAll(text, "@"+n+sep, "")
		}
		text = strings.TrimSuffix(text, "@"+n)
	}
	return strings.TrimSpace(text)
}

// noteGroupSeen updates the directory from a group that just spoke, and
// notices a group whose name changed since we last saw it.
func (a *Adapter) noteGroupSeen(sess *session, gc contact) {
	old, known := sess.dir.get(gc.userName)
	sess.dir.putGroup(gc)
	if known && old.nick != "" && old.nick != gc.nick {
		a.groupRenamed(sess, old.nick, gc.nick)
		return
	}
	if !known {
		a.noteGroup(sess.ctx, sess, gc)
	}
}

// onGroupRenamed handles the "X 修改群名为 …" system message: refresh the
// group from WeChat and compare names.
func (a *Adapter) onGroupRenamed(sess *session, m *openwechat.Message) {
	g, err := m.Sender()
	if err != nil {
		return
	}
	// The directory has the name the bot knew; the library's copy may
	// already be fresh or still stale, so read the group again.
	before := openwechat.FormatEmoji(g.NickName)
	if old, ok := sess.dir.get(g.UserName); ok && old.nick != "" {
		before = old.nick
	}
	if err := g.Detail(); err != nil {
		a.log.Warn("wechat: group renamed but its new name could not be read", "group", before, "err", redact(err))
		return
	}
	gc := contactOf(g)
	sess.dir.putGroup(gc)
	if before != "" && before != gc.nick {
		a.groupRenamed(sess, before, gc.nick)
	}
}

func (a *Adapter) groupRenamed(sess *session, oldName, newName string) {
	if strings.HasPrefix(newName, closedPrefix) && strings.TrimPrefix(newName, closedPrefix) == oldName {
		return // the bot closed a room itself
	}
	sess.dir.renameGroup(oldName, newName)
	a.noteGroupRename(sess.ctx, oldName, newName)
	a.reportRename(sess.ctx, oldName, newName)
}

// onFriendRequest accepts a friend request when configured, and gives the
// new friend an id at once.
func (a *Adapter) onFriendRequest(sess *session, m *openwechat.Message) {
	nick := m.RecommendInfo.NickName
	if !a.opts.AcceptFriends {
		a.log.Info("wechat: friend request not accepted (accept_friends is off)", "nick", nick)
		return
	}
	f, err := m.Agree()
	if err != nil {
		a.log.Warn("wechat: could not accept a friend request", "nick", nick, "err", redact(err))
		return
	}
	ref, err := a.friendRef(sess.ctx, sess, contactOf(f.User))
	if err != nil {
		a.log.Warn("wechat: accepted a friend but could not assign an id", "nick", nick, "err", redact(err))
		return
	}
	a.log.Info("wechat: accepted a friend request", "nick", nick, "person", ref)
}
