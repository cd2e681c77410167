// Package env is what every part of the engine shares: the store, the
// clock, the logger, the time zone and default language, the registry of
// platforms, the display names of chats and people, the admins, per-key
// locks, the outbox's wake-up call, and the idempotency of incoming
// messages. It holds no workflow of its own.
package env

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

// Bot is the actor recorded in events the bot does on its own.
const Bot = "lifeline"

// Config is what an Env is built from. Store is required.
type Config struct {
	Store    *store.Store
	Logger   *slog.Logger
	Now      func() time.Time
	Location *time.Location
	Language string
	Admins   []string
	// Observer counts messages, requests, alerts and triage time (metrics);
	// nil counts nothing.
	Observer Observer
}

// Env is the engine's shared plumbing. It is safe for concurrent use.
type Env struct {
	Store *store.Store
	Log   *slog.Logger
	// Loc is the time zone times are shown and scheduled in.
	Loc *time.Location
	// Language is the default reply language: "zh" or "en".
	Language string

	now       func() time.Time
	admins    map[string]bool
	mu        sync.RWMutex
	platforms map[string]platform.Platform
	names     map[string]string // chat or person ref → display name
	locks     keyedMutex
	wake      chan struct{}
	observer  Observer
	back      map[string]bool // chats reachable again, for the outbox
}

// New builds an Env, filling in defaults: a discarding logger, time.Now,
// UTC and Chinese.
func New(c Config) *Env {
	e := &Env{
		Store:     c.Store,
		Log:       c.Logger,
		Loc:       c.Location,
		Language:  c.Language,
		now:       c.Now,
		admins:    map[string]bool{},
		platforms: map[string]platform.Platform{},
		names:     map[string]string{},
		wake:      make(chan struct{}, 1),
		observer:  c.Observer,
	}
	if e.observer == nil {
		e.observer = nopObserver{}
	}
	if e.Log == nil {
		e.Log = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.Loc == nil {
		e.Loc = time.UTC
	}
	if e.Language == "" {
		e.Language = "zh"
	}
	for _, a := range c.Admins {
		e.admins[a] = true
	}
	return e
}

// Now is the engine's clock (tests replace it).
func (e *Env) Now() time.Time { return e.now() }

// Stamp shows a time as people read it in digests and cards: 04-10 09:00.
func (e *Env) Stamp(t time.Time) string { return t.In(e.Loc).Format("01-02 15:04") }

// AddPlatform registers a platform; its Name is the prefix of its chat refs.
func (e *Env) AddPlatform(p platform.Platform) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.platforms[p.Name()] = p
}

// Platform returns the registered platform called name.
func (e *Env) Platform(name string) (platform.Platform, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	p, ok := e.platforms[name]
	return p, ok
}

// Platforms are the names of the registered platforms, sorted.
func (e *Env) Platforms() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	names := make([]string, 0, len(e.platforms))
	for n := range e.platforms {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// CanEdit says whether the platform of chat can edit sent messages.
func (e *Env) CanEdit(chat string) bool {
	p, ok := e.Platform(platform.PlatformOf(chat))
	return ok && !p.Limits().NoEdits
}

// ChatName is a chat's or person's display name (its ref when it has none).
func (e *Env) ChatName(ref string) string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if n := e.names[ref]; n != "" {
		return n
	}
	return ref
}

// RememberName records the display name of a chat or person.
func (e *Env) RememberName(ref, name string) {
	if name == "" {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.names[ref] = name
}

// IsAdmin says whether ref is an admin by configuration.
func (e *Env) IsAdmin(ref string) bool { return e.admins[ref] }

// Admins are the configured admins' person refs.
func (e *Env) Admins() []string {
	out := make([]string, 0, len(e.admins))
	for a := range e.admins {
		out = append(out, a)
	}
	return out
}

// Lang is the reply language for a chat.
func (e *Env) Lang(c *store.Chat) string {
	if c != nil && c.Language != "" {
		return c.Language
	}
	return e.Language
}

// AskerLang is the language to write to the asker of c in: their own,
// else the language of their plea, else fallback (the default language
// when empty).
func (e *Env) AskerLang(tx *store.Tx, c *store.Case, fallback string) string {
	if p, err := tx.Person(c.Asker); err == nil && p.Language != "" {
		return p.Language
	}
	if c.Language != "" {
		return c.Language
	}
	if fallback != "" {
		return fallback
	}
	return e.Language
}

// Lock serialises work per key (a chat, a case's room) and returns the
// unlock.
func (e *Env) Lock(key string) (unlock func()) { return e.locks.lock(key) }

// Wake tells the outbox worker that something was queued.
func (e *Env) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Woken receives after Wake.
func (e *Env) Woken() <-chan struct{} { return e.wake }

// ChatBack tells the outbox that chat is reachable again (the bot was
// added back, /bind, a message from it), so what waited for it goes out
// now rather than after its backoff; it wakes the outbox.
func (e *Env) ChatBack(chat string) {
	e.mu.Lock()
	if e.back == nil {
		e.back = map[string]bool{}
	}
	e.back[chat] = true
	e.mu.Unlock()
	e.Wake()
}

// TakeChatsBack returns and forgets the chats ChatBack named.
func (e *Env) TakeChatsBack() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.back))
	for c := range e.back {
		out = append(out, c)
	}
	clear(e.back)
	return out
}

// ChatsWithRole lists the active chats bound to role.
func ChatsWithRole(tx *store.Tx, role store.ChatRole) ([]*store.Chat, error) {
	var out []*store.Chat
	err := tx.ForEachChat(func(c *store.Chat) error {
		if c.Role == role && c.Active {
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s chats: %w", role, err)
	}
	return out, nil
}

// MsgKey is the key a message is recorded under as seen.
func MsgKey(m platform.Message) store.MessageKey {
	id := m.ID
	if m.Edited {
		// Each distinct edit is a new fact; the same edit redelivered is not.
		h := fnv.New64a()
		h.Write([]byte(m.Text))
		id = fmt.Sprintf("%s/edit/%x", m.ID, h.Sum64())
	}
	if m.Callback != nil {
		id = "cb/" + m.Callback.ID
	}
	return store.MessageKey{Chat: m.Chat, ID: id}
}

// MarkSeen records a message that changes nothing, so its redelivery is
// harmless.
func (e *Env) MarkSeen(ctx context.Context, m platform.Message) error {
	// Chatter is most of the traffic: Batch lets it share commits.
	return e.Store.Batch(ctx, func(tx *store.Tx) error {
		_, err := tx.MarkSeen(MsgKey(m), m.Time)
		return err
	})
}

// Seen says whether m was already handled.
func (e *Env) Seen(ctx context.Context, m platform.Message) (bool, error) {
	var seen bool
	err := e.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		seen, err = tx.Seen(MsgKey(m))
		return err
	})
	return seen, err
}

// errSeen aborts a transaction whose message was already handled.
var errSeen = errors.New("message already handled")

// Once runs fn in one transaction with m recorded as seen, so a
// redelivered message changes nothing: for a repeat, fn does not run and
// Once returns nil.
func (e *Env) Once(ctx context.Context, m platform.Message, fn func(tx *store.Tx) error) error {
	err := e.Store.Update(ctx, func(tx *store.Tx) error {
		first, err := tx.MarkSeen(MsgKey(m), m.Time)
		if err != nil {
			return fmt.Errorf("record message: %w", err)
		}
		if !first {
			return errSeen
		}
		return fn(tx)
	})
	if errors.Is(err, errSeen) {
		return nil
	}
	return err
}

// keyedMutex serialises work per key.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	mu   sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}

// Union appends to a the strings of b it lacks, keeping order.
func Union(a, b []string) []string {
	seen := make(map[string]bool, len(a))
	for _, s := range a {
		seen[s] = true
	}
	for _, s := range b {
		if !seen[s] {
			a, seen[s] = append(a, s), true
		}
	}
	return a
}
