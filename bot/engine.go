// Package bot is Lifeline's engine: it routes platform messages, runs the
// intake path (triage → case → alert), the volunteers' commands, asker
// conversations and rescue rooms, and delivers everything through the
// store's outbox. It never imports an adapter: platforms plug in through
// the small interfaces in platform.go.
package bot

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// handleTimeout bounds the work for one incoming message.
const handleTimeout = 30 * time.Second

// Actor is the name recorded in events the bot does on its own.
const Actor = "lifeline"

// GroupBinding is a chat the configuration binds to a role.
type GroupBinding struct {
	Chat     string
	Role     store.ChatRole
	Name     string
	Language string
}

// Options configure an Engine. Store and Triage are required.
type Options struct {
	Store  *store.Store
	Triage *triage.Engine
	Logger *slog.Logger
	// Now is the clock; tests replace it. Defaults to time.Now.
	Now      func() time.Time
	Location *time.Location
	// Language is the default reply language: "zh" or "en".
	Language string
	// AlertAt is the lowest urgency that alerts coordination chats.
	AlertAt triage.Urgency
	// RoomAt is the lowest urgency that opens a rescue room automatically;
	// None disables automatic rooms.
	RoomAt   triage.Urgency
	Admins   []string
	Groups   []GroupBinding
	Outbox   OutboxOptions
	Workflow WorkflowOptions
}

// Engine is the platform-neutral bot. It is safe for concurrent use.
type Engine struct {
	opts      Options
	store     *store.Store
	triage    *triage.Engine
	log       *slog.Logger
	loc       *time.Location
	mu        sync.RWMutex
	platforms map[string]Platform
	names     map[string]string // chat ref → display name, for cards
	admins    map[string]bool
	outbox    *outbox
	chatLocks keyedMutex
	cmdOnce   sync.Once
	cmdTable  map[string]*command
}

// New builds an engine and records the configured chat bindings and admins
// in the store.
func New(ctx context.Context, opts Options) (*Engine, error) {
	if opts.Store == nil || opts.Triage == nil {
		return nil, errors.New("bot: store and triage are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Language == "" {
		opts.Language = "zh"
	}
	if opts.AlertAt == triage.None {
		opts.AlertAt = triage.High
	}
	if opts.Workflow.RetentionDays <= 0 {
		opts.Workflow.RetentionDays = 90
	}
	if opts.Workflow.StaleAfter <= 0 {
		opts.Workflow.StaleAfter = 2 * time.Hour
	}
	e := &Engine{
		opts:      opts,
		store:     opts.Store,
		triage:    opts.Triage,
		log:       opts.Logger,
		loc:       opts.Location,
		platforms: map[string]Platform{},
		names:     map[string]string{},
		admins:    map[string]bool{},
	}
	for _, a := range opts.Admins {
		e.admins[a] = true
	}
	e.outbox = newOutbox(e, opts.Outbox)
	if err := errors.Join(e.applyBindings(ctx), e.setupWorkflow(ctx)); err != nil {
		return nil, err
	}
	return e, nil
}

// AddPlatform registers a platform; its Name is the prefix of its chat refs.
func (e *Engine) AddPlatform(p Platform) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.platforms[p.Name()] = p
}

func (e *Engine) platform(name string) (Platform, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	p, ok := e.platforms[name]
	return p, ok
}

func (e *Engine) now() time.Time { return e.opts.Now() }

// applyBindings writes the configured chat roles into the store so that
// config and /bind share one source of truth at run time.
func (e *Engine) applyBindings(ctx context.Context) error {
	now := e.now()
	return e.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.ForEachChat(func(c *store.Chat) error {
			e.rememberName(c.Ref, c.Name)
			return nil
		}); err != nil {
			return fmt.Errorf("read chats: %w", err)
		}
		if err := tx.ForEachPerson(func(p *store.Person) error {
			e.rememberName(p.Ref, p.Name)
			return nil
		}); err != nil {
			return fmt.Errorf("read people: %w", err)
		}
		for _, g := range e.opts.Groups {
			e.rememberName(g.Chat, g.Name)
			c, err := tx.Chat(g.Chat)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("read chat %s: %w", g.Chat, err)
			}
			if c == nil {
				c = &store.Chat{Ref: g.Chat}
			}
			c.Role, c.Active, c.Updated = g.Role, true, now
			if g.Name != "" {
				c.Name = g.Name
			}
			if g.Language != "" {
				c.Language = g.Language
			}
			if err := tx.PutChat(c); err != nil {
				return fmt.Errorf("bind chat %s: %w", g.Chat, err)
			}
		}
		return nil
	})
}

// Run delivers the outbox and runs scheduled work until ctx is done.
func (e *Engine) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- e.runSchedules(ctx) }()
	roomsDone := make(chan struct{})
	go func() {
		defer close(roomsDone)
		e.retryRoomCloses(ctx)
	}()
	err := e.outbox.run(ctx)
	<-roomsDone
	return errors.Join(err, <-errc)
}

// roomCloseRetry is how often rooms whose close failed are tried again.
const roomCloseRetry = 10 * time.Minute

// retryRoomCloses closes rooms whose close failed earlier (the platform was
// down, or the bot restarted before closing them): at start, then
// periodically, until ctx ends.
func (e *Engine) retryRoomCloses(ctx context.Context) {
	t := time.NewTicker(roomCloseRetry)
	defer t.Stop()
	for {
		e.closePendingRooms()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Drain delivers everything pending in the outbox, as fast as the rate
// limits allow, and returns when it is empty or ctx is done.
func (e *Engine) Drain(ctx context.Context) error {
	return e.outbox.drain(ctx)
}

// DeliverDue makes one delivery pass: it sends what is due and what the
// rate limits allow now, and says how long until more could go out.
func (e *Engine) DeliverDue(ctx context.Context) (time.Duration, error) {
	return e.outbox.pass(ctx)
}

// HandleMessage is the single entry point for every incoming update. It
// returns once the message and its effects are committed to the store.
func (e *Engine) HandleMessage(ctx context.Context, m Message) error {
	// One chat at a time keeps an asker's messages in order even when a
	// platform delivers updates concurrently.
	unlock := e.chatLocks.lock(m.Chat)
	defer unlock()
	// A message being handled when shutdown starts is finished, not torn
	// half-way: its work is a few short transactions, bounded here.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handleTimeout)
	defer cancel()
	if m.Time.IsZero() {
		m.Time = e.now()
	}
	log := e.log.With("chat", m.Chat, "msg", m.ID)
	switch m.Kind {
	case KindJoined, KindLeft, KindMigrated:
		return e.handleMembership(ctx, m)
	}
	if m.Callback != nil {
		m.Text = m.Callback.Data
	}
	chat, err := e.chat(ctx, m)
	if err != nil {
		return err
	}
	if err := e.notePerson(ctx, m); err != nil {
		return err
	}
	var handleErr error
	switch {
	case isCommand(m.Text):
		handleErr = e.handleCommand(ctx, m, chat)
	case chat.Role == store.RoleIntake:
		handleErr = e.handleIntake(ctx, m, chat)
	case chat.Role == store.RoleRoom || (m.Thread != "" && chat.Role == store.RoleCoordination):
		handleErr = e.handleRoomMessage(ctx, m, chat)
	case m.Private:
		handleErr = e.handleAsker(ctx, m, chat)
	default:
		// Chatter in coordination or broadcast chats is not ours to act on,
		// but recording it keeps redelivery harmless.
		handleErr = e.markSeen(ctx, m)
	}
	if handleErr != nil {
		log.Error("handle message", "err", handleErr)
		return handleErr
	}
	e.outbox.wake()
	return nil
}

// chat returns the stored chat record, creating one for a private chat or
// an unbound group on first sight.
func (e *Engine) chat(ctx context.Context, m Message) (*store.Chat, error) {
	var c *store.Chat
	err := e.store.View(ctx, func(tx *store.Tx) error {
		var err error
		c, err = tx.Chat(m.Chat)
		return err
	})
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("read chat %s: %w", m.Chat, err)
	}
	c = &store.Chat{Ref: m.Chat, Name: m.ChatName, Active: true, Updated: e.now()}
	e.rememberName(c.Ref, c.Name)
	if m.Private {
		c.Role = store.RolePrivate
	}
	if err := e.store.Update(ctx, func(tx *store.Tx) error { return tx.PutChat(c) }); err != nil {
		return nil, fmt.Errorf("record chat %s: %w", m.Chat, err)
	}
	return c, nil
}

// notePerson records a sender the first time the bot sees them, so
// coordinators can /assign and admins /grant people by name, and remembers
// a person's private chat (even from a lone /start) so the bot can tell
// them about their case and send room invites.
func (e *Engine) notePerson(ctx context.Context, m Message) error {
	if m.Sender == "" {
		return nil
	}
	e.rememberName(m.Sender, m.SenderName)
	var knownPerson, knownChat bool
	if err := e.store.View(ctx, func(tx *store.Tx) error {
		_, err := tx.Person(m.Sender)
		switch {
		case err == nil:
			knownPerson = true
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		knownChat = !m.Private
		if m.Private {
			chat, err := tx.GetState(dmKey(m.Sender))
			if err != nil {
				return err
			}
			knownChat = string(chat) == m.Chat
		}
		return nil
	}); err != nil {
		return fmt.Errorf("read person %s: %w", m.Sender, err)
	}
	if knownPerson && knownChat {
		return nil
	}
	err := e.store.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Person(m.Sender); errors.Is(err, store.ErrNotFound) {
			if err := tx.PutPerson(&store.Person{Ref: m.Sender, Name: m.SenderName, Updated: e.now()}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if !m.Private {
			return nil
		}
		if err := tx.PutState(dmKey(m.Sender), []byte(m.Chat)); err != nil {
			return err
		}
		return tx.PutState(dmOwnerKey(m.Chat), []byte(m.Sender))
	})
	if err != nil {
		return fmt.Errorf("record person %s: %w", m.Sender, err)
	}
	return nil
}

// lang is the reply language for a chat.
func (e *Engine) lang(c *store.Chat) string {
	if c != nil && c.Language != "" {
		return c.Language
	}
	return e.opts.Language
}

func msgKey(m Message) store.MessageKey {
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

func (e *Engine) markSeen(ctx context.Context, m Message) error {
	// Chatter is most of the traffic: Batch lets it share commits.
	return e.store.Batch(ctx, func(tx *store.Tx) error {
		_, err := tx.MarkSeen(msgKey(m), m.Time)
		return err
	})
}

// errSeen aborts a transaction whose message was already handled.
var errSeen = errors.New("message already handled")

// once runs fn in one transaction with the message recorded as seen, so a
// redelivered message changes nothing. It returns errSeen for a repeat.
func (e *Engine) once(ctx context.Context, m Message, fn func(tx *store.Tx) error) error {
	return e.store.Update(ctx, func(tx *store.Tx) error {
		first, err := tx.MarkSeen(msgKey(m), m.Time)
		if err != nil {
			return fmt.Errorf("record message: %w", err)
		}
		if !first {
			return errSeen
		}
		return fn(tx)
	})
}

// keyedMutex serialises work per key (per chat).
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
