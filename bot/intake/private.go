package intake

import (
	"github.com/lifeline-aid/lifeline/store"
)

// privateGuard wraps a merge rule (nil: merge every candidate, strongest
// first, as the store does without one) so that a message never joins a
// case someone else asked in a private chat: that asker told only the
// team, and a stranger who wrote privately with a victim's phone number
// must not have the victim's reposts gathered into their case (where they
// would be the asker of record). Such a candidate is linked instead, for
// the coordinators to judge.
func privateGuard(tx *store.Tx, next func(candidate, proposed *store.Case) store.Decision) func(candidate, proposed *store.Case) store.Decision {
	return func(candidate, proposed *store.Case) store.Decision {
		if candidate.Asker != proposed.Asker && askedPrivately(tx, candidate) {
			return store.Decision{Action: store.Link, Reason: "asked privately"}
		}
		if next == nil {
			return store.Decision{Action: store.Merge}
		}
		return next(candidate, proposed)
	}
}

// askedPrivately says whether c began in a private chat with the bot.
func askedPrivately(tx *store.Tx, c *store.Case) bool {
	ch, err := tx.Chat(c.SourceChat)
	return err == nil && ch.Role == store.RolePrivate
}
