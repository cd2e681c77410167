package telegramtest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/go-telegram/bot/models"
)

// Violation is a send the bot made beyond one of Telegram's rate limits.
type Violation struct {
	Chat  int64
	At    time.Time
	Limit string // "global", "group" or "private"
	Rate  Rate
}

func (v Violation) String() string {
	return fmt.Sprintf("%s limit (%d per %s) exceeded in chat %d at %s", v.Limit, v.Rate.N, v.Rate.Period, v.Chat, v.At.Format(time.RFC3339Nano))
}

// rate applies the limits to one send to chat (any method that posts a
// message), recording a violation for each send over a limit. It refuses
// the send with 429 unless the server only records.
func (s *Server) rate(chat int64, now time.Time) *apiError {
	ra, ok := s.allow(chat, now)
	if ok {
		return nil
	}
	v := Violation{Chat: chat, At: now, Limit: "global", Rate: s.limits.Global}
	if !s.globalFull(now) {
		v.Limit, v.Rate = "group", s.limits.PerGroup
		if chat > 0 {
			v.Limit, v.Rate = "private", s.limits.PerPrivate
		}
	}
	s.violations = append(s.violations, v)
	if s.recordOnly {
		// Count it in the windows as if accepted, so later checks see it.
		if s.limits.Global.N > 0 {
			s.global = append(s.global, now)
		}
		s.windows[chat] = append(s.windows[chat], now)
		return nil
	}
	s.limited++
	return &apiError{code: 429, desc: fmt.Sprintf("Too Many Requests: retry after %d", ra), retryAfter: ra}
}

func (s *Server) globalFull(now time.Time) bool {
	r := s.limits.Global
	if r.N <= 0 {
		return false
	}
	n := 0
	for _, t := range s.global {
		if t.After(now.Add(-r.Period)) {
			n++
		}
	}
	return n >= r.N
}

// Violations returns every send that broke a rate limit, in order. With
// limits enforced these sends were refused with 429 (RateLimited counts
// them too); with RecordOnly they went through.
func (s *Server) Violations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Violation(nil), s.violations...)
}

// RecordOnly makes the rate limiter accept every send and only record the
// ones over a limit in Violations: for tests that check the bot paces
// itself, rather than rely on Telegram's 429s.
func (s *Server) RecordOnly(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recordOnly = on
}

// Down stops the server listening, so every call fails with "connection
// refused" (a network outage) until Up. Long polls in flight are cut.
func (s *Server) Down() {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.down {
		return
	}
	s.down = true
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Up starts listening again on the same address after Down.
func (s *Server) Up() error {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if !s.down {
		return nil
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("telegramtest: listen again on %s: %w", s.addr, err)
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Listener = ln
	s.srv.Start()
	s.down = false
	return nil
}

// Outage makes every call, getUpdates and getMe included, fail with code
// (500, 502…) for d: Telegram's side having trouble.
func (s *Server) Outage(code int, d time.Duration) {
	s.Fail(Failure{Method: "*", Code: code, Until: time.Now().Add(d)})
}

// outageCovers reports a rule for every method (Outage), which also fails
// method calls that ordinary rules leave alone.
func (s *Server) outageCovers(string) bool {
	now := time.Now()
	for _, f := range s.failures {
		if f.Method == "*" && (f.Until.IsZero() || now.Before(f.Until)) {
			return true
		}
	}
	return false
}

// Kick makes every call about chat answer 403, as after the bot was removed
// from a group or blocked by a person, until Readd.
func (s *Server) Kick(chat int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	desc := "Forbidden: bot was kicked from the supergroup chat"
	switch {
	case chat > 0:
		desc = "Forbidden: bot was blocked by the user"
	case chat > -1000000000000:
		desc = "Forbidden: bot was kicked from the group chat"
	}
	s.kicked[chat] = desc
}

// Readd ends a Kick and, when by is not nil, queues the my_chat_member
// update Telegram sends when someone adds the bot back. It returns that
// update's id (0 without one).
func (s *Server) Readd(chat int64, by *models.User) int64 {
	s.mu.Lock()
	delete(s.kicked, chat)
	s.mu.Unlock()
	if by == nil {
		return 0
	}
	return s.Push(s.MyChatMember(chatOf(chat), *by, models.ChatMemberTypeLeft, models.ChatMemberTypeMember))
}

// SetHistoryVisible sets whether new members of chat can read its
// history (getChat's has_visible_history). Groups hide it by default here.
func (s *Server) SetHistoryVisible(chat int64, visible bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.history[chat] = visible
}

// SetBotStatus sets the bot's own status in chat, as getChatMember reports
// it; the default is administrator.
func (s *Server) SetBotStatus(chat int64, status models.ChatMemberType) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.botStatus[chat] = status
}

// SetWebhookError makes getWebhookInfo report a delivery error now ("" for
// none), as Telegram does when it cannot reach the webhook.
func (s *Server) SetWebhookError(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hookErr = msg
	s.hookErrAt = 0
	if msg != "" {
		s.hookErrAt = int(time.Now().Unix())
	}
}

func (s *Server) getChat(p params) (any, *apiError) {
	chat := p.int64("chat_id")
	c := chatOf(chat)
	if t, ok := s.titles[chat]; ok {
		c.Title = t
	}
	return models.ChatFullInfo{ID: c.ID, Type: c.Type, Title: c.Title, FirstName: c.FirstName,
		IsForum: s.forums[chat], HasVisibleHistory: s.history[chat]}, nil
}

func (s *Server) getChatMember(p params) (any, *apiError) {
	chat, user := p.int64("chat_id"), p.int64("user_id")
	status := models.ChatMemberTypeMember
	switch {
	case user == s.Me.ID:
		status = models.ChatMemberTypeAdministrator
		if st, ok := s.botStatus[chat]; ok {
			status = st
		}
	case s.admins[chat][user]:
		status = models.ChatMemberTypeAdministrator
	}
	u := models.User{ID: user, FirstName: "Person"}
	if user == s.Me.ID {
		u = s.Me
	}
	m := member(status, u)
	return &m, nil
}
