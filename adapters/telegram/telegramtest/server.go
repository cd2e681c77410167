// Package telegramtest is a fake Telegram Bot API server for tests. It
// speaks the real wire protocol at /bot<token>/<method> (multipart and
// url-encoded forms as go-telegram/bot sends them, and JSON bodies), keeps
// long-polled getUpdates with Telegram's offset semantics, records every
// message the bot sends, enforces Telegram's rate limits with 429s and can
// be told to fail chosen calls. It listens on 127.0.0.1 only.
package telegramtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
)

// DefaultToken is the token the server accepts unless told otherwise.
const DefaultToken = "4242:test-token-not-a-secret"

// Rate is N calls per Period; N == 0 disables the limit.
type Rate struct {
	N      int
	Period time.Duration
}

// Limits are the send rates the server enforces on sendMessage.
type Limits struct {
	Global     Rate
	PerGroup   Rate
	PerPrivate Rate
}

// TelegramLimits are the rates Telegram documents for bots.
var TelegramLimits = Limits{
	Global:     Rate{N: 30, Period: time.Second},
	PerGroup:   Rate{N: 20, Period: time.Minute},
	PerPrivate: Rate{N: 1, Period: time.Second},
}

// Failure makes matching calls fail. Zero Method matches every method but
// getUpdates and getMe; zero Chat matches every chat.
type Failure struct {
	Method      string
	Chat        int64
	Code        int    // HTTP-style error code: 400, 403, 429, 500…
	Description string // defaults to a realistic description for Code
	RetryAfter  int    // seconds, for 429
	// Times is how many matching calls fail; 0 means until ClearFailures
	// (or Until).
	Times int
	// Until, when set, ends the rule at that time: an outage of a while.
	Until time.Time
}

// Button is one inline keyboard button as the server received it.
type Button struct {
	Text string `json:"text"`
	Data string `json:"callback_data"`
}

// Sent is a message the bot sent (or its state after edits).
type Sent struct {
	Chat      int64
	Thread    int
	MessageID int
	// Text is the text as Telegram shows it, after parsing the parse mode;
	// Raw is what the bot sent.
	Text      string
	Raw       string
	ParseMode string
	Keyboard  [][]Button
	// ReplyKeyboard is a one-tap reply keyboard sent with the message;
	// RemoveKeyboard is set when the message took one away.
	ReplyKeyboard  [][]KeyButton
	RemoveKeyboard bool
	// File is set for a photo, voice, audio, video or document, uploaded or
	// re-sent by file_id; Text is then the caption.
	File *File
	// CopyOf is set for a copyMessage: the message it copied.
	CopyOf *MessageRef
	At     time.Time
}

// KeyButton is one reply keyboard button as the server received it.
type KeyButton struct {
	Text            string `json:"text"`
	RequestContact  bool   `json:"request_contact,omitempty"`
	RequestLocation bool   `json:"request_location,omitempty"`
}

// File is a file the bot sent.
type File struct {
	Method string // "sendPhoto", "sendVoice", "sendAudio", "sendVideo", "sendDocument"
	Name   string // the upload's file name ("" when sent by file_id)
	Data   []byte // the uploaded bytes
	FileID string // the id the server gave it, or the id the bot re-sent
}

// MessageRef names a message in a chat.
type MessageRef struct {
	Chat      int64
	MessageID int
}

// Call is one API call the server answered, successfully or not.
type Call struct {
	Method string
	Params map[string]string
	Code   int // 200 on success
}

// CommandSet is one setMyCommands or deleteMyCommands call.
type CommandSet struct {
	Scope    string // scope type: "default", "all_private_chats", "chat", …
	Chat     int64  // the chat of a "chat" scope
	Language string
	Commands []models.BotCommand
	Deleted  bool // a deleteMyCommands call
}

// InviteLink is a link the bot created.
type InviteLink struct {
	Chat        int64
	Link        string
	Name        string
	MemberLimit int
	Revoked     bool
}

// Server is a fake Bot API server. Its methods are safe for concurrent use.
type Server struct {
	// URL is the server's base URL, for bot.WithServerURL.
	URL string
	// Token is the bot token the server accepts.
	Token string
	// Me is the bot's own user, returned by getMe.
	Me models.User

	srv *httptest.Server

	mu         sync.Mutex
	wake       chan struct{} // closed and replaced when updates arrive
	updates    []json.RawMessage
	updateIDs  []int64
	nextUpdate int64
	confirmed  int64 // highest update id confirmed by an offset
	nextMsg    map[int64]int
	messages   map[int64]map[int]*Sent
	sent       []Sent
	edits      []Sent
	calls      []Call
	failures   []*Failure
	limits     Limits
	windows    map[int64][]time.Time
	global     []time.Time
	limited    int
	forums     map[int64]bool
	admins     map[int64]map[int64]bool
	titles     map[int64]string
	nextTopic  map[int64]int
	closed     map[int64]map[int]bool
	links      []*InviteLink
	banned     map[int64]map[int64]bool
	removed    map[int64][]int64
	commands   []CommandSet
	webhookURL string
	webhookTok string
	answers    map[string]string
	migrated   map[int64]int64

	files      map[string]*stored // file_id → content
	nextFile   int
	incoming   map[int64]map[int]bool // messages people sent, for copyMessage
	history    map[int64]bool         // chats whose history new members see
	botStatus  map[int64]models.ChatMemberType
	kicked     map[int64]string // chat → 403 description until re-added
	violations []Violation
	recordOnly bool
	hookErr    string
	hookErrAt  int
	addr       string
	down       bool
	srvMu      sync.Mutex
}

// NewServer starts a server on 127.0.0.1 and stops it when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		Token:     DefaultToken,
		Me:        models.User{ID: 4242, IsBot: true, FirstName: "Lifeline", Username: "lifeline_test_bot", CanJoinGroups: true, CanReadAllGroupMessages: true},
		wake:      make(chan struct{}),
		nextMsg:   map[int64]int{},
		messages:  map[int64]map[int]*Sent{},
		limits:    TelegramLimits,
		windows:   map[int64][]time.Time{},
		forums:    map[int64]bool{},
		admins:    map[int64]map[int64]bool{},
		titles:    map[int64]string{},
		nextTopic: map[int64]int{},
		closed:    map[int64]map[int]bool{},
		banned:    map[int64]map[int64]bool{},
		removed:   map[int64][]int64{},
		answers:   map[string]string{},
		migrated:  map[int64]int64{},
		files:     map[string]*stored{},
		incoming:  map[int64]map[int]bool{},
		history:   map[int64]bool{},
		botStatus: map[int64]models.ChatMemberType{},
		kicked:    map[int64]string{},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("telegramtest: listen: %v", err)
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Listener = ln
	s.srv.Start()
	s.URL = s.srv.URL
	s.addr = ln.Addr().String()
	t.Cleanup(s.Close)
	return s
}

// Close stops the server, ending pending long polls.
func (s *Server) Close() {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.down {
		return
	}
	s.down = true
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// SetLimits replaces the enforced rates (use short periods in tests).
func (s *Server) SetLimits(l Limits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = l
}

// RateLimited reports how many sendMessage calls were refused with 429 by
// the rate limiter (not by injected failures).
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited
}

// SetForum marks a supergroup as a forum, so createForumTopic works there.
func (s *Server) SetForum(chat int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forums[chat] = true
}

// Migrate makes a group answer sends as one upgraded to the supergroup to,
// as Telegram does after a migration.
func (s *Server) Migrate(from, to int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.migrated[from] = to
}

// SetAdmin marks a user as an administrator of a chat; banChatMember
// refuses to ban administrators, as Telegram does.
func (s *Server) SetAdmin(chat, user int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.admins[chat] == nil {
		s.admins[chat] = map[int64]bool{}
	}
	s.admins[chat][user] = true
}

// Fail adds a failure rule; rules are tried in the order added.
func (s *Server) Fail(f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, &f)
}

// ClearFailures removes every failure rule.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = nil
}

// Push queues an update for getUpdates, assigning its update_id when zero,
// and returns the id.
func (s *Server) Push(u models.Update) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID == 0 {
		s.nextUpdate++
		u.ID = s.nextUpdate
	} else if u.ID > s.nextUpdate {
		s.nextUpdate = u.ID
	}
	raw, err := json.Marshal(&u)
	if err != nil {
		panic(fmt.Sprintf("telegramtest: marshal update: %v", err))
	}
	for _, m := range []*models.Message{u.Message, u.EditedMessage} {
		if m != nil {
			if s.incoming[m.Chat.ID] == nil {
				s.incoming[m.Chat.ID] = map[int]bool{}
			}
			s.incoming[m.Chat.ID][m.ID] = true
		}
	}
	s.updates = append(s.updates, raw)
	s.updateIDs = append(s.updateIDs, u.ID)
	close(s.wake)
	s.wake = make(chan struct{})
	return u.ID
}

// NextMessageID allocates a message id in chat, shared with the ids of the
// messages the bot sends there.
func (s *Server) NextMessageID(chat int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextMsg[chat]++
	return s.nextMsg[chat]
}

// Confirmed is the highest update id a getUpdates offset has confirmed.
func (s *Server) Confirmed() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.confirmed
}

// Pending is the number of updates not yet confirmed.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// Sent returns every message sent with sendMessage, in order.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// SentTo returns the messages sent to chat, in order.
func (s *Server) SentTo(chat int64) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Sent
	for _, m := range s.sent {
		if m.Chat == chat {
			out = append(out, m)
		}
	}
	return out
}

// Edits returns every successful editMessageText, in order.
func (s *Server) Edits() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.edits...)
}

// Message returns the current state of a message the bot sent.
func (s *Server) Message(chat int64, id int) (Sent, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[chat][id]
	if !ok {
		return Sent{}, false
	}
	return *m, true
}

// Calls returns the calls of one method ("" for all), in order.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Commands returns the setMyCommands calls, in order.
func (s *Server) Commands() []CommandSet {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]CommandSet(nil), s.commands...)
}

// Answer returns the toast text a callback query was answered with, and
// whether it was answered at all.
func (s *Server) Answer(callbackID string) (text string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	text, ok = s.answers[callbackID]
	return text, ok
}

// Title returns a chat's title as last set by setChatTitle.
func (s *Server) Title(chat int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.titles[chat]
}

// TopicClosed reports whether closeForumTopic was called for the topic.
func (s *Server) TopicClosed(chat int64, thread int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed[chat][thread]
}

// Links returns the invite links created in chat.
func (s *Server) Links(chat int64) []InviteLink {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []InviteLink
	for _, l := range s.links {
		if l.Chat == chat {
			out = append(out, *l)
		}
	}
	return out
}

// Removed returns the users removed from chat (banned, then unbanned so
// they could come back by a new invite), in order.
func (s *Server) Removed(chat int64) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int64(nil), s.removed[chat]...)
}

// Banned reports whether user is currently banned from chat.
func (s *Server) Banned(chat, user int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.banned[chat][user]
}

// Webhook returns the webhook URL and secret token last set ("" if none).
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhookURL, s.webhookTok
}

// apiError is a Bot API error reply.
type apiError struct {
	code       int
	desc       string
	retryAfter int
	migrateTo  int64
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"); ok {
		s.download(w, rest)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	if !ok {
		writeError(w, apiError{code: 404, desc: "Not Found"})
		return
	}
	token, method, ok := strings.Cut(rest, "/")
	if !ok || token != s.Token {
		writeError(w, apiError{code: 401, desc: "Unauthorized"})
		return
	}
	p, uploads, err := parseParams(r)
	if err != nil {
		writeError(w, apiError{code: 400, desc: "Bad Request: " + err.Error()})
		return
	}
	if method == "getUpdates" {
		s.getUpdates(w, r, p)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	result, aerr := s.call(method, p, uploads)
	code := 200
	if aerr != nil {
		code = aerr.code
	}
	s.calls = append(s.calls, Call{Method: method, Params: p, Code: code})
	if aerr != nil {
		writeError(w, *aerr)
		return
	}
	writeResult(w, result)
}

// call runs one method with s.mu held.
func (s *Server) call(method string, p params, uploads map[string]upload) (any, *apiError) {
	if method != "getMe" || s.outageCovers("getMe") {
		if f := s.failure(method, p); f != nil {
			return nil, f
		}
	}
	if desc, ok := s.kicked[p.int64("chat_id")]; ok && p["chat_id"] != "" {
		return nil, &apiError{code: 403, desc: desc}
	}
	switch method {
	case "sendPhoto", "sendVoice", "sendAudio", "sendVideo", "sendDocument":
		return s.sendFile(method, p, uploads)
	case "copyMessage":
		return s.copyMessage(p)
	case "getFile":
		return s.getFile(p)
	case "editMessageCaption":
		return s.editMessageCaption(p)
	case "deleteMyCommands":
		return s.deleteMyCommands(p)
	case "getChat":
		return s.getChat(p)
	case "getChatMember":
		return s.getChatMember(p)
	case "getWebhookInfo":
		return models.WebhookInfo{URL: s.webhookURL, LastErrorDate: s.hookErrAt, LastErrorMessage: s.hookErr}, nil
	case "getMe":
		return s.Me, nil
	case "sendMessage":
		return s.sendMessage(p)
	case "editMessageText":
		return s.editMessageText(p)
	case "answerCallbackQuery":
		s.answers[p["callback_query_id"]] = p["text"]
		return true, nil
	case "setMyCommands":
		return s.setMyCommands(p)
	case "createForumTopic":
		chat := p.int64("chat_id")
		if !s.forums[chat] {
			return nil, &apiError{code: 400, desc: "Bad Request: the chat is not a forum"}
		}
		s.nextTopic[chat]++
		id := 1000 + s.nextTopic[chat]
		return models.ForumTopic{MessageThreadID: id, Name: p["name"], IconColor: 7322096}, nil
	case "closeForumTopic":
		chat := p.int64("chat_id")
		if s.closed[chat] == nil {
			s.closed[chat] = map[int]bool{}
		}
		s.closed[chat][int(p.int64("message_thread_id"))] = true
		return true, nil
	case "createChatInviteLink":
		chat := p.int64("chat_id")
		l := &InviteLink{Chat: chat, Name: p["name"], MemberLimit: int(p.int64("member_limit")),
			Link: fmt.Sprintf("https://t.me/+fake%d_%d", -chat, len(s.links)+1)}
		s.links = append(s.links, l)
		return models.ChatInviteLink{InviteLink: l.Link, Creator: s.Me, Name: l.Name, MemberLimit: l.MemberLimit}, nil
	case "revokeChatInviteLink":
		for _, l := range s.links {
			if l.Link == p["invite_link"] {
				l.Revoked = true
				return models.ChatInviteLink{InviteLink: l.Link, Creator: s.Me, IsRevoked: true}, nil
			}
		}
		return nil, &apiError{code: 400, desc: "Bad Request: INVITE_HASH_EXPIRED"}
	case "setChatTitle":
		s.titles[p.int64("chat_id")] = p["title"]
		return true, nil
	case "banChatMember":
		chat, user := p.int64("chat_id"), p.int64("user_id")
		if s.admins[chat][user] {
			return nil, &apiError{code: 400, desc: "Bad Request: user is an administrator of the chat"}
		}
		if s.banned[chat] == nil {
			s.banned[chat] = map[int64]bool{}
		}
		s.banned[chat][user] = true
		s.removed[chat] = append(s.removed[chat], user)
		return true, nil
	case "unbanChatMember":
		delete(s.banned[p.int64("chat_id")], p.int64("user_id"))
		return true, nil
	case "setWebhook":
		s.webhookURL, s.webhookTok = p["url"], p["secret_token"]
		return true, nil
	case "deleteWebhook":
		s.webhookURL, s.webhookTok = "", ""
		return true, nil
	}
	return nil, &apiError{code: 404, desc: "Not Found: method not found"}
}

// failure applies the first matching failure rule.
func (s *Server) failure(method string, p params) *apiError {
	chat := p.int64("chat_id")
	now := time.Now()
	for i := 0; i < len(s.failures); i++ {
		f := s.failures[i]
		if !f.Until.IsZero() && !now.Before(f.Until) {
			s.failures = append(s.failures[:i:i], s.failures[i+1:]...)
			i--
			continue
		}
		if f.Method == "" && method == "getUpdates" || f.Method != "" && f.Method != "*" && f.Method != method {
			continue
		}
		if f.Chat != 0 && f.Chat != chat {
			continue
		}
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.failures = append(s.failures[:i:i], s.failures[i+1:]...)
			}
		}
		desc := f.Description
		if desc == "" {
			desc = defaultDescription(f.Code, f.RetryAfter)
		}
		return &apiError{code: f.Code, desc: desc, retryAfter: f.RetryAfter}
	}
	return nil
}

func defaultDescription(code, retryAfter int) string {
	switch code {
	case 400:
		return "Bad Request: chat not found"
	case 403:
		return "Forbidden: bot was blocked by the user"
	case 429:
		return fmt.Sprintf("Too Many Requests: retry after %d", retryAfter)
	case 500:
		return "Internal Server Error"
	case 502:
		return "Bad Gateway"
	}
	return http.StatusText(code)
}

// getUpdates answers a long poll: updates below offset are confirmed and
// forgotten, as Telegram does, and the call waits up to timeout seconds
// for new ones.
func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, p params) {
	offset := p.int64("offset")
	limit := int(p.int64("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	deadline := time.Now().Add(time.Duration(p.int64("timeout")) * time.Second)
	for {
		s.mu.Lock()
		if s.webhookURL != "" {
			s.calls = append(s.calls, Call{Method: "getUpdates", Params: p, Code: 409})
			s.mu.Unlock()
			writeError(w, apiError{code: 409, desc: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"})
			return
		}
		if f := s.failure("getUpdates", p); f != nil {
			s.calls = append(s.calls, Call{Method: "getUpdates", Params: p, Code: f.code})
			s.mu.Unlock()
			writeError(w, *f)
			return
		}
		if offset > 0 {
			for len(s.updateIDs) > 0 && s.updateIDs[0] < offset {
				s.confirmed = max(s.confirmed, s.updateIDs[0])
				s.updates, s.updateIDs = s.updates[1:], s.updateIDs[1:]
			}
			s.confirmed = max(s.confirmed, offset-1)
		}
		var out []json.RawMessage
		for i, id := range s.updateIDs {
			if id >= offset && len(out) < limit {
				out = append(out, s.updates[i])
			}
		}
		wake := s.wake
		s.mu.Unlock()
		if len(out) > 0 || !time.Now().Before(deadline) {
			if out == nil {
				out = []json.RawMessage{}
			}
			writeResult(w, out)
			return
		}
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-wake:
			t.Stop()
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
}

func chatOf(id int64) models.Chat {
	switch {
	case id > 0:
		return models.Chat{ID: id, Type: models.ChatTypePrivate, FirstName: "Person"}
	case id < -1000000000000:
		return models.Chat{ID: id, Type: models.ChatTypeSupergroup, Title: "Group"}
	default:
		return models.Chat{ID: id, Type: models.ChatTypeGroup, Title: "Group"}
	}
}

// allow applies the rate limits to one message to chat.
func (s *Server) allow(chat int64, now time.Time) (retryAfter int, ok bool) {
	rate := s.limits.PerGroup
	if chat > 0 {
		rate = s.limits.PerPrivate
	}
	check := func(win []time.Time, r Rate) ([]time.Time, int, bool) {
		if r.N <= 0 {
			return win, 0, true
		}
		for len(win) > 0 && !win[0].After(now.Add(-r.Period)) {
			win = win[1:]
		}
		if len(win) >= r.N {
			wait := win[0].Add(r.Period).Sub(now)
			return win, max(1, int((wait+time.Second-1)/time.Second)), false
		}
		return win, 0, true
	}
	var ra int
	s.global, ra, ok = check(s.global, s.limits.Global)
	if !ok {
		return ra, false
	}
	s.windows[chat], ra, ok = check(s.windows[chat], rate)
	if !ok {
		return ra, false
	}
	if s.limits.Global.N > 0 {
		s.global = append(s.global, now)
	}
	if rate.N > 0 {
		s.windows[chat] = append(s.windows[chat], now)
	}
	return 0, true
}

func (s *Server) sendMessage(p params) (any, *apiError) {
	chat := p.int64("chat_id")
	if chat == 0 {
		return nil, &apiError{code: 400, desc: "Bad Request: chat not found"}
	}
	if to, ok := s.migrated[chat]; ok {
		return nil, &apiError{code: 400, desc: "Bad Request: group chat was upgraded to a supergroup chat", migrateTo: to}
	}
	text, aerr := render(p["text"], p["parse_mode"])
	if aerr != nil {
		return nil, aerr
	}
	if text == "" {
		return nil, &apiError{code: 400, desc: "Bad Request: message text is empty"}
	}
	if utf16Len(text) > 4096 {
		return nil, &apiError{code: 400, desc: "Bad Request: message is too long"}
	}
	kb, aerr := keyboard(p["reply_markup"])
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
	rk, remove, aerr := replyKeyboard(p["reply_markup"], chat)
	if aerr != nil {
		return nil, aerr
	}
	now := time.Now()
	if aerr := s.rate(chat, now); aerr != nil {
		return nil, aerr
	}
	s.nextMsg[chat]++
	m := &Sent{Chat: chat, Thread: int(p.int64("message_thread_id")), MessageID: s.nextMsg[chat],
		Text: text, Raw: p["text"], ParseMode: p["parse_mode"], Keyboard: kb, ReplyKeyboard: rk, RemoveKeyboard: remove, At: now}
	if s.messages[chat] == nil {
		s.messages[chat] = map[int]*Sent{}
	}
	s.messages[chat][m.MessageID] = m
	s.sent = append(s.sent, *m)
	return s.reply(m), nil
}

func (s *Server) reply(m *Sent) models.Message {
	out := models.Message{ID: m.MessageID, MessageThreadID: m.Thread, From: &s.Me, Date: int(m.At.Unix()),
		Chat: chatOf(m.Chat), Text: m.Text, IsTopicMessage: m.Thread != 0}
	if len(m.Keyboard) > 0 {
		var rows [][]models.InlineKeyboardButton
		for _, row := range m.Keyboard {
			var r []models.InlineKeyboardButton
			for _, b := range row {
				r = append(r, models.InlineKeyboardButton{Text: b.Text, CallbackData: b.Data})
			}
			rows = append(rows, r)
		}
		out.ReplyMarkup = &models.InlineKeyboardMarkup{InlineKeyboard: rows}
	}
	return out
}

func (s *Server) editMessageText(p params) (any, *apiError) {
	chat, id := p.int64("chat_id"), int(p.int64("message_id"))
	m, ok := s.messages[chat][id]
	if !ok {
		return nil, &apiError{code: 400, desc: "Bad Request: message to edit not found"}
	}
	text, aerr := render(p["text"], p["parse_mode"])
	if aerr != nil {
		return nil, aerr
	}
	if utf16Len(text) > 4096 {
		return nil, &apiError{code: 400, desc: "Bad Request: MESSAGE_TOO_LONG"}
	}
	kb, aerr := keyboard(p["reply_markup"])
	if aerr != nil {
		return nil, aerr
	}
	if text == m.Text && sameKeyboard(kb, m.Keyboard) {
		return nil, &apiError{code: 400, desc: "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"}
	}
	m.Text, m.Raw, m.ParseMode, m.Keyboard = text, p["text"], p["parse_mode"], kb
	s.edits = append(s.edits, *m)
	return s.reply(m), nil
}

func sameKeyboard(a, b [][]Button) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func keyboard(raw string) ([][]Button, *apiError) {
	if raw == "" {
		return nil, nil
	}
	var m struct {
		InlineKeyboard [][]Button `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, &apiError{code: 400, desc: "Bad Request: can't parse reply keyboard markup JSON object"}
	}
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if len(b.Data) > 64 {
				return nil, &apiError{code: 400, desc: "Bad Request: BUTTON_DATA_INVALID"}
			}
		}
	}
	return m.InlineKeyboard, nil
}

func (s *Server) setMyCommands(p params) (any, *apiError) {
	var cmds []models.BotCommand
	if err := json.Unmarshal([]byte(p["commands"]), &cmds); err != nil {
		return nil, &apiError{code: 400, desc: "Bad Request: can't parse commands JSON object"}
	}
	scope, chat, aerr := parseScope(p["scope"])
	if aerr != nil {
		return nil, aerr
	}
	s.commands = append(s.commands, CommandSet{Scope: scope, Chat: chat, Language: p["language_code"], Commands: cmds})
	return true, nil
}

func writeResult(w http.ResponseWriter, result any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

func writeError(w http.ResponseWriter, e apiError) {
	body := map[string]any{"ok": false, "error_code": e.code, "description": e.desc}
	switch {
	case e.retryAfter > 0:
		body["parameters"] = map[string]int{"retry_after": e.retryAfter}
	case e.migrateTo != 0:
		body["parameters"] = map[string]int64{"migrate_to_chat_id": e.migrateTo}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.code)
	_ = json.NewEncoder(w).Encode(body)
}

// params are a call's parameters; objects and arrays stay JSON text.
type params map[string]string

func (p params) int64(key string) int64 {
	n, _ := strconv.ParseInt(p[key], 10, 64)
	return n
}

// upload is one file part of a multipart request.
type upload struct {
	name string
	data []byte
}

// parseParams reads the query string and a multipart, url-encoded or JSON
// body, the three ways the Bot API accepts parameters, and the files of a
// multipart body by field name.
func parseParams(r *http.Request) (params, map[string]upload, error) {
	p := params{}
	files := map[string]upload{}
	for k, v := range r.URL.Query() {
		p[k] = v[0]
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		// A call without parameters comes as an empty body, which
		// Telegram accepts.
		if err := r.ParseMultipartForm(16 << 20); err != nil && !errors.Is(err, io.EOF) {
			return nil, nil, fmt.Errorf("parse multipart body: %w", err)
		}
		if r.MultipartForm != nil {
			for k, v := range r.MultipartForm.Value {
				p[k] = v[0]
			}
			for k, fhs := range r.MultipartForm.File {
				f, err := fhs[0].Open()
				if err != nil {
					return nil, nil, fmt.Errorf("open file part %s: %w", k, err)
				}
				data, err := io.ReadAll(f)
				f.Close()
				if err != nil {
					return nil, nil, fmt.Errorf("read file part %s: %w", k, err)
				}
				files[k] = upload{name: fhs[0].Filename, data: data}
			}
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, nil, fmt.Errorf("parse form body: %w", err)
		}
		for k, v := range r.PostForm {
			p[k] = v[0]
		}
	case "application/json":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, nil, fmt.Errorf("read body: %w", err)
		}
		var m map[string]json.RawMessage
		if len(body) > 0 {
			if err := json.Unmarshal(body, &m); err != nil {
				return nil, nil, fmt.Errorf("parse JSON body: %w", err)
			}
		}
		for k, v := range m {
			var str string
			if json.Unmarshal(v, &str) == nil {
				p[k] = str
			} else {
				p[k] = string(v)
			}
		}
	}
	return p, files, nil
}

// DeliverWebhook posts an update to a webhook URL as Telegram does, with
// the secret token header when secret is not empty, and returns the HTTP
// status.
func DeliverWebhook(ctx context.Context, url, secret string, u models.Update) (int, error) {
	body, err := json.Marshal(&u)
	if err != nil {
		return 0, fmt.Errorf("marshal update: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		return 0, fmt.Errorf("build webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
