package actions

import (
	"fmt"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

// person finds the one person an actor names (see access.FindPerson): a
// display name shared by several people, or carried only by someone
// outside the team's chats, is refused with the candidates and their
// platform ids, so the actor can name the right one by id.
func (a *Actions) person(tx *store.Tx, actor access.Actor, who string) (*store.Person, error) {
	f, err := access.FindPerson(tx, a.env, platform.PlatformOf(actor.Ref), who)
	if err != nil {
		return nil, fmt.Errorf("find person %q: %w", who, err)
	}
	lang := actor.Lang
	switch {
	case f.Person != nil:
		return f.Person, nil
	case f.Outside:
		return nil, a.refuse(actor, "name", i18n.T(lang, "%s has never written in the team's chats, so I won't pick them by display name. If you mean them, name them by id: %s, or reply to their message.",
			access.Named(f.Candidates[0]), f.Candidates[0].Ref))
	case len(f.Candidates) > 0:
		names := make([]string, len(f.Candidates))
		for i, p := range f.Candidates {
			names[i] = access.Named(p)
		}
		return nil, a.refuse(actor, "name", i18n.T(lang, "%q could be %d people: %s. Name one by id (for example %s), or reply to their message.",
			strings.TrimPrefix(who, "@"), len(names), strings.Join(names, ", "), f.Candidates[0].Ref))
	}
	return nil, notFound(i18n.T(lang, "I don't know %s yet: they need to send a message where I can see it first.", who))
}
