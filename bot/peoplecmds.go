package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
)

// commandList is every command the engine understands, in /help order.
func (e *Engine) commandList() []*command {
	return []*command{
		{name: "help", usage: "/help", run: cmdHelp},
		{name: "start", usage: "/start", where: privateChat, run: cmdStart},
		{name: "status", usage: "/status N <new|verifying|verified|in_progress|resolved> [note]", run: cmdStatus},
		{name: "cancel", usage: "/cancel [N]", where: privateChat, run: cmdCancel},
		{name: "cases", usage: "/cases [critical|high|normal] [status] [category] [district] [mine] [stale]", need: volunteer, where: workChats, run: cmdCases},
		{name: "case", usage: "/case N", need: volunteer, where: workChats, minArgs: 0, run: cmdCase},
		{name: "claim", usage: "/claim N", need: volunteer, where: workChats, run: cmdClaim},
		{name: "assign", usage: "/assign N @person", need: coordinator, where: workChats, minArgs: 1, run: cmdAssign},
		{name: "verify", usage: "/verify N [note]", need: volunteer, where: workChats, run: cmdVerify},
		{name: "note", usage: "/note N text", need: volunteer, where: workChats, minArgs: 1, run: cmdNote},
		{name: "urgency", usage: "/urgency N critical|high|normal [reason]", need: coordinator, where: workChats, minArgs: 2, run: cmdUrgency},
		{name: "resolve", usage: "/resolve N [note]", need: volunteer, where: workChats, run: cmdResolve},
		{name: "close", usage: "/close N duplicate|unreachable|invalid|withdrawn|referred [note]", need: coordinator, where: workChats, minArgs: 1, run: cmdClose},
		{name: "reopen", usage: "/reopen N", need: coordinator, where: workChats, run: cmdReopen},
		{name: "merge", usage: "/merge N M (merge case N into case M)", need: coordinator, where: workChats, minArgs: 2, run: cmdMerge},
		{name: "room", usage: "/room N", need: volunteer, where: workChats, outside: roomOutside, run: cmdRoom},
		{name: "broadcast", usage: "/broadcast N", need: coordinator, where: workChats, run: cmdBroadcast},
		{name: "find", usage: "/find words (hospital, dialysis, pharmacy, district…)", minArgs: 1, run: cmdFind},
		{name: "dir", usage: "/dir add name | category | district | phone | hours | notes — or /dir rm ID", need: coordinator, where: workChats, minArgs: 1, run: cmdDir},
		{name: "stats", usage: "/stats [today|24h|7d|all]", need: volunteer, where: workChats, run: cmdStats},
		{name: "digest", usage: "/digest", need: volunteer, where: workChats, run: cmdDigest},
		{name: "export", usage: "/export", need: coordinator, where: workChats, run: cmdExport},
		{name: "volunteer", usage: "/volunteer [skills…] (verify, medical, legal, mental, transport) — or /volunteer off | on", run: cmdVolunteer},
		{name: "bind", usage: "/bind intake|coordination|broadcast|none [zh|en]", need: admin, where: groupChat, minArgs: 1, run: cmdBind},
		{name: "grant", usage: "/grant @person volunteer|coordinator|admin", need: admin, minArgs: 2, run: cmdGrant},
		{name: "revoke", usage: "/revoke @person volunteer|coordinator|admin", need: admin, minArgs: 2, run: cmdRevoke},
	}
}

// cmdHelp lists the commands the caller may use here.
func cmdHelp(cc *cmdCtx) error {
	var lines []string
	if cc.m.Private && cc.level < volunteer {
		lines = append(lines, i18n.T(cc.lang, "I help people in need reach volunteers. Tell me in your own words what you need, for whom, where, and a phone number."))
	}
	lines = append(lines, i18n.T(cc.lang, "Commands:"))
	for _, cmd := range cc.e.commandList() {
		if cmd.need > cc.level {
			continue
		}
		if cmd.where == privateChat && !cc.m.Private || cmd.where == workChats && cc.chat.Role != store.RoleCoordination && cc.roomCase == 0 {
			continue
		}
		lines = append(lines, "  "+i18n.T(cc.lang, cmd.usage))
	}
	return cc.reply(strings.Join(lines, "\n"))
}

var skillNames = []string{"verify", "medical", "legal", "mental", "transport", "supplies", "pets", "translate"}

// cmdVolunteer registers the caller as a volunteer with skills, or turns
// their duty on and off. It works in the coordination chat (being there is
// the team's vetting) or privately for someone already registered.
func cmdVolunteer(cc *cmdCtx) error {
	p := cc.caller
	if cc.chat.Role != store.RoleCoordination && !hasRole(p, "volunteer") && cc.level < volunteer {
		return refuse(i18n.T(cc.lang, "Register with /volunteer in the volunteers' coordination chat."))
	}
	switch {
	case len(cc.args) == 1 && (cc.args[0] == "off" || cc.args[0] == "on"):
		if !hasRole(p, "volunteer") && cc.level < volunteer {
			return refuse(i18n.T(cc.lang, "Register first with /volunteer [skills…]."))
		}
		p.OnDuty = cc.args[0] == "on"
		if err := cc.savePerson(p); err != nil {
			return err
		}
		if p.OnDuty {
			return cc.reply(i18n.T(cc.lang, "✓ %s is on duty.", displayName(p)))
		}
		return cc.reply(i18n.T(cc.lang, "✓ %s is off duty. Rest well.", displayName(p)))
	}
	var bad []string
	for _, s := range cc.args {
		s = strings.ToLower(strings.Trim(s, ",，"))
		if s == "" {
			continue
		}
		if !slices.Contains(skillNames, s) {
			bad = append(bad, s)
			continue
		}
		if !slices.Contains(p.Skills, s) {
			p.Skills = append(p.Skills, s)
		}
	}
	if len(bad) > 0 {
		return usageError{i18n.T(cc.lang, "Unknown skill %s; known skills: %s.", strings.Join(bad, ", "), strings.Join(skillNames, ", "))}
	}
	if !hasRole(p, "volunteer") {
		p.Roles = append(p.Roles, "volunteer")
	}
	p.OnDuty = true
	if err := cc.savePerson(p); err != nil {
		return err
	}
	if err := cc.teamEvent("volunteer", p.Ref, strings.Join(p.Skills, ",")); err != nil {
		return err
	}
	skills := strings.Join(p.Skills, ", ")
	if skills == "" {
		skills = "-"
	}
	return cc.reply(i18n.T(cc.lang, "✓ %s registered as a volunteer, on duty. Skills: %s.", displayName(p), skills))
}

// teamEvent records a change that belongs to no case (roles, chat
// bindings, the directory) in the team's audit log, which the store keeps
// as the events of case 0.
func (cc *cmdCtx) teamEvent(kind, to, note string) error {
	return cc.tx.AppendEvent(&store.Event{Case: 0, At: cc.e.now(), Actor: cc.m.Sender, Kind: kind, To: to, Note: note})
}

func (cc *cmdCtx) savePerson(p *store.Person) error {
	if p.Name == "" {
		p.Name = cc.m.SenderName
	}
	p.Updated = cc.e.now()
	if err := cc.tx.PutPerson(p); err != nil {
		return fmt.Errorf("save person %s: %w", p.Ref, err)
	}
	return nil
}

func cmdBind(cc *cmdCtx) error {
	role := store.ChatRole(strings.ToLower(cc.args[0]))
	switch role {
	case store.RoleIntake, store.RoleCoordination, store.RoleBroadcast, "none":
	default:
		return usageError{i18n.T(cc.lang, "%q is not a chat role.", cc.args[0])}
	}
	from := cc.chat.Role
	if role == "none" {
		role = ""
	}
	cc.chat.Role, cc.chat.Active, cc.chat.Updated = role, true, cc.e.now()
	if len(cc.args) > 1 && (cc.args[1] == "zh" || cc.args[1] == "en") {
		cc.chat.Language = cc.args[1]
		cc.lang = cc.args[1]
	}
	if cc.chat.Name == "" {
		cc.chat.Name = cc.m.ChatName
	}
	if err := cc.tx.PutChat(cc.chat); err != nil {
		return fmt.Errorf("bind chat: %w", err)
	}
	cc.e.log.Info("chat bound", "chat", cc.m.Chat, "from", string(from), "to", string(role), "by", cc.m.Sender)
	if err := cc.teamEvent("bind", cc.m.Chat, string(from)+" → "+string(role)); err != nil {
		return err
	}
	if role == "" {
		return cc.reply(i18n.T(cc.lang, "✓ This chat is no longer served by Lifeline."))
	}
	return cc.reply(i18n.T(cc.lang, "✓ This chat is now a %s chat.", i18n.T(cc.lang, "chatrole:"+string(role))))
}

var grantable = []string{"volunteer", "coordinator", "admin"}

func cmdGrant(cc *cmdCtx) error  { return cc.changeRole(true) }
func cmdRevoke(cc *cmdCtx) error { return cc.changeRole(false) }

func (cc *cmdCtx) changeRole(grant bool) error {
	role := strings.ToLower(cc.args[1])
	if !slices.Contains(grantable, role) {
		return usageError{i18n.T(cc.lang, "%q is not a role (volunteer, coordinator, admin).", cc.args[1])}
	}
	p, err := cc.personArg(cc.args[0])
	if err != nil {
		return err
	}
	has := hasRole(p, role)
	switch {
	case grant && has:
		return refuse(i18n.T(cc.lang, "%s is already %s.", displayName(p), i18n.T(cc.lang, "role:"+role)))
	case !grant && !has:
		return refuse(i18n.T(cc.lang, "%s is not %s.", displayName(p), i18n.T(cc.lang, "role:"+role)))
	case grant:
		p.Roles = append(p.Roles, role)
	default:
		p.Roles = slices.DeleteFunc(p.Roles, func(r string) bool { return r == role })
	}
	p.Updated = cc.e.now()
	if err := cc.tx.PutPerson(p); err != nil {
		return fmt.Errorf("save person %s: %w", p.Ref, err)
	}
	cc.e.log.Info("role changed", "person", p.Ref, "role", role, "grant", grant, "by", cc.m.Sender)
	kind := "revoke"
	if grant {
		kind = "grant"
	}
	if err := cc.teamEvent(kind, p.Ref, role); err != nil {
		return err
	}
	if grant {
		return cc.reply(i18n.T(cc.lang, "✓ %s is now %s.", displayName(p), i18n.T(cc.lang, "role:"+role)))
	}
	return cc.reply(i18n.T(cc.lang, "✓ %s is no longer %s.", displayName(p), i18n.T(cc.lang, "role:"+role)))
}

// handleMembership reacts to the bot joining or leaving a chat, or a chat
// moving to a new id.
func (e *Engine) handleMembership(ctx context.Context, m Message) error {
	now := e.now()
	var notice *OutMessage
	err := e.store.Update(ctx, func(tx *store.Tx) error {
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
			if c.Role == "" {
				lang := e.lang(c)
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
			c.Active, c.Updated = false, now
		}
		if err := tx.PutChat(c); err != nil {
			return err
		}
		if notice != nil {
			return e.enqueue(tx, "notice", 0, *notice, "joined:"+m.Chat+":"+m.ID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record membership change in %s: %w", m.Chat, err)
	}
	e.log.Info("chat membership changed", "chat", m.Chat, "kind", int(m.Kind), "new_chat", m.NewChat)
	e.outbox.wake()
	return nil
}

// NotifyAdmins tells the people running the bot about a problem they must
// act on (WeChat needs a new QR scan, a group was renamed): every admin with
// a private chat, and every coordination chat, except those on the platform
// the problem is about (it may be unable to deliver).
func (e *Engine) NotifyAdmins(ctx context.Context, exceptPlatform, text string) {
	err := e.store.Update(ctx, func(tx *store.Tx) error {
		var targets []string
		for admin := range e.admins {
			chat, err := tx.GetState(dmKey(admin))
			if err != nil {
				return err
			}
			if chat != nil {
				targets = append(targets, string(chat))
			}
		}
		coordination, err := chatsWithRole(tx, store.RoleCoordination)
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
			if err := e.enqueue(tx, "notice", 0, OutMessage{Chat: chat, Text: "⚙ " + text}, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.log.Error("notify admins", "err", err, "text", text)
		return
	}
	e.log.Warn("admins notified", "text", text)
	e.outbox.wake()
}
