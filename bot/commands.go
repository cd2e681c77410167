package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
)

// level is what a person may do. Levels are ordered: each includes the ones
// below it.
type level int

const (
	anyone level = iota
	volunteer
	coordinator
	admin
)

func (l level) String() string {
	return [...]string{"anyone", "volunteer", "coordinator", "admin"}[l]
}

// scope says in which chats a command is accepted.
type scope int

const (
	anywhere    scope = iota
	workChats         // coordination chats and case rooms
	privateChat       // one-to-one with the bot
	groupChat         // any group (for /bind)
)

// command is one slash command. run executes inside one store transaction
// that also records the incoming message, so a command redelivered by the
// platform changes nothing the second time.
type command struct {
	name  string
	usage string // shown on malformed input; "%[1]s" is the command name
	need  level
	where scope
	// minArgs is the fewest arguments run accepts.
	minArgs int
	run     func(cc *cmdCtx) error
	// outside runs before the transaction for commands that must call a
	// platform (opening a room); it returns a value handed to run.
	outside func(ctx context.Context, cc *cmdCtx) error
}

// usageError makes the engine answer with the command's usage.
type usageError struct{ detail string }

func (u usageError) Error() string { return u.detail }

// userError is a clear refusal or correction shown to the caller as is.
type userError struct{ msg string }

func (u userError) Error() string { return u.msg }

func refuse(msg string) error { return userError{msg} }

// cmdCtx carries one command invocation.
type cmdCtx struct {
	ctx    context.Context
	e      *Engine
	m      Message
	chat   *store.Chat
	lang   string
	name   string
	args   []string
	rest   string // everything after the command name, trimmed
	caller *store.Person
	level  level
	tx     *store.Tx
	// room is set when the command was sent inside a case's room.
	roomCase int64
	replies  int
	// scratch passes data from outside to run.
	scratch any
}

func isCommand(text string) bool {
	return strings.HasPrefix(strings.TrimSpace(text), "/")
}

// parseCommand splits "/cmd@bot a b" into the lower-case name and args.
func parseCommand(text string) (name, rest string, args []string) {
	text = strings.TrimSpace(text)
	head, rest, _ := strings.Cut(text, " ")
	if i := strings.IndexAny(head, "\n"); i >= 0 {
		rest = head[i+1:] + " " + rest
		head = head[:i]
	}
	head = strings.TrimPrefix(head, "/")
	head, _, _ = strings.Cut(head, "@")
	rest = strings.TrimSpace(rest)
	return strings.ToLower(head), rest, strings.Fields(rest)
}

func (e *Engine) commands() map[string]*command {
	e.cmdOnce.Do(func() {
		e.cmdTable = map[string]*command{}
		for _, c := range e.commandList() {
			e.cmdTable[c.name] = c
		}
	})
	return e.cmdTable
}

func (e *Engine) handleCommand(ctx context.Context, m Message, chat *store.Chat) error {
	name, rest, args := parseCommand(m.Text)
	cmd := e.commands()[name]
	lang := e.lang(chat)
	if chat.Role == store.RolePrivate {
		if p := e.personLang(ctx, m.Sender); p != "" {
			lang = p
		}
	}
	cc := &cmdCtx{ctx: ctx, e: e, m: m, chat: chat, lang: lang, name: name, args: args, rest: rest}
	if !m.Private && chat.Role == "" && !e.isAdmin(ctx, m.Sender) {
		// A group nobody bound yet: stay silent rather than answer strangers
		// in a chat the team hasn't chosen; only an admin's /bind matters here.
		return e.markSeen(ctx, m)
	}
	if cmd == nil {
		return e.replyOnce(ctx, cc, i18n.T(lang, "Unknown command /%s. Send /help for the list.", name))
	}
	if cmd.outside != nil {
		if seen, err := e.seen(ctx, m); err != nil || seen {
			return err
		}
		err := e.authorise(ctx, cc, cmd)
		if err == nil {
			err = cmd.outside(ctx, cc)
		}
		if text, ok := e.shown(cc, cmd, err); ok {
			return e.replyOnce(ctx, cc, text)
		}
		if err != nil {
			return err
		}
	}
	err := e.once(ctx, m, func(tx *store.Tx) error {
		cc.tx = tx
		cc.replies = 0
		err := cc.admit(cmd)
		if err == nil {
			err = cmd.run(cc)
		}
		if text, ok := e.shown(cc, cmd, err); ok {
			return cc.reply(text)
		}
		return err
	})
	if errors.Is(err, errSeen) {
		return nil
	}
	return err
}

func (e *Engine) usageText(cc *cmdCtx, cmd *command, u usageError) string {
	s := i18n.T(cc.lang, "Usage: %s", i18n.T(cc.lang, cmd.usage))
	if u.detail != "" {
		s = u.detail + "\n" + s
	}
	return s
}

// authorise checks role, chat and arity outside a transaction (for
// commands that call a platform first).
func (e *Engine) authorise(ctx context.Context, cc *cmdCtx, cmd *command) error {
	return e.store.View(ctx, func(tx *store.Tx) error {
		cc.tx = tx
		defer func() { cc.tx = nil }()
		return cc.admit(cmd)
	})
}

// admit loads the caller and checks their role, the chat and the number
// of arguments. A refusal is logged and comes back as a userError, a short
// call as a usageError; shown turns either into the reply.
func (cc *cmdCtx) admit(cmd *command) error {
	if err := cc.loadCaller(); err != nil {
		return err
	}
	if err := cc.checkAccess(cmd); err != nil {
		var ue userError
		if errors.As(err, &ue) {
			cc.e.log.Warn("command refused", "cmd", cmd.name, "caller", cc.m.Sender, "chat", cc.m.Chat, "reason", ue.msg)
		}
		return err
	}
	if len(cc.args) < cmd.minArgs {
		return usageError{}
	}
	return nil
}

// shown is the reply for a refusal or a usage mistake; ok is false for nil
// and for errors that are not the caller's to see.
func (e *Engine) shown(cc *cmdCtx, cmd *command, err error) (text string, ok bool) {
	var ue userError
	var usage usageError
	switch {
	case errors.As(err, &ue):
		return ue.msg, true
	case errors.As(err, &usage):
		return e.usageText(cc, cmd, usage), true
	}
	return "", false
}

func (cc *cmdCtx) loadCaller() error {
	p, err := cc.tx.Person(cc.m.Sender)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p = &store.Person{Ref: cc.m.Sender, Name: cc.m.SenderName}
	case err != nil:
		return fmt.Errorf("read person %s: %w", cc.m.Sender, err)
	}
	cc.caller = p
	cc.level = cc.e.levelOf(p)
	if cc.chat.Role == store.RoleRoom {
		cc.roomCase = cc.chat.Case
	} else if cc.m.Thread != "" {
		if id, err := cc.tx.GetState(threadKey(cc.m.Chat, cc.m.Thread)); err == nil && id != nil {
			cc.roomCase, _ = strconv.ParseInt(string(id), 10, 64)
		}
	}
	return nil
}

func (e *Engine) isAdmin(ctx context.Context, ref string) bool {
	l := anyone
	_ = e.store.View(ctx, func(tx *store.Tx) error {
		p, err := tx.Person(ref)
		if err != nil {
			p = &store.Person{Ref: ref}
		}
		l = e.levelOf(p)
		return nil
	})
	return l == admin
}

func (e *Engine) levelOf(p *store.Person) level {
	if e.admins[p.Ref] {
		return admin
	}
	for _, alias := range p.Aliases {
		if e.admins[alias] {
			return admin
		}
	}
	l := anyone
	for _, r := range p.Roles {
		switch r {
		case "admin":
			l = max(l, admin)
		case "coordinator":
			l = max(l, coordinator)
		case "volunteer":
			l = max(l, volunteer)
		}
	}
	return l
}

func (cc *cmdCtx) checkAccess(cmd *command) error {
	switch cmd.where {
	case workChats:
		if cc.chat.Role != store.RoleCoordination && cc.roomCase == 0 {
			return refuse(i18n.T(cc.lang, "/%s works in the volunteers' coordination chat or a case room.", cmd.name))
		}
	case privateChat:
		if !cc.m.Private {
			return refuse(i18n.T(cc.lang, "/%s works in a private chat with me.", cmd.name))
		}
	case groupChat:
		if cc.m.Private {
			return refuse(i18n.T(cc.lang, "Send /%s in the group you want to set up.", cmd.name))
		}
	}
	if cc.level < cmd.need {
		if cmd.need == volunteer && cc.chat.Role == store.RoleCoordination {
			// Being in the coordination chat is the team's vetting: one
			// /volunteer here is all it takes.
			return refuse(i18n.T(cc.lang, "Sorry, /%s is for registered volunteers: send /volunteer [skills…] here first (for example /volunteer medical verify).", cmd.name))
		}
		return refuse(i18n.T(cc.lang, "Sorry, /%s needs the %s role. An admin can grant it with /grant.", cmd.name, i18n.T(cc.lang, "role:"+cmd.need.String())))
	}
	return nil
}

// reply queues a message back to the chat (and thread) the command came
// from. A button press is answered with a short toast to the presser
// instead, so a busy group isn't filled with confirmations.
func (cc *cmdCtx) reply(text string) error {
	cc.replies++
	out := OutMessage{Chat: cc.m.Chat, Thread: cc.m.Thread, Text: text}
	if cb := cc.m.Callback; cb != nil {
		out = OutMessage{Chat: cc.m.Chat, CallbackID: cb.ID, Answer: clip(strings.SplitN(text, "\n", 2)[0], 190)}
	}
	return cc.e.enqueue(cc.tx, "reply", cc.roomCase, out, fmt.Sprintf("reply:%s:%s:%d", cc.m.Chat, msgKey(cc.m).ID, cc.replies))
}

// replyOnce answers outside a command transaction, recording the message.
func (e *Engine) replyOnce(ctx context.Context, cc *cmdCtx, text string) error {
	err := e.once(ctx, cc.m, func(tx *store.Tx) error {
		cc.tx = tx
		return cc.reply(text)
	})
	if errors.Is(err, errSeen) {
		return nil
	}
	return err
}

func (e *Engine) seen(ctx context.Context, m Message) (bool, error) {
	var seen bool
	err := e.store.View(ctx, func(tx *store.Tx) error {
		var err error
		seen, err = tx.Seen(msgKey(m))
		return err
	})
	return seen, err
}

func (e *Engine) personLang(ctx context.Context, ref string) string {
	var lang string
	_ = e.store.View(ctx, func(tx *store.Tx) error {
		if p, err := tx.Person(ref); err == nil {
			lang = p.Language
		}
		return nil
	})
	return lang
}

// caseArg reads a case number ("42" or "#42") at args[i]; inside a room the
// number may be left out.
func (cc *cmdCtx) caseArg(i int) (*store.Case, error) {
	if i >= len(cc.args) {
		if cc.roomCase != 0 {
			return cc.loadCase(cc.roomCase)
		}
		return nil, usageError{}
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(cc.args[i], "#"), 10, 64)
	if err != nil || id <= 0 {
		if cc.roomCase != 0 && i == 0 {
			// "/note text" inside a room: the text starts at args[0].
			return cc.loadCase(cc.roomCase)
		}
		return nil, usageError{i18n.T(cc.lang, "%q is not a case number.", cc.args[i])}
	}
	return cc.loadCase(id)
}

func (cc *cmdCtx) loadCase(id int64) (*store.Case, error) {
	c, err := cc.tx.Case(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse(i18n.T(cc.lang, "There is no case #%d.", id))
	}
	if err != nil {
		return nil, fmt.Errorf("read case %d: %w", id, err)
	}
	return c, nil
}

// textAfter returns the free text after the first n arguments (the case
// number inside a room may be absent).
func (cc *cmdCtx) textAfter(n int) string {
	rest := cc.rest
	for range n {
		rest = strings.TrimSpace(rest)
		_, after, found := strings.Cut(rest, " ")
		if !found {
			return ""
		}
		rest = after
	}
	return strings.TrimSpace(rest)
}

// hasCaseNumber says whether args[0] is a case number (not in rooms, where
// it may be omitted).
func (cc *cmdCtx) hasCaseNumber() bool {
	if len(cc.args) == 0 {
		return false
	}
	_, err := strconv.ParseInt(strings.TrimPrefix(cc.args[0], "#"), 10, 64)
	return err == nil
}

// privacyHere says whether personal data may be shown in this chat for c.
func (cc *cmdCtx) privacyHere(c *store.Case) privacy {
	if cc.chat.Role == store.RoleCoordination && cc.m.Thread == "" {
		return unmasked
	}
	if c != nil && cc.roomCase == c.ID {
		return unmasked
	}
	if c != nil && cc.m.Private && c.Asker == cc.m.Sender {
		return unmasked // askers see their own details
	}
	return masked
}

// event appends an audit record for c by the caller.
func (cc *cmdCtx) event(c *store.Case, kind, from, to, note string) error {
	return cc.tx.AppendEvent(&store.Event{Case: c.ID, At: cc.e.now(), Actor: cc.m.Sender, Kind: kind, From: from, To: to, Note: note})
}

// save stores c after a change by the caller, marks the first response,
// refreshes the alert cards in place and tells the asker when it matters.
func (cc *cmdCtx) save(c *store.Case, what string) error {
	now := cc.e.now()
	c.Updated = now
	if c.FirstResponse.IsZero() && cc.m.Sender != c.Asker {
		c.FirstResponse = now
	}
	if err := cc.tx.PutCase(c); err != nil {
		return fmt.Errorf("save case %d: %w", c.ID, err)
	}
	edited, err := cc.e.afterChange(cc.tx, c, cc.m.Sender, what)
	if err != nil {
		return err
	}
	// The card whose button was pressed shows the new state at once, even
	// when it is not the alert card the bot remembers (a /case reply).
	if cb := cc.m.Callback; cb != nil && cb.MessageID != "" && !edited[cc.m.Chat+"/"+cb.MessageID] && cc.e.canEdit(cc.m.Chat) {
		text := cc.e.cardText(c, cc.lang, cc.privacyHere(c)) + "\n" + i18n.T(cc.lang, "Last: %s by @%s", i18n.T(cc.lang, "event:"+what), LocalID(cc.m.Sender))
		out := OutMessage{Chat: cc.m.Chat, Thread: cc.m.Thread, Text: text, Buttons: cardButtons(c, cc.lang), EditOf: cb.MessageID}
		return cc.e.enqueue(cc.tx, "edit", c.ID, out, "")
	}
	return nil
}

func (cc *cmdCtx) personArg(s string) (*store.Person, error) {
	p, err := findPerson(cc.tx, PlatformOf(cc.m.Sender), s)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, refuse(i18n.T(cc.lang, "I don't know %s yet: they need to send a message where I can see it first.", s))
	}
	return p, nil
}

// findPerson resolves "@name", "name" or "platform:id" to a known person,
// preferring the caller's platform.
func findPerson(tx *store.Tx, platform, s string) (*store.Person, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "@")
	if s == "" {
		return nil, nil
	}
	if strings.Contains(s, ":") {
		p, err := tx.Person(s)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return p, err
	}
	if p, err := tx.Person(platform + ":" + s); err == nil {
		return p, nil
	}
	var found *store.Person
	err := tx.ForEachPerson(func(p *store.Person) error {
		name := strings.TrimPrefix(p.Name, "@")
		if strings.EqualFold(name, s) || strings.EqualFold(LocalID(p.Ref), s) {
			if found == nil || PlatformOf(p.Ref) == platform {
				found = p
			}
		}
		return nil
	})
	return found, err
}

func hasRole(p *store.Person, role string) bool { return slices.Contains(p.Roles, role) }

func threadKey(chat, thread string) string { return "thread:" + chat + ":" + thread }
