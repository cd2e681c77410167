package telegramtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
)

// stored is a file the server holds, for getFile and downloads.
type stored struct {
	id, path, name string
	data           []byte
}

// AddFile stores data as a file people sent and returns its file_id, for
// building media messages (PushVoice, PushPhoto…) and for getFile.
func (s *Server) AddFile(name string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addFileLocked(name, data).id
}

func (s *Server) addFileLocked(name string, data []byte) *stored {
	s.nextFile++
	f := &stored{id: fmt.Sprintf("FILE%04d", s.nextFile), name: name, data: append([]byte(nil), data...)}
	f.path = fmt.Sprintf("documents/file_%d_%s", s.nextFile, strings.ReplaceAll(name, "/", "_"))
	s.files[f.id] = f
	return f
}

// FileData returns the bytes stored under a file_id.
func (s *Server) FileData(fileID string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[fileID]
	if !ok {
		return nil, false
	}
	return append([]byte(nil), f.data...), true
}

// maxBotDownload is the Bot API's download limit for bots.
const maxBotDownload = 20 << 20

func (s *Server) getFile(p params) (any, *apiError) {
	f, ok := s.files[p["file_id"]]
	if !ok {
		return nil, &apiError{code: 400, desc: "Bad Request: invalid file_id"}
	}
	if len(f.data) > maxBotDownload {
		return nil, &apiError{code: 400, desc: "Bad Request: file is too big"}
	}
	return models.File{FileID: f.id, FileUniqueID: "u" + f.id, FileSize: int64(len(f.data)), FilePath: f.path}, nil
}

// download serves /file/bot<token>/<path>.
func (s *Server) download(w http.ResponseWriter, rest string) {
	token, path, ok := strings.Cut(rest, "/")
	if !ok || token != s.Token {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	var data []byte
	found := false
	for _, f := range s.files {
		if f.path == path {
			data, found = f.data, true
			break
		}
	}
	s.mu.Unlock()
	if !found {
		http.NotFound(w, nil)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(data)
}

// fileField is the parameter that carries the file of each send method.
var fileField = map[string]string{
	"sendPhoto": "photo", "sendVoice": "voice", "sendAudio": "audio", "sendVideo": "video", "sendDocument": "document",
}

func (s *Server) sendFile(method string, p params, uploads map[string]upload) (any, *apiError) {
	chat := p.int64("chat_id")
	if chat == 0 {
		return nil, &apiError{code: 400, desc: "Bad Request: chat not found"}
	}
	if to, ok := s.migrated[chat]; ok {
		return nil, &apiError{code: 400, desc: "Bad Request: group chat was upgraded to a supergroup chat", migrateTo: to}
	}
	field := fileField[method]
	file := &File{Method: method}
	switch ref := p[field]; {
	case strings.HasPrefix(ref, "attach://") || uploads[field].data != nil || strings.HasPrefix(ref, "@"):
		up, ok := uploads[field]
		if !ok {
			if up, ok = uploads[strings.TrimPrefix(strings.TrimPrefix(ref, "attach://"), "@")]; !ok {
				return nil, &apiError{code: 400, desc: "Bad Request: there is no " + field + " in the request"}
			}
		}
		if len(up.data) == 0 {
			return nil, &apiError{code: 400, desc: "Bad Request: file must be non-empty"}
		}
		f := s.addFileLocked(up.name, up.data)
		file.Name, file.Data, file.FileID = up.name, f.data, f.id
	case ref != "":
		f, ok := s.files[ref]
		if !ok {
			return nil, &apiError{code: 400, desc: "Bad Request: wrong file identifier/HTTP URL specified"}
		}
		file.Data, file.FileID = f.data, f.id
	default:
		return nil, &apiError{code: 400, desc: "Bad Request: there is no " + field + " in the request"}
	}
	caption, aerr := render(p["caption"], p["parse_mode"])
	if aerr != nil {
		return nil, aerr
	}
	if utf16Len(caption) > 1024 {
		return nil, &apiError{code: 400, desc: "Bad Request: message caption is too long"}
	}
	return s.post(chat, p, caption, file, nil)
}

// post records one message the bot sent (a file or a copy) after the
// checks every send shares: thread, keyboards, rate limits.
func (s *Server) post(chat int64, p params, text string, file *File, copyOf *MessageRef) (any, *apiError) {
	kb, aerr := keyboard(p["reply_markup"])
	if aerr != nil {
		return nil, aerr
	}
	rk, remove, aerr := replyKeyboard(p["reply_markup"], chat)
	if aerr != nil {
		return nil, aerr
	}
	if thread := int(p.int64("message_thread_id")); thread != 0 && s.forums[chat] {
		if thread <= 1000 || thread > 1000+s.nextTopic[chat] {
			return nil, &apiError{code: 400, desc: "Bad Request: message thread not found"}
		}
		if s.closed[chat][thread] {
			return nil, &apiError{code: 400, desc: "Bad Request: TOPIC_CLOSED"}
		}
	}
	now := time.Now()
	if aerr := s.rate(chat, now); aerr != nil {
		return nil, aerr
	}
	s.nextMsg[chat]++
	m := &Sent{Chat: chat, Thread: int(p.int64("message_thread_id")), MessageID: s.nextMsg[chat],
		Text: text, Raw: p["caption"], ParseMode: p["parse_mode"], Keyboard: kb, ReplyKeyboard: rk, RemoveKeyboard: remove,
		File: file, CopyOf: copyOf, At: now}
	if s.messages[chat] == nil {
		s.messages[chat] = map[int]*Sent{}
	}
	s.messages[chat][m.MessageID] = m
	s.sent = append(s.sent, *m)
	if copyOf != nil {
		return models.MessageID{ID: m.MessageID}, nil
	}
	out := s.reply(m)
	out.Text, out.Caption = "", m.Text
	return out, nil
}

func (s *Server) copyMessage(p params) (any, *apiError) {
	chat, from, id := p.int64("chat_id"), p.int64("from_chat_id"), int(p.int64("message_id"))
	if chat == 0 {
		return nil, &apiError{code: 400, desc: "Bad Request: chat not found"}
	}
	if !s.incoming[from][id] && s.messages[from][id] == nil {
		return nil, &apiError{code: 400, desc: "Bad Request: message to copy not found"}
	}
	caption, aerr := render(p["caption"], p["parse_mode"])
	if aerr != nil {
		return nil, aerr
	}
	if utf16Len(caption) > 1024 {
		return nil, &apiError{code: 400, desc: "Bad Request: message caption is too long"}
	}
	return s.post(chat, p, caption, nil, &MessageRef{Chat: from, MessageID: id})
}

func (s *Server) editMessageCaption(p params) (any, *apiError) {
	chat, id := p.int64("chat_id"), int(p.int64("message_id"))
	m, ok := s.messages[chat][id]
	if !ok {
		return nil, &apiError{code: 400, desc: "Bad Request: message to edit not found"}
	}
	if m.File == nil && m.CopyOf == nil {
		return nil, &apiError{code: 400, desc: "Bad Request: there is no caption in the message to edit"}
	}
	text, aerr := render(p["caption"], p["parse_mode"])
	if aerr != nil {
		return nil, aerr
	}
	kb, aerr := keyboard(p["reply_markup"])
	if aerr != nil {
		return nil, aerr
	}
	if text == m.Text && sameKeyboard(kb, m.Keyboard) {
		return nil, &apiError{code: 400, desc: "Bad Request: message is not modified"}
	}
	m.Text, m.Raw, m.ParseMode, m.Keyboard = text, p["caption"], p["parse_mode"], kb
	s.edits = append(s.edits, *m)
	return s.reply(m), nil
}

// replyKeyboard reads a one-tap reply keyboard or its removal. Contact and
// location buttons work in private chats only, as on Telegram.
func replyKeyboard(raw string, chat int64) ([][]KeyButton, bool, *apiError) {
	if raw == "" {
		return nil, false, nil
	}
	var m struct {
		Keyboard       [][]KeyButton `json:"keyboard"`
		RemoveKeyboard bool          `json:"remove_keyboard"`
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, false, &apiError{code: 400, desc: "Bad Request: can't parse reply keyboard markup JSON object"}
	}
	for _, row := range m.Keyboard {
		for _, b := range row {
			if (b.RequestContact || b.RequestLocation) && chat < 0 {
				return nil, false, &apiError{code: 400, desc: "Bad Request: phone number can be requested in private chats only"}
			}
		}
	}
	return m.Keyboard, m.RemoveKeyboard, nil
}

func parseScope(raw string) (scope string, chat int64, aerr *apiError) {
	if raw == "" {
		return "default", 0, nil
	}
	var sc struct {
		Type   string          `json:"type"`
		ChatID json.RawMessage `json:"chat_id"`
	}
	if err := json.Unmarshal([]byte(raw), &sc); err != nil {
		return "", 0, &apiError{code: 400, desc: "Bad Request: can't parse BotCommandScope JSON object"}
	}
	if sc.Type == "chat" {
		if err := json.Unmarshal(sc.ChatID, &chat); err != nil || chat == 0 {
			return "", 0, &apiError{code: 400, desc: "Bad Request: chat not found"}
		}
	}
	return sc.Type, chat, nil
}

func (s *Server) deleteMyCommands(p params) (any, *apiError) {
	scope, chat, aerr := parseScope(p["scope"])
	if aerr != nil {
		return nil, aerr
	}
	s.commands = append(s.commands, CommandSet{Scope: scope, Chat: chat, Language: p["language_code"], Deleted: true})
	return true, nil
}

// Menu returns the commands currently published for a scope ("default",
// "all_private_chats", "all_group_chats", "chat" with its chat) and
// language, after every setMyCommands and deleteMyCommands so far.
func (s *Server) Menu(scope string, chat int64, lang string) []models.BotCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	var cur []models.BotCommand
	for _, c := range s.commands {
		if c.Scope == scope && c.Chat == chat && c.Language == lang {
			cur = c.Commands
			if c.Deleted {
				cur = nil
			}
		}
	}
	return cur
}

// PushMedia queues a message from "from" in chat built by fill, which sets
// its media, location, contact or forward fields, and returns the update.
func (s *Server) PushMedia(chat models.Chat, from models.User, caption string, fill func(m *models.Message)) models.Update {
	m := s.NewMessage(chat, from, "")
	m.Caption = caption
	fill(m)
	u := models.Update{Message: m}
	u.ID = s.Push(u)
	return u
}

// PushVoice queues a voice note of data lasting d.
func (s *Server) PushVoice(chat models.Chat, from models.User, data []byte, d time.Duration) models.Update {
	id := s.AddFile("voice.ogg", data)
	return s.PushMedia(chat, from, "", func(m *models.Message) {
		m.Voice = &models.Voice{FileID: id, FileUniqueID: "u" + id, Duration: int(d / time.Second), MimeType: "audio/ogg", FileSize: int64(len(data))}
	})
}

// PushPhoto queues a photo in three sizes (the last the largest), with a
// caption.
func (s *Server) PushPhoto(chat models.Chat, from models.User, data []byte, caption string) models.Update {
	small := s.AddFile("small.jpg", data[:len(data)/4])
	mid := s.AddFile("mid.jpg", data[:len(data)/2])
	big := s.AddFile("photo.jpg", data)
	return s.PushMedia(chat, from, caption, func(m *models.Message) {
		m.Photo = []models.PhotoSize{
			{FileID: small, FileUniqueID: "u" + small, Width: 90, Height: 160, FileSize: len(data) / 4},
			{FileID: big, FileUniqueID: "u" + big, Width: 720, Height: 1280, FileSize: len(data)},
			{FileID: mid, FileUniqueID: "u" + mid, Width: 320, Height: 569, FileSize: len(data) / 2},
		}
	})
}

// PushDocument queues a file with a caption.
func (s *Server) PushDocument(chat models.Chat, from models.User, name, mime string, data []byte, caption string) models.Update {
	id := s.AddFile(name, data)
	return s.PushMedia(chat, from, caption, func(m *models.Message) {
		m.Document = &models.Document{FileID: id, FileUniqueID: "u" + id, FileName: name, MimeType: mime, FileSize: int64(len(data))}
	})
}

// PushLocation queues a shared map pin.
func (s *Server) PushLocation(chat models.Chat, from models.User, lat, lon float64) models.Update {
	return s.PushMedia(chat, from, "", func(m *models.Message) {
		m.Location = &models.Location{Latitude: lat, Longitude: lon}
	})
}

// PushContact queues a shared contact; userID is 0 for a contact who is
// not on Telegram.
func (s *Server) PushContact(chat models.Chat, from models.User, phone, first string, userID int64) models.Update {
	return s.PushMedia(chat, from, "", func(m *models.Message) {
		m.Contact = &models.Contact{PhoneNumber: phone, FirstName: first, UserID: userID}
	})
}

// PushForward queues text forwarded by "from" that first came from origin
// (see ForwardFromUser, ForwardFromHidden, ForwardFromChannel).
func (s *Server) PushForward(chat models.Chat, from models.User, text string, origin models.MessageOrigin) models.Update {
	m := s.NewMessage(chat, from, text)
	m.ForwardOrigin = &origin
	u := models.Update{Message: m}
	u.ID = s.Push(u)
	return u
}

// ForwardFromUser is the origin of a message first sent by u at.
func ForwardFromUser(u models.User, at time.Time) models.MessageOrigin {
	return models.MessageOrigin{Type: models.MessageOriginTypeUser,
		MessageOriginUser: &models.MessageOriginUser{Type: models.MessageOriginTypeUser, Date: int(at.Unix()), SenderUser: u}}
}

// ForwardFromHidden is the origin of a message by someone who hides their
// account in forwards: only a name is known.
func ForwardFromHidden(name string, at time.Time) models.MessageOrigin {
	return models.MessageOrigin{Type: models.MessageOriginTypeHiddenUser,
		MessageOriginHiddenUser: &models.MessageOriginHiddenUser{Type: models.MessageOriginTypeHiddenUser, Date: int(at.Unix()), SenderUserName: name}}
}

// ForwardFromChannel is the origin of a channel post.
func ForwardFromChannel(channel models.Chat, postID int, at time.Time) models.MessageOrigin {
	return models.MessageOrigin{Type: models.MessageOriginTypeChannel,
		MessageOriginChannel: &models.MessageOriginChannel{Type: models.MessageOriginTypeChannel, Date: int(at.Unix()), Chat: channel, MessageID: postID}}
}

// ForwardFromChat is the origin of a message a group posted as itself
// (an anonymous admin).
func ForwardFromChat(group models.Chat, at time.Time) models.MessageOrigin {
	return models.MessageOrigin{Type: models.MessageOriginTypeChat,
		MessageOriginChat: &models.MessageOriginChat{Type: models.MessageOriginTypeChat, Date: int(at.Unix()), SenderChat: group}}
}
