package access

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

// Naming people in /grant, /revoke and /assign must be unambiguous: a
// display name is chosen by its owner, so a stranger who calls herself
// "Alice" in a public group must never receive the role meant for the
// volunteer Alice. A person is named by something only they have — their
// platform id, their @handle (a Telegram username), the message of theirs a
// command replies to — or by a display name that exactly one person in the
// team's chats carries. Anything else is refused with the candidates.

// Found is the outcome of looking a person up.
type Found struct {
	// Person is the one person named; nil when nobody or not one person.
	Person *store.Person
	// Candidates are the people a display name matched when it did not
	// name exactly one person of the team; the refusal lists them.
	Candidates []*store.Person
	// Outside is set when the only match is someone who never wrote in
	// the team's chats and holds no role.
	Outside bool
}

// Keys of what the engine remembers about people, in the store's state.
func teamKey(ref string) string             { return "team:" + ref }
func handleKey(onPlatform, h string) string { return "handle:" + onPlatform + ":" + strings.ToLower(h) }
func handleOfKey(ref string) string         { return "handleof:" + ref }
func sameName(displayName, named string) bool {
	return strings.EqualFold(strings.TrimPrefix(displayName, "@"), named)
}

// FindPerson resolves how a command names a person, on the caller's
// platform onPlatform:
//
//   - "platform:id" is that person;
//   - "@handle" is whoever last wrote with that handle (Telegram username);
//   - "@id" or "id" is the person with that local id on the caller's
//     platform (a numeric Telegram id, a WeChat LL- id, a console name);
//   - otherwise a display name, accepted only when exactly one known person
//     carries it and that person is on the team (holds a role, is an admin,
//     or wrote in a coordination chat or a room).
func FindPerson(tx *store.Tx, admins Admins, onPlatform, s string) (Found, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Found{}, nil
	}
	if prefix, id, ok := strings.Cut(s, ":"); ok && prefix != "" && id != "" && !strings.HasPrefix(s, "@") {
		p, err := person(tx, s)
		return Found{Person: p}, err
	}
	name := strings.TrimPrefix(s, "@")
	if name == "" {
		return Found{}, nil
	}
	if strings.HasPrefix(s, "@") {
		ref, err := tx.GetState(handleKey(onPlatform, name))
		if err != nil {
			return Found{}, fmt.Errorf("read handle @%s: %w", name, err)
		}
		if len(ref) > 0 {
			p, err := person(tx, string(ref))
			if err != nil || p != nil {
				return Found{Person: p}, err
			}
		}
	}
	if p, err := person(tx, onPlatform+":"+name); err != nil || p != nil {
		return Found{Person: p}, err
	}
	var matches []*store.Person
	err := tx.ForEachPerson(func(p *store.Person) error {
		if sameName(p.Name, name) {
			matches = append(matches, p)
		}
		return nil
	})
	if err != nil {
		return Found{}, fmt.Errorf("find people named %q: %w", name, err)
	}
	slices.SortFunc(matches, func(a, b *store.Person) int { return strings.Compare(a.Ref, b.Ref) })
	switch len(matches) {
	case 0:
		return Found{}, nil
	case 1:
		team, err := OnTeam(tx, admins, matches[0])
		if err != nil {
			return Found{}, err
		}
		if team {
			return Found{Person: matches[0]}, nil
		}
		return Found{Candidates: matches, Outside: true}, nil
	}
	return Found{Candidates: matches}, nil
}

func person(tx *store.Tx, ref string) (*store.Person, error) {
	p, err := tx.Person(ref)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read person %s: %w", ref, err)
	}
	return p, nil
}

// OnTeam says whether p belongs to the team: holds a role, is an admin, or
// has written in a coordination chat or a case room.
func OnTeam(tx *store.Tx, admins Admins, p *store.Person) (bool, error) {
	if len(p.Roles) > 0 || LevelOf(admins, p) > Anyone {
		return true, nil
	}
	v, err := tx.GetState(teamKey(p.Ref))
	if err != nil {
		return false, fmt.Errorf("read team mark of %s: %w", p.Ref, err)
	}
	return len(v) > 0, nil
}

// Sighting is what one incoming message tells about its sender.
type Sighting struct {
	Person string         // the sender's ref
	Handle string         // their @handle, if the platform gives one
	Role   store.ChatRole // the role of the chat they wrote in
}

// team says whether the sighting puts the person on the team.
func (s Sighting) team() bool {
	return s.Role == store.RoleCoordination || s.Role == store.RoleRoom
}

// NeedsRecord says whether the sighting adds something the store does not
// hold yet, so the caller writes only then.
func NeedsRecord(tx *store.Tx, s Sighting) (bool, error) {
	if s.Person == "" {
		return false, nil
	}
	if s.team() {
		v, err := tx.GetState(teamKey(s.Person))
		if err != nil {
			return false, err
		}
		if len(v) == 0 {
			return true, nil
		}
	}
	if s.Handle != "" {
		v, err := tx.GetState(handleKey(platform.PlatformOf(s.Person), s.Handle))
		if err != nil {
			return false, err
		}
		if string(v) != s.Person {
			return true, nil
		}
	}
	return false, nil
}

// Record stores what the sighting tells: the person is on the team, and
// their handle is theirs now (handles move between people, so the latest
// writer holds it).
func Record(tx *store.Tx, s Sighting) error {
	if s.Person == "" {
		return nil
	}
	if s.team() {
		if err := tx.PutState(teamKey(s.Person), []byte{1}); err != nil {
			return fmt.Errorf("mark %s as on the team: %w", s.Person, err)
		}
	}
	if s.Handle == "" {
		return nil
	}
	on := platform.PlatformOf(s.Person)
	old, err := tx.GetState(handleOfKey(s.Person))
	if err != nil {
		return err
	}
	if len(old) > 0 && !strings.EqualFold(string(old), s.Handle) {
		// They renamed: the old handle no longer names them.
		if cur, err := tx.GetState(handleKey(on, string(old))); err == nil && string(cur) == s.Person {
			if err := tx.PutState(handleKey(on, string(old)), nil); err != nil {
				return err
			}
		}
	}
	if err := tx.PutState(handleKey(on, s.Handle), []byte(s.Person)); err != nil {
		return fmt.Errorf("record handle of %s: %w", s.Person, err)
	}
	return tx.PutState(handleOfKey(s.Person), []byte(s.Handle))
}

// Forget removes what Record kept about a person (their record was purged).
func Forget(tx *store.Tx, ref string) error {
	h, err := tx.GetState(handleOfKey(ref))
	if err != nil {
		return err
	}
	if len(h) > 0 {
		key := handleKey(platform.PlatformOf(ref), string(h))
		if cur, err := tx.GetState(key); err == nil && string(cur) == ref {
			if err := tx.PutState(key, nil); err != nil {
				return err
			}
		}
	}
	for _, k := range []string{teamKey(ref), handleOfKey(ref)} {
		if err := tx.PutState(k, nil); err != nil {
			return fmt.Errorf("forget %s: %w", ref, err)
		}
	}
	return nil
}

// Named is how refusals and confirmations show a person: the display name
// and the platform id, so an admin sees exactly whom a command reached.
func Named(p *store.Person) string {
	if p == nil {
		return ""
	}
	if p.Name == "" {
		return p.Ref
	}
	return p.Name + " (" + p.Ref + ")"
}

// Recent remembers who sent the latest messages of each chat, so a command
// that replies to a message names that message's sender. It is kept in
// memory, bounded: a reply to a message from before a restart, or too far
// back, is refused with a request to name the person by id instead.
type Recent struct {
	mu    sync.Mutex
	chats map[string]*recentChat
	order []string // chats, least recently written first
}

type recentChat struct {
	ids     []string // ring of message ids
	senders map[string]string
	next    int
}

// Bounds of Recent: messages per chat and chats.
const (
	recentPerChat = 512
	recentChats   = 2048
)

// NewRecent makes an empty Recent.
func NewRecent() *Recent { return &Recent{chats: map[string]*recentChat{}} }

// Remember records that sender wrote message id in chat.
func (r *Recent) Remember(chat, id, sender string) {
	if chat == "" || id == "" || sender == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rc := r.chats[chat]
	if rc == nil {
		if len(r.order) >= recentChats {
			delete(r.chats, r.order[0])
			r.order = r.order[1:]
		}
		rc = &recentChat{ids: make([]string, recentPerChat), senders: map[string]string{}}
		r.chats[chat] = rc
	} else if i := slices.Index(r.order, chat); i >= 0 {
		r.order = slices.Delete(r.order, i, i+1)
	}
	r.order = append(r.order, chat)
	if _, ok := rc.senders[id]; ok {
		rc.senders[id] = sender
		return
	}
	if old := rc.ids[rc.next]; old != "" {
		delete(rc.senders, old)
	}
	rc.ids[rc.next] = id
	rc.senders[id] = sender
	rc.next = (rc.next + 1) % recentPerChat
}

// SenderOf is who wrote message id in chat, if it is remembered.
func (r *Recent) SenderOf(chat, id string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rc := r.chats[chat]
	if rc == nil {
		return "", false
	}
	s, ok := rc.senders[id]
	return s, ok
}
