package commands

import (
	"strings"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/i18n"
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
	if res.To == "" {
		return cl.reply(i18n.T(cl.lang, "✓ This chat is no longer served by Lifeline."))
	}
	return cl.reply(i18n.T(cl.lang, "✓ This chat is now a %s chat.", i18n.T(cl.lang, "chatrole:"+string(res.To))))
}

func cmdGrant(cl *call) error  { return changeRole(cl, true) }
func cmdRevoke(cl *call) error { return changeRole(cl, false) }

// changeRole grants or revokes a role: /grant @person role.
func changeRole(cl *call, grant bool) error {
	change, done := cl.c.actions.Revoke, "✓ %s is no longer %s."
	if grant {
		change, done = cl.c.actions.Grant, "✓ %s is now %s."
	}
	p, err := change(cl.tx, cl.actor, cl.args[0], cl.args[1])
	if err != nil {
		return err
	}
	return cl.reply(i18n.T(cl.lang, done, access.DisplayName(p), i18n.T(cl.lang, "role:"+strings.ToLower(cl.args[1]))))
}
