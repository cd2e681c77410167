// Package access says who may do what where: the levels people hold
// (anyone, volunteer, coordinator, admin), the places an action is allowed
// in (the coordination chat, a case's room, a private chat, the board),
// who sees personal data, and how a person named in a command is found.
package access

import (
	"slices"

	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

// Level is what a person may do. Levels are ordered: each includes the ones
// below it.
type Level int

// The levels.
const (
	Anyone Level = iota
	Volunteer
	Coordinator
	Admin
)

func (l Level) String() string {
	return [...]string{"anyone", "volunteer", "coordinator", "admin"}[l]
}

// Admins says who is an admin by configuration.
type Admins interface {
	IsAdmin(ref string) bool
}

// LevelOf is the level of a person: admin by configuration (under any of
// their identities), else the highest role granted to them.
func LevelOf(admins Admins, p *store.Person) Level {
	if admins.IsAdmin(p.Ref) {
		return Admin
	}
	for _, alias := range p.Aliases {
		if admins.IsAdmin(alias) {
			return Admin
		}
	}
	l := Anyone
	for _, r := range p.Roles {
		switch r {
		case "admin":
			l = max(l, Admin)
		case "coordinator":
			l = max(l, Coordinator)
		case "volunteer":
			l = max(l, Volunteer)
		}
	}
	return l
}

// HasRole says whether p was granted role.
func HasRole(p *store.Person, role string) bool { return slices.Contains(p.Roles, role) }

// Where is the place a person acts from.
type Where struct {
	// Chat is the chat ref ("" on the board) and Role its role.
	Chat string
	Role store.ChatRole
	// Thread is the topic inside Chat, if any.
	Thread string
	// Private is a one-to-one chat with the bot.
	Private bool
	// RoomCase is the case whose room this is (a room chat or a topic).
	RoomCase int64
	// Card is the bot message whose button was pressed, if any: it is
	// refreshed with the change even when it is not a remembered alert card.
	Card string
	// Board is the web board: a work place for signed-in volunteers.
	Board bool
}

// WorkPlace says whether case work belongs here: the coordination chat,
// a case's room, or the board.
func (w Where) WorkPlace() bool {
	return w.Board || w.Role == store.RoleCoordination || w.RoomCase != 0
}

// Actor is a person doing something: who they are, their level, where they
// act and the language to answer them in.
type Actor struct {
	Ref   string // person ref "platform:id"
	Name  string // display name as the platform gives it
	Level Level
	Where Where
	Lang  string
}

// Display is how the actor is named in replies.
func (a Actor) Display() string {
	return DisplayName(&store.Person{Ref: a.Ref, Name: a.Name})
}

// SeesPersonalData says whether personal data of c may be shown to the
// actor where they are: in the coordination chat (not a topic), the case's
// own room, the board, or the asker's own private chat. For lists (c nil)
// only the coordination chat and the board qualify.
func (a Actor) SeesPersonalData(c *store.Case) bool {
	w := a.Where
	switch {
	case w.Board, w.Role == store.RoleCoordination && w.Thread == "":
		return true
	case c != nil && w.RoomCase == c.ID:
		return true
	case c != nil && w.Private && c.Asker == a.Ref:
		return true // askers see their own details
	}
	return false
}

// Scope says in which places an action is accepted.
type Scope int

// The scopes.
const (
	Anywhere    Scope = iota
	WorkChats         // the coordination chat, case rooms and the board
	PrivateChat       // one-to-one with the bot
	GroupChat         // any group (for /bind)
	// PrivateOrWork is a private chat with the bot or a work place: never
	// a public group, where a reply would show the team's business (who
	// holds which role, with their ids) to strangers.
	PrivateOrWork
)

// Rule is who may do an action and where. Name is the action as people
// know it: the chat command.
type Rule struct {
	Name  string
	Need  Level
	Where Scope
}

// Check says why a may not do the action; "" means they may. The reason is
// in the actor's language.
func (r Rule) Check(a Actor) string {
	lang := a.Lang
	switch r.Where {
	case WorkChats:
		if !a.Where.WorkPlace() {
			return i18n.T(lang, "/%s works in the volunteers' coordination chat or a case room.", r.Name)
		}
	case PrivateChat:
		if !a.Where.Private {
			return i18n.T(lang, "/%s works in a private chat with me.", r.Name)
		}
	case GroupChat:
		if a.Where.Private || a.Where.Board {
			return i18n.T(lang, "Send /%s in the group you want to set up.", r.Name)
		}
	case PrivateOrWork:
		if !a.Where.Private && !a.Where.WorkPlace() {
			return i18n.T(lang, "/%s works in the volunteers' coordination chat or a private chat with me.", r.Name)
		}
	}
	if a.Level < r.Need {
		return NeedText(lang, r.Name, r.Need, a.Where.Role == store.RoleCoordination)
	}
	return ""
}

// Offered says whether the action is listed for a (in /help): the level
// suffices, and a private-chat or work action is listed only in such a
// place. A group-setup action is listed anywhere, to say where it goes.
func (r Rule) Offered(a Actor) bool {
	switch {
	case a.Level < r.Need:
		return false
	case r.Where == PrivateChat:
		return a.Where.Private
	case r.Where == WorkChats:
		return a.Where.WorkPlace()
	case r.Where == PrivateOrWork:
		return a.Where.Private || a.Where.WorkPlace()
	}
	return true
}

// NeedText is the refusal for someone below the level an action needs.
// In the coordination chat a volunteer action tells how to register:
// being in that chat is the team's vetting.
func NeedText(lang, name string, need Level, inCoordination bool) string {
	if need == Volunteer && inCoordination {
		return i18n.T(lang, "Sorry, /%s is for registered volunteers: send /volunteer [skills…] here first (for example /volunteer medical verify).", name)
	}
	return i18n.T(lang, "Sorry, /%s needs the %s role. An admin can grant it with /grant.", name, i18n.T(lang, "role:"+need.String()))
}

// DisplayName is how a person is named to others.
func DisplayName(p *store.Person) string {
	if p == nil {
		return ""
	}
	if p.Name != "" {
		return p.Name
	}
	return "@" + platform.LocalID(p.Ref)
}
