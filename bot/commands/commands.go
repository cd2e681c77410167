// Package commands is the chat front end of the action layer: it parses
// slash commands and button presses, builds the actor, calls the action and
// turns its result or error into the reply — the usage on malformed input,
// the reason of a refusal. Queries that change nothing (/cases, /case,
// /find, /stats…) are answered here too.
package commands

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/actions"
	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/bot/reports"
	"github.com/lifeline-aid/lifeline/bot/rooms"
	"github.com/lifeline-aid/lifeline/store"
)

// Commands answers the slash commands.
type Commands struct {
	env     *env.Env
	actions *actions.Actions
	reports *reports.Reports
	cards   cards.Renderer
	table   map[string]*command
	list    []*command
	// recent remembers who wrote recent messages, for commands that name
	// a person by replying to their message.
	recent *access.Recent
	// links makes the board's sign-in links (nil: no board).
	links LoginLinks
}

// New makes the chat commands.
func New(e *env.Env, act *actions.Actions, rep *reports.Reports, r cards.Renderer) *Commands {
	c := &Commands{env: e, actions: act, reports: rep, cards: r, table: map[string]*command{}, recent: access.NewRecent()}
	c.list = c.commandList()
	for _, cmd := range c.list {
		c.table[cmd.name] = cmd
	}
	return c
}

// command is one slash command. run executes inside one store transaction
// that also records the incoming message, so a command redelivered by the
// platform changes nothing the second time.
type command struct {
	name  string
	usage string // shown on malformed input
	// rule is who may use it where: the action's own rule for commands
	// that are actions, checked before the arguments are read.
	rule access.Rule
	// listed, when set, is the rule /help lists the command by, for a
	// command whose action checks the place itself (so that it sees the
	// arguments even where it refuses).
	listed *access.Rule
	// minArgs is the fewest arguments run accepts.
	minArgs int
	run     func(cl *call) error
	// outside runs before the transaction for commands that must call a
	// platform (opening a room); it leaves what run needs in cl.scratch.
	outside func(ctx context.Context, cl *call) error
}

// usageError makes the reply the command's usage, after detail if any.
type usageError struct{ detail string }

func (u usageError) Error() string { return u.detail }

// userError is a clear refusal or correction shown to the caller as is.
type userError struct{ msg string }

func (u userError) Error() string { return u.msg }

func refuse(msg string) error { return userError{msg} }

// call is one command invocation.
type call struct {
	ctx   context.Context
	c     *Commands
	m     platform.Message
	chat  *store.Chat
	lang  string
	name  string
	args  []string
	rest  string // everything after the command name, trimmed
	actor access.Actor
	tx    *store.Tx
	// replies numbers the replies, for their dedupe keys.
	replies int
	// scratch passes data from outside to run.
	scratch any
	// rebound is set when the command changed a chat's role, so the
	// platform's menus are published again once it commits.
	rebound bool
}

// Remember notes who wrote an incoming message, so a later command that
// replies to it names that person.
func (c *Commands) Remember(m platform.Message) {
	if m.Callback == nil && !m.Edited {
		c.recent.Remember(m.Chat, m.ID, m.Sender)
	}
}

// IsCommand says whether text is a slash command.
func IsCommand(text string) bool {
	return strings.HasPrefix(strings.TrimSpace(text), "/")
}

// parseCommand splits "/cmd@bot a b" into the lower-case name, the bot it
// is addressed to ("" for none) and the args.
func parseCommand(text string) (name, bot, rest string, args []string) {
	text = strings.TrimSpace(text)
	head, rest, _ := strings.Cut(text, " ")
	if i := strings.IndexAny(head, "\n"); i >= 0 {
		rest = head[i+1:] + " " + rest
		head = head[:i]
	}
	head = strings.TrimPrefix(head, "/")
	head, bot, _ = strings.Cut(head, "@")
	rest = strings.TrimSpace(rest)
	return strings.ToLower(head), bot, rest, strings.Fields(rest)
}

// public says whether a chat is one of the big groups strangers read.
func public(chat *store.Chat) bool {
	return chat.Role == store.RoleIntake || chat.Role == store.RoleBroadcast
}

// Handle answers one command (typed, or a button press whose data is the
// command). It returns once the command and its effects are committed.
func (c *Commands) Handle(ctx context.Context, m platform.Message, chat *store.Chat) error {
	name, addressee, rest, args := parseCommand(m.Text)
	cmd := c.table[name]
	lang := c.env.Lang(chat)
	if chat.Role == store.RolePrivate {
		if p := c.personLang(ctx, m.Sender); p != "" {
			lang = p
		}
	}
	cl := &call{ctx: ctx, c: c, m: m, chat: chat, lang: lang, name: name, args: args, rest: rest}
	if addressee != "" && m.Callback == nil {
		// Adapters strip this bot's own name ("/claim@LifelineBot"), so a
		// name left on the command is another bot's: it is not ours to run.
		c.env.Log.Debug("command for another bot ignored", "cmd", name, "bot", addressee, "chat", m.Chat)
		return c.env.MarkSeen(ctx, m)
	}
	if !m.Private && chat.Role == "" && c.level(ctx, m.Sender) < access.Admin {
		// A group nobody bound yet: stay silent rather than answer strangers
		// in a chat the team hasn't chosen; only an admin's /bind matters here.
		return c.env.MarkSeen(ctx, m)
	}
	if cmd == nil {
		if public(chat) {
			// A stray "/..." in a big group is someone else's business
			// (another bot, a path, a joke): answering would be noise.
			c.env.Log.Debug("unknown command in a public group ignored", "cmd", name, "chat", m.Chat, "caller", m.Sender)
			return c.env.MarkSeen(ctx, m)
		}
		text := i18n.T(lang, "Unknown command /%s. Send /help for the list.", name)
		c.logRefusal(cl, "unknown", text)
		return c.replyOnce(ctx, cl, text)
	}
	if cmd.outside != nil {
		if seen, err := c.env.Seen(ctx, m); err != nil || seen {
			return err
		}
		err := c.env.Store.View(ctx, func(tx *store.Tx) error {
			cl.tx = tx
			defer func() { cl.tx = nil }()
			return cl.admit(cmd)
		})
		if err == nil {
			err = cmd.outside(ctx, cl)
		}
		if text, ok := cl.shown(cmd, err); ok {
			if cl.quiet(err) {
				return c.env.MarkSeen(ctx, m)
			}
			return c.replyOnce(ctx, cl, text)
		}
		if err != nil {
			return err
		}
	}
	err := c.env.Once(ctx, m, func(tx *store.Tx) error {
		cl.tx = tx
		cl.replies = 0
		cl.rebound = false
		err := cl.admit(cmd)
		if err == nil {
			err = cmd.run(cl)
		}
		if text, ok := cl.shown(cmd, err); ok {
			cl.rebound = false
			if cl.quiet(err) {
				return nil // logged by shown; the message is recorded by Once
			}
			return cl.reply(text)
		}
		return err
	})
	if err == nil && cl.rebound {
		// A chat changed role: its menu changes with it (after the
		// commit, as a platform call never runs inside a transaction).
		_ = c.publishMenus(ctx, m.Platform())
	}
	return err
}

// admit builds the actor and checks the command's rule and the number of
// arguments. A refusal is logged and comes back as a userError, a short
// call as a usageError; shown turns either into the reply.
func (cl *call) admit(cmd *command) error {
	if err := cl.loadActor(); err != nil {
		return err
	}
	if why := cmd.rule.Check(cl.actor); why != "" {
		return refuse(why)
	}
	if len(cl.args) < cmd.minArgs {
		return usageError{}
	}
	return nil
}

// shown is the reply for a refusal, a usage mistake or an action's error;
// ok is false for nil and for errors that are not the caller's to see.
// Every one of them is logged here (once: the action layer logs its own
// refusals), so no refusal goes unrecorded.
func (cl *call) shown(cmd *command, err error) (text string, ok bool) {
	var (
		ue    userError
		usage usageError
		ae    *actions.Error
	)
	kind := ""
	switch {
	case errors.As(err, &ue):
		text, kind = ue.msg, "refused"
	case errors.As(err, &usage):
		text, kind = cl.usageText(cmd, usage.detail), "usage"
	case errors.As(err, &ae) && errors.Is(ae, actions.ErrInvalid):
		text, kind = cl.usageText(cmd, ae.Reason), "invalid"
	case errors.As(err, &ae):
		text, kind = ae.Reason, ae.Kind.Error()
	default:
		return "", false
	}
	if ae == nil || !ae.Logged() {
		cl.c.logRefusal(cl, kind, text)
	}
	return text, true
}

// quiet says whether a refusal goes unanswered: a "no" to someone with no
// role, in a big group strangers read. Answering every stray "/claim"
// there would let anyone make the bot spam the group (and get it kicked);
// the refusal is still logged. Mistakes in commands open to anyone (a bare
// /find) are still answered with the usage.
func (cl *call) quiet(err error) bool {
	var ue userError
	if !public(cl.chat) || cl.actor.Level != access.Anyone {
		return false
	}
	return errors.As(err, &ue) || errors.Is(err, actions.ErrRefused)
}

// logRefusal records a command that was not done and why.
func (c *Commands) logRefusal(cl *call, kind, why string) {
	c.env.Log.Warn("command refused", "cmd", cl.name, "kind", kind, "caller", cl.m.Sender, "chat", cl.m.Chat, "reason", why)
}

func (cl *call) usageText(cmd *command, detail string) string {
	s := i18n.T(cl.lang, "Usage: %s", i18n.T(cl.lang, cmd.usage))
	if detail != "" {
		s = detail + "\n" + s
	}
	return s
}

// loadActor reads the caller and where they are.
func (cl *call) loadActor() error {
	m := cl.m
	p, err := cl.tx.Person(m.Sender)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p = &store.Person{Ref: m.Sender, Name: m.SenderName}
	case err != nil:
		return fmt.Errorf("read person %s: %w", m.Sender, err)
	}
	w := access.Where{Chat: m.Chat, Role: cl.chat.Role, Thread: m.Thread, Private: m.Private}
	if cl.chat.Role == store.RoleRoom {
		w.RoomCase = cl.chat.Case
	} else if m.Thread != "" {
		if w.RoomCase, err = rooms.CaseOfThread(cl.tx, m.Chat, m.Thread); err != nil {
			return fmt.Errorf("find case of thread %s/%s: %w", m.Chat, m.Thread, err)
		}
	}
	if cb := m.Callback; cb != nil {
		w.Card = cb.MessageID
	}
	name := p.Name
	if name == "" {
		name = m.SenderName
	}
	cl.actor = access.Actor{Ref: m.Sender, Name: name, Level: access.LevelOf(cl.c.env, p), Where: w, Lang: cl.lang}
	return nil
}

// level is a person's level, read outside a command.
func (c *Commands) level(ctx context.Context, ref string) access.Level {
	l := access.Anyone
	_ = c.env.Store.View(ctx, func(tx *store.Tx) error {
		p, err := tx.Person(ref)
		if err != nil {
			p = &store.Person{Ref: ref}
		}
		l = access.LevelOf(c.env, p)
		return nil
	})
	return l
}

func (c *Commands) personLang(ctx context.Context, ref string) string {
	var lang string
	_ = c.env.Store.View(ctx, func(tx *store.Tx) error {
		if p, err := tx.Person(ref); err == nil {
			lang = p.Language
		}
		return nil
	})
	return lang
}

// reply queues a message back to the chat (and thread) the command came
// from. A button press is answered with a short toast to the presser
// instead, so a busy group isn't filled with confirmations.
func (cl *call) reply(text string) error {
	out := platform.OutMessage{Chat: cl.m.Chat, Thread: cl.m.Thread, Text: text}
	if cb := cl.m.Callback; cb != nil {
		out = platform.OutMessage{Chat: cl.m.Chat, CallbackID: cb.ID, Answer: cards.Clip(strings.SplitN(text, "\n", 2)[0], 190)}
	}
	return cl.send(out, cl.actor.Where.RoomCase)
}

// send queues out as the next reply to the command.
func (cl *call) send(out platform.OutMessage, caseID int64) error {
	cl.replies++
	key := delivery.ReplyKey(cl.m.Chat, env.MsgKey(cl.m).ID, cl.replies)
	return delivery.Enqueue(cl.tx, cl.c.env.Now(), delivery.KindReply, caseID, out, key)
}

// replyOnce answers outside a command transaction, recording the message.
func (c *Commands) replyOnce(ctx context.Context, cl *call, text string) error {
	return c.env.Once(ctx, cl.m, func(tx *store.Tx) error {
		cl.tx = tx
		return cl.reply(text)
	})
}

// caseID reads a case number ("42" or "#42") at args[i]; inside a room the
// number may be left out.
func (cl *call) caseID(i int) (int64, error) {
	room := cl.actor.Where.RoomCase
	if i >= len(cl.args) {
		if room != 0 {
			return room, nil
		}
		return 0, usageError{}
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(cl.args[i], "#"), 10, 64)
	if err != nil || id <= 0 {
		if room != 0 && i == 0 {
			// "/note text" inside a room: the text starts at args[0].
			return room, nil
		}
		return 0, usageError{i18n.T(cl.lang, "%q is not a case number.", cl.args[i])}
	}
	return id, nil
}

// textAfter returns the free text after the first n arguments.
func (cl *call) textAfter(n int) string {
	rest := cl.rest
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

// hasCaseNumber says whether args[0] is a case number (in rooms it may be
// left out).
func (cl *call) hasCaseNumber() bool {
	if len(cl.args) == 0 {
		return false
	}
	_, err := strconv.ParseInt(strings.TrimPrefix(cl.args[0], "#"), 10, 64)
	return err == nil
}

// textAfterCase is the free text after the case number (or all the text
// inside a room when the number was left out).
func (cl *call) textAfterCase() string {
	if cl.hasCaseNumber() {
		return cl.textAfter(1)
	}
	return cl.rest
}

// privacy is what the caller may see of c here (nil: a list).
func (cl *call) privacy(c *store.Case) cards.Privacy {
	return cards.Privacy(cl.actor.SeesPersonalData(c))
}
