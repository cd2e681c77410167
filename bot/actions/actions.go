// Package actions is the one place where people change cases, the
// directory and the team. Each thing a person can do — claim, verify,
// note, set status, set urgency, assign, resolve, close, reopen, merge,
// withdraw, open a room, broadcast, edit the directory, register as a
// volunteer, grant and revoke roles, bind a chat — is one method that takes
// the actor (who, their level, where they act, their language) and the
// arguments, and does the authorisation, the change, the audit event, the
// card refresh, the asker's notice and the room and broadcast follow-ups,
// once.
//
// Every method runs inside a store transaction the caller provides: chat
// commands record the incoming message in the same transaction, so a
// redelivered command changes nothing; the board opens its own. After the
// transaction commits, the caller wakes the outbox (env.Wake).
//
// Methods return typed results, and errors a front end can show: an *Error
// whose Reason is written in the actor's language and whose kind is one of
// ErrRefused, ErrNotFound, ErrConflict or ErrInvalid (test with errors.Is).
// Any other error is a failure of the bot, not the actor's to see.
package actions

import (
	"errors"
	"fmt"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/bot/rooms"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// Kinds of action errors.
var (
	// ErrRefused: the actor may not do this (their role, the place, not
	// holding the case).
	ErrRefused = errors.New("refused")
	// ErrNotFound: the case, person or entry named does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the current state forbids it (the case is closed, the
	// person already holds it, the role is already granted).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: an argument is not one the action takes (an unknown
	// status, close reason, urgency, role or skill).
	ErrInvalid = errors.New("invalid argument")
)

// Error is an action's answer to the actor: why it was not done, in their
// language. Kind is one of ErrRefused, ErrNotFound, ErrConflict and
// ErrInvalid.
type Error struct {
	Kind   error
	Reason string
	// logged is set when the action layer already logged the refusal, so
	// a front end that logs every refusal it shows does not log it twice.
	logged bool
}

func (e *Error) Error() string { return e.Reason }

// Logged says whether the refusal was already logged here.
func (e *Error) Logged() bool { return e.logged }

// Unwrap lets errors.Is(err, ErrRefused) and the like work.
func (e *Error) Unwrap() error { return e.Kind }

func notFound(reason string) error { return &Error{Kind: ErrNotFound, Reason: reason} }
func conflict(reason string) error { return &Error{Kind: ErrConflict, Reason: reason} }
func invalid(reason string) error  { return &Error{Kind: ErrInvalid, Reason: reason} }

// Options configure the actions.
type Options struct {
	// AlertAt is the lowest urgency that alerts the coordination chats
	// (an asker withdrawing such a case is told to them).
	AlertAt triage.Urgency
	// BroadcastResolved posts a short "resolved, thank you" to the chats
	// a case was broadcast to when it is resolved.
	BroadcastResolved bool
	// Triage reads the words of a case a volunteer opens by hand (/new).
	Triage Assessor
	// Alerts queues the alerts of such a case when it is urgent enough.
	Alerts AlertQueuer
}

// Actions performs what people do.
type Actions struct {
	env   *env.Env
	cards cards.Renderer
	rooms *rooms.Rooms
	opts  Options
}

// New makes the action layer.
func New(e *env.Env, r cards.Renderer, rm *rooms.Rooms, o Options) *Actions {
	return &Actions{env: e, cards: r, rooms: rm, opts: o}
}

// allow checks rule for the actor, logging a refusal.
func (a *Actions) allow(actor access.Actor, rule access.Rule) error {
	if why := rule.Check(actor); why != "" {
		return a.refuse(actor, rule.Name, why)
	}
	return nil
}

// refuse logs a refusal and returns it as an ErrRefused.
func (a *Actions) refuse(actor access.Actor, action, why string) error {
	a.env.Log.Warn("action refused", "action", action, "actor", actor.Ref, "chat", actor.Where.Chat, "reason", why)
	return &Error{Kind: ErrRefused, Reason: why, logged: true}
}

// load checks that the actor may do what rule governs, then reads case id.
// A case's room is for that case: another case is handled in the
// coordination chat (the room may hold the asker).
func (a *Actions) load(tx *store.Tx, actor access.Actor, rule access.Rule, id int64) (*store.Case, error) {
	if err := a.allow(actor, rule); err != nil {
		return nil, err
	}
	if room := actor.Where.RoomCase; room != 0 && room != id {
		return nil, a.refuse(actor, rule.Name, i18n.T(actor.Lang, "This is the room of case #%d; handle case #%d in the volunteers' coordination chat.", room, id))
	}
	return a.read(tx, actor, id)
}

// read reads case id.
func (a *Actions) read(tx *store.Tx, actor access.Actor, id int64) (*store.Case, error) {
	c, err := tx.Case(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(i18n.T(actor.Lang, "There is no case #%d.", id))
	}
	if err != nil {
		return nil, fmt.Errorf("read case %d: %w", id, err)
	}
	return c, nil
}

// loadOpen is load for an open case: a finished one is a conflict.
func (a *Actions) loadOpen(tx *store.Tx, actor access.Actor, rule access.Rule, id int64) (*store.Case, error) {
	c, err := a.load(tx, actor, rule, id)
	if err != nil {
		return nil, err
	}
	if !c.Status.Open() {
		return nil, conflict(i18n.T(actor.Lang, "Case #%d is %s.", c.ID, i18n.Status(actor.Lang, c.Status)))
	}
	return c, nil
}

// event appends an audit record for c by the actor.
func (a *Actions) event(tx *store.Tx, actor access.Actor, c *store.Case, kind, from, to, note string) error {
	return tx.AppendEvent(&store.Event{Case: c.ID, At: a.env.Now(), Actor: actor.Ref, Kind: kind, From: from, To: to, Note: note})
}

// teamEvent records a change that belongs to no case (roles, chat
// bindings, the directory) in the team's audit log, which the store keeps
// as the events of case 0.
func (a *Actions) teamEvent(tx *store.Tx, actor access.Actor, kind, to, note string) error {
	return tx.AppendEvent(&store.Event{Case: 0, At: a.env.Now(), Actor: actor.Ref, Kind: kind, To: to, Note: note})
}

// save stores c after a change by the actor, marks the first response,
// refreshes the cards in place and tells the asker when it matters.
func (a *Actions) save(tx *store.Tx, actor access.Actor, c *store.Case, what string) error {
	now := a.env.Now()
	c.Updated = now
	if c.FirstResponse.IsZero() && actor.Ref != c.Asker {
		c.FirstResponse = now
	}
	if err := tx.PutCase(c); err != nil {
		return fmt.Errorf("save case %d: %w", c.ID, err)
	}
	edited, err := a.RefreshCards(tx, c, actor.Ref, what)
	if err != nil {
		return err
	}
	if err := a.stateLines(tx, c, actor, what); err != nil {
		return err
	}
	// The card whose button was pressed shows the new state at once, even
	// when it is not the alert card the bot remembers (a /case reply).
	w := actor.Where
	if w.Card != "" && !edited[w.Chat+"/"+w.Card] && a.env.CanEdit(w.Chat) {
		text := a.cards.Changed(c, actor.Lang, cards.Privacy(actor.SeesPersonalData(c)), what, actor.Ref)
		out := platform.OutMessage{Chat: w.Chat, Thread: w.Thread, Text: text, Buttons: cards.Buttons(c, actor.Lang), EditOf: w.Card}
		if err := delivery.Enqueue(tx, now, delivery.KindEdit, c.ID, out, ""); err != nil {
			return err
		}
	}
	return a.notifyAsker(tx, c, what)
}

// RefreshCards edits the alert cards of c in the coordination chats (where
// the platform keeps them) to show a change: what, by actor. It returns
// the "chat/message" ids of the cards it edited.
func (a *Actions) RefreshCards(tx *store.Tx, c *store.Case, actor, what string) (map[string]bool, error) {
	coordination, err := env.ChatsWithRole(tx, store.RoleCoordination)
	if err != nil {
		return nil, err
	}
	edited := map[string]bool{}
	for _, ch := range coordination {
		if !a.env.CanEdit(ch.Ref) {
			continue
		}
		lang := a.env.Lang(ch)
		out := platform.OutMessage{Chat: ch.Ref, Text: a.cards.Changed(c, lang, cards.Unmasked, what, actor), Buttons: cards.Buttons(c, lang)}
		// A card still queued gets the edit right after it is sent.
		id, err := delivery.EditCard(tx, a.env.Now(), c.ID, out)
		if err != nil {
			return nil, err
		}
		if id != "" {
			edited[ch.Ref+"/"+id] = true
		}
	}
	return edited, nil
}

// stateLines tell coordination chats whose platform cannot edit a card
// (WeChat) what changed, in one short line, where the card was posted and
// the change was made elsewhere (the reply to a command already says it
// in the chat it was sent from).
func (a *Actions) stateLines(tx *store.Tx, c *store.Case, actor access.Actor, what string) error {
	coordination, err := env.ChatsWithRole(tx, store.RoleCoordination)
	if err != nil {
		return err
	}
	for _, ch := range coordination {
		if a.env.CanEdit(ch.Ref) || ch.Ref == actor.Where.Chat {
			continue
		}
		id, err := delivery.AlertCard(tx, c.ID, ch.Ref)
		if err != nil {
			return err
		}
		if id == "" {
			continue
		}
		text := a.cards.StateLine(c, a.env.Lang(ch), what, actor.Ref)
		if err := delivery.Enqueue(tx, a.env.Now(), delivery.KindNotice, c.ID, platform.OutMessage{Chat: ch.Ref, Text: text}, ""); err != nil {
			return err
		}
	}
	return nil
}

// notifyAsker tells the asker about a change that matters to them: their
// case verified, taken, resolved, closed or reopened. Nothing is masked:
// it goes only to the asker's own private chat.
func (a *Actions) notifyAsker(tx *store.Tx, c *store.Case, what string) error {
	if c.Asker == "" {
		return nil
	}
	chat, err := delivery.PrivateChat(tx, c.Asker)
	if err != nil || chat == "" {
		return err
	}
	lang := a.env.AskerLang(tx, c, "")
	var text string
	switch what {
	case "claim", "assign":
		if len(c.Assignees) == 1 { // the first volunteer only: later helpers are internal
			text = i18n.T(lang, "A volunteer has taken your request #%d and will contact you.", c.ID)
		}
	case "reopen":
		text = i18n.T(lang, "Your request #%d was reopened; the volunteers will look at it again.", c.ID)
	case "status":
		switch c.Status {
		case store.StatusVerified:
			text = i18n.T(lang, "Your request #%d has been verified by the volunteers.", c.ID)
		case store.StatusInProgress:
			text = i18n.T(lang, "Volunteers are now working on your request #%d.", c.ID)
		case store.StatusResolved:
			text = i18n.T(lang, "Your request #%d is marked resolved. If you still need help, just write to me.", c.ID)
		case store.StatusClosed:
			switch {
			case c.MergedInto != 0:
				text = i18n.T(lang, "Your request #%d is the same as request #%d; the volunteers follow it there.", c.ID, c.MergedInto)
			case c.CloseReason == "withdrawn":
				// The asker withdrew it themself and got a confirmation.
			default:
				text = i18n.T(lang, "Your request #%d was closed (%s). If you still need help, just write to me.", c.ID, i18n.T(lang, c.CloseReason))
			}
		}
	}
	if text == "" {
		return nil
	}
	return delivery.Enqueue(tx, a.env.Now(), delivery.KindNotice, c.ID, platform.OutMessage{Chat: chat, Text: text}, "")
}
