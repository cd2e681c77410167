package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/commands"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

// HandleMessage is the single entry point for every incoming update. It
// returns once the message and its effects are committed to the store.
func (e *Engine) HandleMessage(ctx context.Context, m Message) error {
	e.handling.begin()
	defer e.handling.end()
	// One chat at a time keeps an asker's messages in order even when a
	// platform delivers updates concurrently.
	if !chatsLocked(ctx) { // a group commit holds its chats' locks (batch.go)
		unlock := e.env.Lock(m.Chat)
		defer unlock()
	}
	// A message being handled when shutdown starts is finished, not torn
	// half-way: its work is a few short transactions, bounded here.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handleTimeout)
	defer cancel()
	if m.Time.IsZero() {
		m.Time = e.env.Now()
	}
	switch m.Kind {
	case KindJoined, KindLeft, KindMigrated:
		e.env.ObserveIn(ctx).Message(m.Platform(), "membership")
		return e.handleMembership(ctx, m)
	}
	if m.Callback != nil {
		m.Text = m.Callback.Data
	}
	chat, err := e.chat(ctx, m)
	if err != nil {
		return err
	}
	if err := e.notePerson(ctx, m, chat); err != nil {
		return err
	}
	e.commands.Remember(m)
	var handleErr error
	obs := e.env.ObserveIn(ctx)
	switch {
	case commands.IsCommand(m.Text):
		obs.Message(m.Platform(), "command")
		if quiet, err := e.throttled(ctx, m, chat); quiet || err != nil {
			handleErr = err
			break
		}
		handleErr = e.commands.Handle(ctx, m, chat)
	case chat.Role == store.RoleIntake:
		handleErr = e.intake.Handle(ctx, m, chat) // counts what triage made of it
	case chat.Role == store.RoleRoom || (m.Thread != "" && chat.Role == store.RoleCoordination):
		obs.Message(m.Platform(), "other")
		handleErr = e.rooms.HandleMessage(ctx, m, chat)
	case m.Private:
		obs.Message(m.Platform(), "private")
		if quiet, err := e.throttled(ctx, m, chat); quiet || err != nil {
			handleErr = err
			break
		}
		handleErr = e.asker.Handle(ctx, m, chat)
	default:
		obs.Message(m.Platform(), "other")
		// Chatter in coordination or broadcast chats is not ours to act on,
		// but recording it keeps redelivery harmless.
		handleErr = e.env.MarkSeen(ctx, m)
	}
	if handleErr != nil {
		e.env.Log.Error("handle message", "chat", m.Chat, "msg", m.ID, "err", handleErr)
		return handleErr
	}
	e.env.Wake()
	return nil
}

var _ platform.BatchHandler = (*Engine)(nil)

// chat returns the stored chat record, creating one for a private chat or
// an unbound group on first sight.
func (e *Engine) chat(ctx context.Context, m Message) (*store.Chat, error) {
	var c *store.Chat
	err := e.env.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		c, err = tx.Chat(m.Chat)
		return err
	})
	if err == nil && !c.Active && m.Kind != KindLeft && m.Kind != KindMigrated {
		// A message from a chat the bot could not reach: it can again, and
		// what waited for it (a kicked coordination chat's alerts) goes now.
		err = e.env.Store.Update(ctx, func(tx *store.Tx) error {
			c, err = tx.Chat(m.Chat)
			if err != nil || c.Active {
				return err
			}
			c.Active, c.Updated = true, e.env.Now()
			if err := tx.PutChat(c); err != nil {
				return err
			}
			return delivery.ChatReachable(tx, e.env, m.Chat)
		})
		if err != nil {
			return nil, fmt.Errorf("mark chat %s reachable: %w", m.Chat, err)
		}
		e.env.Log.Info("chat reachable again", "chat", m.Chat)
	}
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("read chat %s: %w", m.Chat, err)
	}
	c = &store.Chat{Ref: m.Chat, Name: m.ChatName, Active: true, Updated: e.env.Now()}
	e.env.RememberName(c.Ref, c.Name)
	if m.Private {
		c.Role = store.RolePrivate
	}
	if err := e.env.Store.Update(ctx, func(tx *store.Tx) error { return tx.PutChat(c) }); err != nil {
		return nil, fmt.Errorf("record chat %s: %w", m.Chat, err)
	}
	return c, nil
}

// notePerson records a sender the first time the bot sees them, so
// coordinators can /assign and admins /grant people by name, and remembers
// a person's private chat (even from a lone /start) so the bot can tell
// them about their case and send room invites. It also notes what makes a
// person nameable without doubt (their @handle, that they write in the
// team's chats: see access.FindPerson).
func (e *Engine) notePerson(ctx context.Context, m Message, chat *store.Chat) error {
	if m.Sender == "" {
		return nil
	}
	e.env.RememberName(m.Sender, m.SenderName)
	seen := access.Sighting{Person: m.Sender, Handle: m.SenderHandle, Role: chat.Role}
	var knownPerson, knownChat, newSighting bool
	if err := e.env.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		if newSighting, err = access.NeedsRecord(tx, seen); err != nil {
			return err
		}
		_, err = tx.Person(m.Sender)
		switch {
		case err == nil:
			knownPerson = true
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		knownChat = !m.Private
		if m.Private {
			chat, err := delivery.PrivateChat(tx, m.Sender)
			if err != nil {
				return err
			}
			knownChat = chat == m.Chat
		}
		return nil
	}); err != nil {
		return fmt.Errorf("read person %s: %w", m.Sender, err)
	}
	if knownPerson && knownChat && !newSighting {
		return nil
	}
	err := e.env.Store.Update(ctx, func(tx *store.Tx) error {
		if newSighting {
			if err := access.Record(tx, seen); err != nil {
				return err
			}
		}
		if _, err := tx.Person(m.Sender); errors.Is(err, store.ErrNotFound) {
			if err := tx.PutPerson(&store.Person{Ref: m.Sender, Name: m.SenderName, Updated: e.env.Now()}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if !m.Private {
			return nil
		}
		return delivery.RecordPrivateChat(tx, m.Sender, m.Chat)
	})
	if err != nil {
		return fmt.Errorf("record person %s: %w", m.Sender, err)
	}
	return nil
}

// handleMembership reacts to the bot joining or leaving a chat, or a chat
// moving to a new id.
func (e *Engine) handleMembership(ctx context.Context, m Message) error {
	now := e.env.Now()
	var notice *OutMessage
	err := e.env.Store.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Chat(m.Chat)
		if errors.Is(err, store.ErrNotFound) {
			c, err = &store.Chat{Ref: m.Chat, Name: m.ChatName}, nil
		}
		if err != nil {
			return err
		}
		switch m.Kind {
		case KindJoined:
			c.Active, c.Updated = true, now
			if err := delivery.ChatReachable(tx, e.env, m.Chat); err != nil {
				return err
			}
			if c.Role == "" {
				lang := e.env.Lang(c)
				notice = &OutMessage{Chat: m.Chat, Text: i18n.T(lang, "Hello! I am Lifeline. An admin can set this chat up by sending /bind intake (a mutual-aid group I read), /bind coordination (the volunteers' chat that gets alerts) or /bind broadcast.")}
			}
		case KindLeft:
			c.Active, c.Updated = false, now
		case KindMigrated:
			moved := *c
			moved.Ref, moved.Updated = m.NewChat, now
			if err := tx.PutChat(&moved); err != nil {
				return err
			}
			// The old id is gone for good: it keeps no role, so no alert
			// waits for it.
			c.Role, c.Active, c.Updated = "", false, now
		}
		if err := tx.PutChat(c); err != nil {
			return err
		}
		if notice != nil {
			return delivery.Enqueue(tx, now, delivery.KindNotice, 0, *notice, "joined:"+m.Chat+":"+m.ID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record membership change in %s: %w", m.Chat, err)
	}
	e.env.Log.Info("chat membership changed", "chat", m.Chat, "kind", int(m.Kind), "new_chat", m.NewChat)
	e.env.Wake()
	return nil
}

// NotifyAdmins tells the people running the bot about a problem they must
// act on (WeChat needs a new QR scan, a group was renamed): every admin with
// a private chat, and every coordination chat, except those on the platform
// the problem is about (it may be unable to deliver).
func (e *Engine) NotifyAdmins(ctx context.Context, exceptPlatform, text string) {
	err := e.env.Store.Update(ctx, func(tx *store.Tx) error {
		var targets []string
		for _, admin := range e.env.Admins() {
			chat, err := delivery.PrivateChat(tx, admin)
			if err != nil {
				return err
			}
			if chat != "" {
				targets = append(targets, chat)
			}
		}
		coordination, err := env.ChatsWithRole(tx, store.RoleCoordination)
		if err != nil {
			return err
		}
		for _, c := range coordination {
			targets = append(targets, c.Ref)
		}
		for _, chat := range targets {
			if PlatformOf(chat) == exceptPlatform {
				continue
			}
			if err := delivery.Enqueue(tx, e.env.Now(), delivery.KindNotice, 0, OutMessage{Chat: chat, Text: "⚙ " + text}, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.env.Log.Error("notify admins", "err", err, "text", text)
		return
	}
	e.env.Log.Warn("admins notified", "text", text)
	e.env.Wake()
}
