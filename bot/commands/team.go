package commands

import (
	"strings"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
)

// cmdVolunteer registers the caller as a volunteer with skills, or turns
// their duty on and off.
func cmdVolunteer(cl *call) error {
	if len(cl.args) == 1 && (cl.args[0] == "off" || cl.args[0] == "on") {
		p, err := cl.c.actions.SetDuty(cl.tx, cl.actor, cl.args[0] == "on")
		if err != nil {
			return err
		}
		if p.OnDuty {
			return cl.reply(i18n.T(cl.lang, "✓ %s is on duty.", access.DisplayName(p)))
		}
		return cl.reply(i18n.T(cl.lang, "✓ %s is off duty. Rest well.", access.DisplayName(p)))
	}
	p, err := cl.c.actions.Volunteer(cl.tx, cl.actor, cl.args)
	if err != nil {
		return err
	}
	skills := strings.Join(p.Skills, ", ")
	if skills == "" {
		skills = "-"
	}
	return cl.reply(i18n.T(cl.lang, "✓ %s registered as a volunteer, on duty. Skills: %s.", access.DisplayName(p), skills))
}

func cmdBind(cl *call) error {
	lang := ""
	if len(cl.args) > 1 && (cl.args[1] == "zh" || cl.args[1] == "en") {
		lang = cl.args[1]
	}
	res, err := cl.c.actions.Bind(cl.tx, cl.actor, cl.args[0], lang, cl.m.ChatName)
	if err != nil {
		return err
	}
	if lang != "" {
		cl.lang = lang
	}
	cl.rebound = true
	if res.To == "" {
		return cl.reply(i18n.T(cl.lang, "✓ This chat is no longer served by Lifeline."))
	}
	return cl.reply(i18n.T(cl.lang, "✓ This chat is now a %s chat.", i18n.T(cl.lang, "chatrole:"+string(res.To))))
}

func cmdGrant(cl *call) error  { return changeRole(cl, true) }
func cmdRevoke(cl *call) error { return changeRole(cl, false) }

// changeRole grants or revokes a role: /grant @person role, or /grant role
// in reply to the person's message. The confirmation shows the platform id,
// so the admin sees exactly who got it.
func changeRole(cl *call, grant bool) error {
	change, done := cl.c.actions.Revoke, "✓ %s is no longer %s."
	if grant {
		change, done = cl.c.actions.Grant, "✓ %s is now %s."
	}
	role := cl.args[len(cl.args)-1]
	who, err := cl.named(cl.args[:len(cl.args)-1])
	if err != nil {
		return err
	}
	p, err := change(cl.tx, cl.actor, who, role)
	if err != nil {
		return err
	}
	return cl.reply(i18n.T(cl.lang, done, access.Named(p), i18n.T(cl.lang, "role:"+strings.ToLower(role))))
}

// named is the person a command names with words (a ref, an @handle, an
// id, a display name), or, with no words, the sender of the message the
// command replies to.
func (cl *call) named(words []string) (string, error) {
	if len(words) > 0 {
		return strings.Join(words, " "), nil
	}
	if cl.m.ReplyTo == "" {
		return "", usageError{}
	}
	sender, ok := cl.c.recent.SenderOf(cl.m.Chat, cl.m.ReplyTo)
	if !ok {
		return "", refuse(i18n.T(cl.lang, "I don't remember who wrote the message you replied to (it is too old, or from before I restarted). Name the person by id instead, for example %s.", platform.PlatformOf(cl.m.Sender)+":…"))
	}
	return sender, nil
}

// cmdAdmin claims the admin role with the one-time code printed at start.
func cmdAdmin(cl *call) error {
	p, err := cl.c.actions.ClaimAdmin(cl.tx, cl.actor, cl.rest)
	if err != nil {
		return err
	}
	return cl.reply(i18n.T(cl.lang, "✓ %s is now an admin of this bot. Next: add me to your groups and send /bind intake, /bind coordination or /bind broadcast in each; grant roles with /grant.", access.Named(p)))
}
