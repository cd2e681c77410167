package telegramtest

import (
	"strconv"
	"time"

	"github.com/go-telegram/bot/models"
)

// User returns a person with the given id and first name.
func User(id int64, name string) models.User {
	return models.User{ID: id, FirstName: name, LanguageCode: "zh"}
}

// Group returns a group chat; ids below -1000000000000 are supergroups.
func Group(id int64, title string) models.Chat {
	c := chatOf(id)
	c.Title = title
	return c
}

// Forum returns a forum supergroup.
func Forum(id int64, title string) models.Chat {
	c := Group(id, title)
	c.IsForum = true
	return c
}

// Private returns the private chat between u and the bot.
func Private(u models.User) models.Chat {
	return models.Chat{ID: u.ID, Type: models.ChatTypePrivate, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username}
}

// NewMessage builds a message from "from" in chat with the next message id.
func (s *Server) NewMessage(chat models.Chat, from models.User, text string) *models.Message {
	return &models.Message{ID: s.NextMessageID(chat.ID), From: &from, Chat: chat, Date: int(time.Now().Unix()), Text: text}
}

// PushText queues a text message and returns its update.
func (s *Server) PushText(chat models.Chat, from models.User, text string) models.Update {
	u := models.Update{Message: s.NewMessage(chat, from, text)}
	u.ID = s.Push(u)
	return u
}

// PushEdit queues an edit of an earlier message.
func (s *Server) PushEdit(m *models.Message, text string) models.Update {
	e := *m
	e.Text = text
	e.EditDate = int(time.Now().Unix())
	u := models.Update{EditedMessage: &e}
	u.ID = s.Push(u)
	return u
}

// PushCallback queues a button press on a message the bot sent.
func (s *Server) PushCallback(chat models.Chat, from models.User, messageID int, data string) models.Update {
	s.mu.Lock()
	s.nextUpdate++
	id := s.nextUpdate
	text := ""
	if m, ok := s.messages[chat.ID][messageID]; ok {
		text = m.Text
	}
	s.mu.Unlock()
	msg := &models.Message{ID: messageID, From: &s.Me, Chat: chat, Date: int(time.Now().Unix()), Text: text}
	u := models.Update{ID: id, CallbackQuery: &models.CallbackQuery{
		ID: "cbq" + strconv.FormatInt(id, 10), From: from, ChatInstance: "ci" + strconv.FormatInt(chat.ID, 10), Data: data,
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: msg},
	}}
	s.Push(u)
	return u
}

// MyChatMember builds the update Telegram sends when the bot's own
// membership in chat changes from oldStatus to newStatus ("member",
// "administrator", "left", "kicked").
func (s *Server) MyChatMember(chat models.Chat, by models.User, oldStatus, newStatus models.ChatMemberType) models.Update {
	return models.Update{MyChatMember: &models.ChatMemberUpdated{
		Chat: chat, From: by, Date: int(time.Now().Unix()),
		OldChatMember: member(oldStatus, s.Me), NewChatMember: member(newStatus, s.Me),
	}}
}

func member(t models.ChatMemberType, u models.User) models.ChatMember {
	m := models.ChatMember{Type: t}
	switch t {
	case models.ChatMemberTypeOwner:
		m.Owner = &models.ChatMemberOwner{User: &u}
	case models.ChatMemberTypeAdministrator:
		m.Administrator = &models.ChatMemberAdministrator{User: u}
	case models.ChatMemberTypeMember:
		m.Member = &models.ChatMemberMember{User: &u}
	case models.ChatMemberTypeRestricted:
		m.Restricted = &models.ChatMemberRestricted{User: &u}
	case models.ChatMemberTypeLeft:
		m.Left = &models.ChatMemberLeft{User: &u}
	case models.ChatMemberTypeBanned:
		m.Banned = &models.ChatMemberBanned{User: &u}
	}
	return m
}
