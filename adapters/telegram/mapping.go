package telegram

import (
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/lifeline-aid/lifeline/bot"
)

// mapUpdate turns an update into the engine's form. It reports false for
// updates Lifeline does not act on (stickers, channel posts, inline
// queries…), which are then simply confirmed.
func (a *Adapter) mapUpdate(u *models.Update) (bot.Message, bool) {
	switch {
	case u.Message != nil:
		return a.mapMessage(u.Message, false)
	case u.EditedMessage != nil:
		return a.mapMessage(u.EditedMessage, true)
	case u.CallbackQuery != nil:
		return a.mapCallback(u.CallbackQuery)
	case u.MyChatMember != nil:
		return a.mapMyMember(u.ID, u.MyChatMember)
	}
	return bot.Message{}, false
}

func (a *Adapter) mapMessage(m *models.Message, edited bool) (bot.Message, bool) {
	if m.Chat.Type == models.ChatTypeChannel {
		return bot.Message{}, false
	}
	out := bot.Message{
		Chat:     Ref(m.Chat.ID),
		Private:  m.Chat.Type == models.ChatTypePrivate,
		ChatName: chatName(m.Chat),
		ID:       strconv.Itoa(m.ID),
		Time:     time.Unix(int64(m.Date), 0),
		Edited:   edited,
	}
	if edited && m.EditDate != 0 {
		out.Time = time.Unix(int64(m.EditDate), 0)
	}
	switch {
	case m.From != nil:
		out.Sender, out.SenderName = Ref(m.From.ID), userName(*m.From)
	case m.SenderChat != nil:
		// An anonymous admin or a linked channel speaks as a chat.
		out.Sender, out.SenderName = Ref(m.SenderChat.ID), chatName(*m.SenderChat)
	}
	if m.IsTopicMessage && m.MessageThreadID != 0 {
		out.Thread = strconv.Itoa(m.MessageThreadID)
	}
	switch {
	case m.MigrateToChatID != 0:
		out.Kind, out.NewChat = bot.KindMigrated, Ref(m.MigrateToChatID)
		return out, true
	case m.MigrateFromChatID != 0:
		// The same migration seen from the new supergroup; the old group's
		// message carries it.
		return bot.Message{}, false
	case m.LeftChatMember != nil && m.LeftChatMember.ID == a.me.ID:
		out.Kind = bot.KindLeft
		return out, true
	}
	for _, nm := range m.NewChatMembers {
		if nm.ID == a.me.ID {
			out.Kind = bot.KindJoined
			return out, true
		}
	}
	text := m.Text
	if text == "" {
		text = m.Caption
	}
	if text == "" {
		return bot.Message{}, false
	}
	text, addressed := a.normaliseCommand(text)
	out.Text = text
	out.Mentioned = addressed || a.mentions(m, text)
	return out, true
}

// normaliseCommand turns "/cmd@ThisBot args" into "/cmd args" and reports
// whether the command named this bot. A command for another bot is left
// alone, so the engine does not take it for its own.
func (a *Adapter) normaliseCommand(text string) (string, bool) {
	if !strings.HasPrefix(text, "/") {
		return text, false
	}
	end := strings.IndexAny(text, " \n\t")
	if end < 0 {
		end = len(text)
	}
	cmd, name, ok := strings.Cut(text[:end], "@")
	if !ok || a.me.Username == "" || !strings.EqualFold(name, a.me.Username) {
		return text, false
	}
	return cmd + text[end:], true
}

// mentions reports whether the message addresses the bot: an @username
// mention, a text mention of the bot's user, or a reply to the bot.
func (a *Adapter) mentions(m *models.Message, text string) bool {
	if a.me.Username != "" {
		lower, at := strings.ToLower(text), "@"+strings.ToLower(a.me.Username)
		for i := strings.Index(lower, at); i >= 0; {
			end := i + len(at)
			if end == len(lower) || !isNameByte(lower[end]) {
				return true
			}
			next := strings.Index(lower[end:], at)
			if next < 0 {
				break
			}
			i = end + next
		}
	}
	for _, e := range append(m.Entities, m.CaptionEntities...) {
		if e.Type == models.MessageEntityTypeTextMention && e.User != nil && e.User.ID == a.me.ID {
			return true
		}
	}
	return m.ReplyToMessage != nil && m.ReplyToMessage.From != nil && m.ReplyToMessage.From.ID == a.me.ID
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

func (a *Adapter) mapCallback(q *models.CallbackQuery) (bot.Message, bool) {
	var chat models.Chat
	var msgID, thread int
	switch {
	case q.Message.Message != nil:
		chat, msgID = q.Message.Message.Chat, q.Message.Message.ID
		if q.Message.Message.IsTopicMessage {
			thread = q.Message.Message.MessageThreadID
		}
	case q.Message.InaccessibleMessage != nil:
		chat, msgID = q.Message.InaccessibleMessage.Chat, q.Message.InaccessibleMessage.MessageID
	default:
		// A button on an inline-mode message has no chat to act in.
		return bot.Message{}, false
	}
	out := bot.Message{
		Chat:       Ref(chat.ID),
		Private:    chat.Type == models.ChatTypePrivate,
		ChatName:   chatName(chat),
		ID:         "cb:" + q.ID,
		Sender:     Ref(q.From.ID),
		SenderName: userName(q.From),
		Text:       q.Data,
		Time:       time.Now(),
		Callback:   &bot.Callback{ID: q.ID, Data: q.Data, MessageID: strconv.Itoa(msgID)},
	}
	if thread != 0 {
		out.Thread = strconv.Itoa(thread)
	}
	return out, true
}

// mapMyMember reports the bot being added to or removed from a chat.
func (a *Adapter) mapMyMember(updateID int64, c *models.ChatMemberUpdated) (bot.Message, bool) {
	was, is := present(c.OldChatMember), present(c.NewChatMember)
	if was == is || c.Chat.Type == models.ChatTypeChannel {
		// Promotions and demotions change nothing for the engine.
		return bot.Message{}, false
	}
	out := bot.Message{
		Chat:       Ref(c.Chat.ID),
		Private:    c.Chat.Type == models.ChatTypePrivate,
		ChatName:   chatName(c.Chat),
		ID:         "member:" + strconv.FormatInt(updateID, 10),
		Sender:     Ref(c.From.ID),
		SenderName: userName(c.From),
		Time:       time.Unix(int64(c.Date), 0),
		Kind:       bot.KindLeft,
	}
	if is {
		out.Kind = bot.KindJoined
	}
	return out, true
}

// present reports whether a chat member status means "in the chat".
func present(m models.ChatMember) bool {
	switch m.Type {
	case models.ChatMemberTypeOwner, models.ChatMemberTypeAdministrator, models.ChatMemberTypeMember:
		return true
	case models.ChatMemberTypeRestricted:
		return m.Restricted != nil && m.Restricted.IsMember
	}
	return false
}

func chatName(c models.Chat) string {
	if c.Title != "" {
		return c.Title
	}
	return strings.TrimSpace(c.FirstName + " " + c.LastName)
}

func userName(u models.User) string {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" && u.Username != "" {
		return "@" + u.Username
	}
	return name
}
