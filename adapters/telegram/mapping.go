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
	out.Sender, out.SenderName = senderOf(m)
	if m.From != nil {
		out.SenderHandle = m.From.Username
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
	text := textOf(m)
	out.Media = mediaOf(m)
	out.Location = locationOf(m)
	out.Contact = contactOf(m.Contact)
	out.Forward = forwardOf(m.ForwardOrigin)
	if r := m.ReplyToMessage; r != nil && r.ForumTopicCreated == nil {
		// Inside a forum topic every message "replies" to the topic's
		// first service message; only a real reply is one.
		out.ReplyTo = strconv.Itoa(r.ID)
		if r.From == nil || r.From.ID != a.me.ID {
			// The bot's own messages are nobody's plea.
			out.Replied = repliedOf(r)
		}
	}
	if text == "" && len(out.Media) == 0 && out.Location == nil && out.Contact == nil {
		// Polls, dice, games, pinned-message notices and other service
		// messages carry nothing a person could ask with.
		return bot.Message{}, false
	}
	if edited && out.Location != nil && m.Location != nil && m.Location.LivePeriod > 0 && !a.liveLocationDue(out.Chat, out.ID) {
		// A live location is edited every few seconds while it is shared;
		// the engine hears a fresh position at most every liveLocationGap.
		return bot.Message{}, false
	}
	text, addressed, other := a.normaliseCommand(text)
	if other {
		// "/claim@otherbot 42" is for another bot in the group; the engine
		// must never act on it (#12 item 7).
		a.log.Debug("command for another bot ignored", "chat", out.Chat, "msg", out.ID)
		return bot.Message{}, false
	}
	out.Text = text
	out.Mentioned = addressed || a.mentions(m, text)
	return out, true
}

// liveLocationGap is the least time between two positions of one live
// location handed to the engine.
const liveLocationGap = 5 * time.Minute

// liveLocationDue reports whether an edit of a live location should reach
// the engine, and records it when it does.
func (a *Adapter) liveLocationDue(chat, id string) bool {
	a.liveMu.Lock()
	defer a.liveMu.Unlock()
	now := time.Now()
	for k, at := range a.live {
		if now.Sub(at) > 24*time.Hour {
			delete(a.live, k)
		}
	}
	key := chat + "/" + id
	if at, ok := a.live[key]; ok && now.Sub(at) < liveLocationGap {
		return false
	}
	a.live[key] = now
	return true
}

// mediaOf maps the non-text parts of a message: the largest photo size,
// and any voice, audio, document, video, video note, animation or sticker.
func mediaOf(m *models.Message) []bot.Media {
	var out []bot.Media
	if n := len(m.Photo); n > 0 {
		best := m.Photo[0]
		for _, p := range m.Photo[1:] {
			if p.Width*p.Height > best.Width*best.Height {
				best = p
			}
		}
		out = append(out, bot.Media{Kind: bot.MediaPhoto, Ref: best.FileID, MIME: "image/jpeg",
			Size: int64(best.FileSize), Width: best.Width, Height: best.Height})
	}
	if v := m.Voice; v != nil {
		out = append(out, bot.Media{Kind: bot.MediaVoice, Ref: v.FileID, MIME: v.MimeType, Size: v.FileSize, Duration: seconds(v.Duration)})
	}
	if v := m.Audio; v != nil {
		name := v.FileName
		if name == "" {
			name = strings.TrimSpace(strings.TrimSpace(v.Performer + " " + v.Title))
		}
		out = append(out, bot.Media{Kind: bot.MediaAudio, Ref: v.FileID, MIME: v.MimeType, Name: name, Size: v.FileSize, Duration: seconds(v.Duration)})
	}
	if v := m.Video; v != nil {
		out = append(out, bot.Media{Kind: bot.MediaVideo, Ref: v.FileID, MIME: v.MimeType, Name: v.FileName, Size: v.FileSize,
			Duration: seconds(v.Duration), Width: v.Width, Height: v.Height})
	}
	if v := m.VideoNote; v != nil {
		// A round video note is often how someone who cannot type speaks.
		out = append(out, bot.Media{Kind: bot.MediaVideo, Ref: v.FileID, MIME: "video/mp4", Size: int64(v.FileSize),
			Duration: seconds(v.Duration), Width: v.Length, Height: v.Length})
	}
	if v := m.Animation; v != nil {
		out = append(out, bot.Media{Kind: bot.MediaVideo, Ref: v.FileID, MIME: v.MimeType, Name: v.FileName, Size: v.FileSize,
			Duration: seconds(v.Duration), Width: v.Width, Height: v.Height})
	} else if v := m.Document; v != nil {
		// Telegram sends an animation as a document too; it is mapped once.
		out = append(out, bot.Media{Kind: bot.MediaDocument, Ref: v.FileID, MIME: v.MimeType, Name: v.FileName, Size: v.FileSize})
	}
	if v := m.Sticker; v != nil {
		out = append(out, bot.Media{Kind: bot.MediaSticker, Ref: v.FileID, Name: v.Emoji, Width: v.Width, Height: v.Height})
	}
	return out
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// locationOf maps a venue (a named place) or a map pin.
func locationOf(m *models.Message) *bot.Location {
	switch {
	case m.Venue != nil:
		return &bot.Location{Lat: m.Venue.Location.Latitude, Lon: m.Venue.Location.Longitude, Title: m.Venue.Title, Address: m.Venue.Address}
	case m.Location != nil:
		return &bot.Location{Lat: m.Location.Latitude, Lon: m.Location.Longitude}
	}
	return nil
}

func contactOf(c *models.Contact) *bot.Contact {
	if c == nil {
		return nil
	}
	out := &bot.Contact{Phone: strings.TrimSpace(c.PhoneNumber), Name: strings.TrimSpace(c.FirstName + " " + c.LastName)}
	if c.UserID != 0 {
		out.Person = Ref(c.UserID)
	}
	return out
}

// forwardOf maps where a forwarded message first came from: a person, a
// person who hides their account (a name only), a group speaking as
// itself, or a channel.
func forwardOf(o *models.MessageOrigin) *bot.Forward {
	if o == nil {
		return nil
	}
	switch {
	case o.MessageOriginUser != nil:
		u := o.MessageOriginUser
		return &bot.Forward{From: Ref(u.SenderUser.ID), FromName: userName(u.SenderUser), At: unix(u.Date)}
	case o.MessageOriginHiddenUser != nil:
		u := o.MessageOriginHiddenUser
		return &bot.Forward{FromName: u.SenderUserName, At: unix(u.Date)}
	case o.MessageOriginChat != nil:
		c := o.MessageOriginChat
		return &bot.Forward{FromName: signed(chatName(c.SenderChat), c.AuthorSignature), Chat: Ref(c.SenderChat.ID), At: unix(c.Date)}
	case o.MessageOriginChannel != nil:
		c := o.MessageOriginChannel
		return &bot.Forward{FromName: signed(chatName(c.Chat), c.AuthorSignature), Chat: Ref(c.Chat.ID), At: unix(c.Date)}
	}
	return nil
}

func signed(name string, signature *string) string {
	if signature != nil && *signature != "" {
		return *signature + " (" + name + ")"
	}
	return name
}

func unix(sec int) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(int64(sec), 0)
}

// normaliseCommand turns "/cmd@ThisBot args" into "/cmd args" and reports
// whether the command named this bot, or (other) named another bot, in
// which case the message is not for Lifeline at all.
func (a *Adapter) normaliseCommand(text string) (out string, addressed, other bool) {
	if !strings.HasPrefix(text, "/") {
		return text, false, false
	}
	end := strings.IndexAny(text, " \n\t")
	if end < 0 {
		end = len(text)
	}
	cmd, name, ok := strings.Cut(text[:end], "@")
	if !ok || !isCommandName(cmd[1:]) || name == "" {
		// "/" alone, a path such as /usr/bin, or "/cmd@" with no name.
		return text, false, false
	}
	if a.me.Username == "" || !strings.EqualFold(name, a.me.Username) {
		return text, false, true
	}
	return cmd + text[end:], true, false
}

// isCommandName reports whether s can be a bot command (1-32 of a-z,
// 0-9 and _, any case as people type it).
func isCommandName(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; !(c >= 'a' && c <= 'z' || s[i] >= '0' && s[i] <= '9' || s[i] == '_') {
			return false
		}
	}
	return true
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
		Chat:         Ref(chat.ID),
		Private:      chat.Type == models.ChatTypePrivate,
		ChatName:     chatName(chat),
		ID:           "cb:" + q.ID,
		Sender:       Ref(q.From.ID),
		SenderName:   userName(q.From),
		SenderHandle: q.From.Username,
		Text:         q.Data,
		Time:         time.Now(),
		Callback:     &bot.Callback{ID: q.ID, Data: q.Data, MessageID: strconv.Itoa(msgID)},
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

// senderOf is who wrote m: a person, or a chat when an anonymous admin or
// a linked channel speaks as one.
func senderOf(m *models.Message) (ref, name string) {
	switch {
	case m.From != nil:
		return Ref(m.From.ID), userName(*m.From)
	case m.SenderChat != nil:
		return Ref(m.SenderChat.ID), chatName(*m.SenderChat)
	}
	return "", ""
}

// textOf is what m says: its text, or the caption of its media.
func textOf(m *models.Message) string {
	if m.Text != "" {
		return m.Text
	}
	return m.Caption
}

// repliedOf is who wrote the message a reply answers and what it said,
// or nil when it carries neither.
func repliedOf(r *models.Message) *bot.Replied {
	sender, name := senderOf(r)
	text := textOf(r)
	if sender == "" && text == "" {
		return nil
	}
	out := &bot.Replied{Sender: sender, SenderName: name, Text: text}
	if r.Date > 0 {
		out.Time = time.Unix(int64(r.Date), 0)
	}
	return out
}
