package commands

import (
	"strings"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/actions"
	"github.com/lifeline-aid/lifeline/bot/i18n"
)

// Rules of the commands that only read (the others use their action's).
var (
	anyone     = func(name string) access.Rule { return access.Rule{Name: name} }
	inPrivate  = func(name string) access.Rule { return access.Rule{Name: name, Where: access.PrivateChat} }
	volunteers = func(name string) access.Rule {
		return access.Rule{Name: name, Need: access.Volunteer, Where: access.WorkChats}
	}
	coordinators = func(name string) access.Rule {
		return access.Rule{Name: name, Need: access.Coordinator, Where: access.WorkChats}
	}
)

// commandList is every command the bot understands, in /help order.
func (c *Commands) commandList() []*command {
	return []*command{
		{name: "help", usage: "/help", rule: anyone("help"), run: cmdHelp},
		{name: "start", usage: "/start", rule: inPrivate("start"), run: cmdStart},
		// /status is the asker's own list in a private chat; with a case
		// and a state it is the coordinators' action, which checks itself.
		{name: "status", usage: "/status N <new|verifying|verified|in_progress|resolved> [note]", rule: anyone("status"), run: cmdStatus},
		{name: "cancel", usage: "/cancel [N]", rule: actions.WithdrawRule, run: cmdCancel},
		{name: "cases", usage: "/cases [critical|high|normal|urgent] [status] [category] [district] [mine] [stale] [page N] · /cases resolved|closed|all [today|24h|7d|all]", rule: volunteers("cases"), outside: readOutside(casesText), run: replyBuilt},
		{name: "new", usage: "/new [critical|high|normal] words of the plea (or reply to the plea with /new)", rule: actions.NewRule, run: cmdNew},
		{name: "case", usage: "/case N [page P]", rule: volunteers("case"), run: cmdCase},
		{name: "claim", usage: "/claim N [also]", rule: actions.ClaimRule, run: cmdClaim},
		{name: "assign", usage: "/assign N @person [anyway] (or reply to their message with /assign N)", rule: actions.AssignRule, minArgs: 1, run: cmdAssign},
		{name: "verify", usage: "/verify N [note]", rule: actions.VerifyRule, run: cmdVerify},
		{name: "note", usage: "/note N text", rule: actions.NoteRule, minArgs: 1, run: cmdNote},
		{name: "urgency", usage: "/urgency N critical|high|normal [reason]", rule: actions.UrgencyRule, minArgs: 2, run: cmdUrgency},
		{name: "resolve", usage: "/resolve N [note]", rule: actions.ResolveRule, run: cmdResolve},
		{name: "close", usage: "/close N duplicate|unreachable|invalid|withdrawn|referred|scam [note]", rule: actions.CloseRule, minArgs: 1, run: cmdClose},
		{name: "reopen", usage: "/reopen N", rule: actions.ReopenRule, run: cmdReopen},
		{name: "merge", usage: "/merge N M (merge case N into case M)", rule: actions.MergeRule, minArgs: 2, run: cmdMerge},
		{name: "room", usage: "/room N", rule: actions.RoomRule, outside: roomOutside, run: cmdRoom},
		{name: "broadcast", usage: "/broadcast N [confirm] [reason] (confirm: not verified yet; a reason: flagged as a possible scam)", rule: actions.BroadcastRule, run: cmdBroadcast},
		{name: "find", usage: "/find words (hospital, dialysis, pharmacy, district…)", rule: anyone("find"), minArgs: 1, run: cmdFind},
		{name: "dir", usage: "/dir add name | category | district | phone | hours | notes — or /dir rm ID", rule: actions.DirRule, minArgs: 1, run: cmdDir},
		{name: "stats", usage: "/stats [today|24h|7d|all]", rule: volunteers("stats"), outside: readOutside(statsFor), run: replyBuilt},
		{name: "digest", usage: "/digest", rule: volunteers("digest"), outside: readOutside(digestNow), run: replyBuilt},
		{name: "export", usage: "/export [xlsx|csv]", rule: access.Rule{Name: "export", Need: access.Coordinator, Where: access.PrivateOrWork}, outside: exportOutside, run: cmdExport},
		{name: "outbox", usage: "/outbox — or /outbox resend ID|all", rule: outboxRule, run: cmdOutbox},
		{name: "board", usage: "/board (a sign-in link for the web board, sent privately)", rule: boardRule, run: cmdBoard},
		{name: "volunteer", usage: "/volunteer [skills…] (verify, medical, legal, mental, transport) — or /volunteer off | on", rule: actions.VolunteerRule, run: cmdVolunteer},
		{name: "bind", usage: "/bind intake|coordination|broadcast|none [zh|en]", rule: actions.BindRule, minArgs: 1, run: cmdBind},
		{name: "grant", usage: "/grant @person volunteer|coordinator|admin (or reply to their message with /grant role)", rule: actions.GrantRule, minArgs: 1, run: cmdGrant},
		{name: "revoke", usage: "/revoke @person volunteer|coordinator|admin (or reply to their message with /revoke role)", rule: actions.RevokeRule, minArgs: 1, run: cmdRevoke},
		// /admin reaches its action anywhere: a code typed in a group is
		// burnt there (see actions.ClaimAdmin), though it works only in a
		// private chat.
		{name: "admin", usage: "/admin CODE (the one-time code printed when the bot started)", rule: anyone("admin"), listed: &actions.ClaimAdminRule, minArgs: 1, run: cmdAdmin},
	}
}

// cmdHelp lists the commands the caller may use here.
func cmdHelp(cl *call) error {
	var lines []string
	if cl.m.Private && cl.actor.Level < access.Volunteer {
		lines = append(lines, i18n.T(cl.lang, "I help people in need reach volunteers. Tell me in your own words what you need, for whom, where, and a phone number."))
	}
	lines = append(lines, i18n.T(cl.lang, "Commands:"))
	for _, cmd := range cl.c.list {
		rule := cmd.rule
		if cmd.listed != nil {
			rule = *cmd.listed
		}
		if rule.Offered(cl.actor) {
			lines = append(lines, "  "+i18n.T(cl.lang, cmd.usage))
		}
	}
	return cl.reply(strings.Join(lines, "\n"))
}
