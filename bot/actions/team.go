package actions

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
)

// Who may change the team and the chats.
var (
	VolunteerRule = access.Rule{Name: "volunteer", Need: access.Anyone, Where: access.Anywhere}
	BindRule      = access.Rule{Name: "bind", Need: access.Admin, Where: access.GroupChat}
	GrantRule     = access.Rule{Name: "grant", Need: access.Admin, Where: access.PrivateOrWork}
	RevokeRule    = access.Rule{Name: "revoke", Need: access.Admin, Where: access.PrivateOrWork}
)

// Skills a volunteer may register with.
var Skills = []string{"verify", "medical", "legal", "mental", "transport", "supplies", "pets", "translate"}

// Roles that can be granted.
var Roles = []string{"volunteer", "coordinator", "admin"}

// self loads the actor's person record (a new one on first sight).
func (a *Actions) self(tx *store.Tx, actor access.Actor) (*store.Person, error) {
	p, err := tx.Person(actor.Ref)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &store.Person{Ref: actor.Ref, Name: actor.Name}, nil
	case err != nil:
		return nil, fmt.Errorf("read person %s: %w", actor.Ref, err)
	}
	return p, nil
}

func (a *Actions) savePerson(tx *store.Tx, actor access.Actor, p *store.Person) error {
	if p.Name == "" && p.Ref == actor.Ref {
		p.Name = actor.Name
	}
	p.Updated = a.env.Now()
	if err := tx.PutPerson(p); err != nil {
		return fmt.Errorf("save person %s: %w", p.Ref, err)
	}
	return nil
}

// registered says whether p is a volunteer (by role or level).
func registered(p *store.Person, actor access.Actor) bool {
	return access.HasRole(p, "volunteer") || actor.Level >= access.Volunteer
}

// Volunteer registers the actor as a volunteer, on duty, with skills
// (added to those they had). Registration happens in the coordination
// chat — being there is the team's vetting — or anywhere for someone
// already registered.
func (a *Actions) Volunteer(tx *store.Tx, actor access.Actor, skills []string) (*store.Person, error) {
	if err := a.allow(actor, VolunteerRule); err != nil {
		return nil, err
	}
	p, err := a.self(tx, actor)
	if err != nil {
		return nil, err
	}
	if actor.Where.Role != store.RoleCoordination && !registered(p, actor) {
		return nil, a.refuse(actor, "volunteer", i18n.T(actor.Lang, "Register with /volunteer in the volunteers' coordination chat."))
	}
	var bad []string
	for _, s := range skills {
		s = strings.ToLower(strings.Trim(s, ",，"))
		if s == "" {
			continue
		}
		if !slices.Contains(Skills, s) {
			bad = append(bad, s)
			continue
		}
		if !slices.Contains(p.Skills, s) {
			p.Skills = append(p.Skills, s)
		}
	}
	if len(bad) > 0 {
		return nil, invalid(i18n.T(actor.Lang, "Unknown skill %s; known skills: %s.", strings.Join(bad, ", "), strings.Join(Skills, ", ")))
	}
	if !access.HasRole(p, "volunteer") {
		p.Roles = append(p.Roles, "volunteer")
	}
	p.OnDuty = true
	if err := a.savePerson(tx, actor, p); err != nil {
		return nil, err
	}
	if err := a.teamEvent(tx, actor, "volunteer", p.Ref, strings.Join(p.Skills, ",")); err != nil {
		return nil, err
	}
	return p, nil
}

// SetDuty turns a registered volunteer's duty on or off.
func (a *Actions) SetDuty(tx *store.Tx, actor access.Actor, on bool) (*store.Person, error) {
	if err := a.allow(actor, VolunteerRule); err != nil {
		return nil, err
	}
	p, err := a.self(tx, actor)
	if err != nil {
		return nil, err
	}
	if !registered(p, actor) {
		if actor.Where.Role != store.RoleCoordination {
			return nil, a.refuse(actor, "volunteer", i18n.T(actor.Lang, "Register with /volunteer in the volunteers' coordination chat."))
		}
		return nil, a.refuse(actor, "volunteer", i18n.T(actor.Lang, "Register first with /volunteer [skills…]."))
	}
	p.OnDuty = on
	if err := a.savePerson(tx, actor, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Grant gives the person named who a role.
func (a *Actions) Grant(tx *store.Tx, actor access.Actor, who, role string) (*store.Person, error) {
	return a.changeRole(tx, actor, GrantRule, who, role, true)
}

// Revoke takes a role from the person named who.
func (a *Actions) Revoke(tx *store.Tx, actor access.Actor, who, role string) (*store.Person, error) {
	return a.changeRole(tx, actor, RevokeRule, who, role, false)
}

func (a *Actions) changeRole(tx *store.Tx, actor access.Actor, rule access.Rule, who, role string, grant bool) (*store.Person, error) {
	if err := a.allow(actor, rule); err != nil {
		return nil, err
	}
	lang := actor.Lang
	arg := role
	role = strings.ToLower(role)
	if !slices.Contains(Roles, role) {
		return nil, invalid(i18n.T(lang, "%q is not a role (volunteer, coordinator, admin).", arg))
	}
	p, err := a.person(tx, actor, who)
	if err != nil {
		return nil, err
	}
	has := access.HasRole(p, role)
	switch {
	case grant && has:
		return nil, conflict(i18n.T(lang, "%s is already %s.", access.DisplayName(p), i18n.T(lang, "role:"+role)))
	case !grant && !has:
		return nil, conflict(i18n.T(lang, "%s is not %s.", access.DisplayName(p), i18n.T(lang, "role:"+role)))
	case grant:
		p.Roles = append(p.Roles, role)
	default:
		p.Roles = slices.DeleteFunc(p.Roles, func(r string) bool { return r == role })
	}
	p.Updated = a.env.Now()
	if err := tx.PutPerson(p); err != nil {
		return nil, fmt.Errorf("save person %s: %w", p.Ref, err)
	}
	a.env.Log.Info("role changed", "person", p.Ref, "role", role, "grant", grant, "by", actor.Ref)
	if err := a.teamEvent(tx, actor, rule.Name, p.Ref, role); err != nil {
		return nil, err
	}
	return p, nil
}

// Bound is a chat's new binding.
type Bound struct {
	Chat     *store.Chat
	From, To store.ChatRole
}

// Bind sets the role of the chat the actor is in (intake, coordination,
// broadcast, or "none" to stop serving it) and, optionally, its language
// ("zh" or "en"; "" keeps it). name names a chat that has no name yet.
func (a *Actions) Bind(tx *store.Tx, actor access.Actor, role, lang, name string) (*Bound, error) {
	if err := a.allow(actor, BindRule); err != nil {
		return nil, err
	}
	to := store.ChatRole(strings.ToLower(role))
	switch to {
	case store.RoleIntake, store.RoleCoordination, store.RoleBroadcast, "none":
	default:
		return nil, invalid(i18n.T(actor.Lang, "%q is not a chat role.", role))
	}
	if to == "none" {
		to = ""
	}
	chat, err := tx.Chat(actor.Where.Chat)
	if errors.Is(err, store.ErrNotFound) {
		chat, err = &store.Chat{Ref: actor.Where.Chat}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read chat %s: %w", actor.Where.Chat, err)
	}
	from := chat.Role
	chat.Role, chat.Active, chat.Updated = to, true, a.env.Now()
	if lang == "zh" || lang == "en" {
		chat.Language = lang
	}
	if chat.Name == "" {
		chat.Name = name
	}
	if err := tx.PutChat(chat); err != nil {
		return nil, fmt.Errorf("bind chat: %w", err)
	}
	// Bound from inside: the bot is there, so what waited goes out now.
	if err := delivery.ChatReachable(tx, a.env, chat.Ref); err != nil {
		return nil, fmt.Errorf("bind chat: %w", err)
	}
	a.env.Log.Info("chat bound", "chat", chat.Ref, "from", string(from), "to", string(to), "by", actor.Ref)
	if err := a.teamEvent(tx, actor, "bind", chat.Ref, string(from)+" → "+string(to)); err != nil {
		return nil, err
	}
	return &Bound{Chat: chat, From: from, To: to}, nil
}
