// Package throttle limits how often the bot answers one sender and one
// chat, so a flood of commands or private messages from one person cannot
// fill the outbox ahead of other people's alerts. It decides only about
// answers: the engine never asks it about pleas, which are always recorded
// and alerted.
package throttle

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Options set the limits. Zero values take the defaults.
type Options struct {
	// Disabled answers everything.
	Disabled bool
	// SenderPerMinute is how many messages of one person are answered per
	// minute, with bursts of as many (default 20).
	SenderPerMinute int
	// ChatPerMinute is how many commands in one group are answered per
	// minute, whoever sends them (default 60).
	ChatPerMinute int
	// NoticeEvery is the least time between two "slow down" notices to
	// the same person (default 10m).
	NoticeEvery time.Duration
}

// Scopes name which limit refused a message (the metric's label).
const (
	ScopeSender = "sender"
	ScopeChat   = "chat"
)

// Verdict is what to do with one message.
type Verdict struct {
	// Allowed: answer it as usual.
	Allowed bool
	// Scope is the limit that refused it ("" when allowed).
	Scope string
	// Notice: this is the first refusal for the sender in NoticeEvery, so
	// tell them once.
	Notice bool
}

// Throttle keeps one token bucket per sender and per group chat. Token
// buckets (x/time/rate) fit here, unlike the outbox's strict sliding
// windows: a person may burst a few commands, then is held to the rate.
// It is safe for concurrent use and takes the time from its caller, so
// tests drive it with a fake clock.
type Throttle struct {
	opts      Options
	mu        sync.Mutex
	senders   map[string]*rate.Limiter
	chats     map[string]*rate.Limiter
	noticed   map[string]time.Time
	nextSweep time.Time
}

// New makes a throttle with opts' limits.
func New(opts Options) *Throttle {
	if opts.SenderPerMinute <= 0 {
		opts.SenderPerMinute = 20
	}
	if opts.ChatPerMinute <= 0 {
		opts.ChatPerMinute = 60
	}
	if opts.NoticeEvery <= 0 {
		opts.NoticeEvery = 10 * time.Minute
	}
	return &Throttle{opts: opts, senders: map[string]*rate.Limiter{}, chats: map[string]*rate.Limiter{}, noticed: map[string]time.Time{}}
}

// Allow takes one answer from sender's budget and, for a group (chat not
// ""), from the chat's. A refused message still costs nothing of the
// other budget, so one spammer does not use up a group's answers.
func (t *Throttle) Allow(sender, chat string, now time.Time) Verdict {
	if t == nil || t.opts.Disabled {
		return Verdict{Allowed: true}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep(now)
	scope := ""
	if sender != "" && !limiter(t.senders, sender, t.opts.SenderPerMinute).AllowN(now, 1) {
		scope = ScopeSender
	} else if chat != "" && !limiter(t.chats, chat, t.opts.ChatPerMinute).AllowN(now, 1) {
		scope = ScopeChat
	}
	if scope == "" {
		return Verdict{Allowed: true}
	}
	v := Verdict{Scope: scope}
	key := sender
	if key == "" {
		key = "chat:" + chat
	}
	if last, ok := t.noticed[key]; !ok || now.Sub(last) >= t.opts.NoticeEvery {
		t.noticed[key] = now
		v.Notice = true
	}
	return v
}

func limiter(m map[string]*rate.Limiter, key string, perMinute int) *rate.Limiter {
	l := m[key]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(float64(perMinute)/60), perMinute)
		m[key] = l
	}
	return l
}

// sweep forgets, about once a minute, the buckets that have refilled and
// the notices that have expired, so memory follows the people active now,
// not everyone ever seen.
func (t *Throttle) sweep(now time.Time) {
	if now.Before(t.nextSweep) {
		return
	}
	t.nextSweep = now.Add(time.Minute)
	for _, m := range []map[string]*rate.Limiter{t.senders, t.chats} {
		for k, l := range m {
			if l.TokensAt(now) >= float64(l.Burst()) {
				delete(m, k)
			}
		}
	}
	for k, at := range t.noticed {
		if now.Sub(at) >= t.opts.NoticeEvery {
			delete(t.noticed, k)
		}
	}
}

// Size is how many senders and chats are tracked (for tests of the sweep).
func (t *Throttle) Size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.senders) + len(t.chats) + len(t.noticed)
}
