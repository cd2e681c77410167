// Package rooms runs rescue rooms: a small space for one case, opened by
// the platform (a pool group, a new WeChat group, a forum topic) or, when it
// can't, the coordination chat itself as the fallback. It records rooms,
// adds people to them, passes messages between a bridged room and the
// asker, and closes rooms when their case ends.
//
// The platform opens a room through RoomOpener, always outside any store
// transaction; the room is then recorded in one transaction. A platform
// that can't (no RoomOpener, a full pool, WeChat's daily limit) gets the
// fallback: the coordination chat is the case's room, and its card is
// posted there with a header saying so.
package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// Rooms opens, records, relays and closes rescue rooms.
type Rooms struct {
	env   *env.Env
	cards cards.Renderer
	// roomAt is the lowest urgency that opens a room automatically; None
	// disables automatic rooms.
	roomAt triage.Urgency
}

// New makes the rooms part. roomAt is the lowest urgency that opens a room
// by itself (triage.None: never).
func New(e *env.Env, r cards.Renderer, roomAt triage.Urgency) *Rooms {
	return &Rooms{env: e, cards: r, roomAt: roomAt}
}

// State is what the engine remembers about a case's room.
type State struct {
	Chat         string `json:"chat"`
	Thread       string `json:"thread,omitempty"`
	Bridged      bool   `json:"bridged,omitempty"`
	Coordination string `json:"coordination"`
	Fallback     bool   `json:"fallback,omitempty"`
	Closed       bool   `json:"closed,omitempty"`
}

func (s State) room() platform.Room {
	return platform.Room{Chat: s.Chat, Thread: s.Thread, Bridged: s.Bridged}
}

// Where names the room for people: "chat" or "chat/thread".
func (s State) Where() string {
	if s.Thread != "" {
		return s.Chat + "/" + s.Thread
	}
	return s.Chat
}

// Open says whether the case has a room in use.
func (s *State) Open() bool { return s != nil && !s.Closed }

func roomKey(id int64) string              { return fmt.Sprintf("room:%d", id) }
func roomLock(id int64) string             { return fmt.Sprintf("room#%d", id) }
func threadKey(chat, thread string) string { return "thread:" + chat + ":" + thread }

// Load reads the room of case id; nil when it never had one.
func Load(tx *store.Tx, id int64) (*State, error) {
	raw, err := tx.GetState(roomKey(id))
	if err != nil || raw == nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("decode room of case %d: %w", id, err)
	}
	return &st, nil
}

func put(tx *store.Tx, id int64, st State) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode room of case %d: %w", id, err)
	}
	return tx.PutState(roomKey(id), raw)
}

// CaseOfThread is the case whose room is the topic thread of chat; 0 for
// none.
func CaseOfThread(tx *store.Tx, chat, thread string) (int64, error) {
	raw, err := tx.GetState(threadKey(chat, thread))
	if err != nil || raw == nil {
		return 0, err
	}
	id, _ := strconv.ParseInt(string(raw), 10, 64)
	return id, nil
}

// Opened is the outcome of asking a platform for a room.
type Opened struct {
	Room     platform.Room
	Coord    string // the coordination chat the room belongs to
	Title    string
	Fallback bool
	Why      string   // why the fallback
	Members  []string // who the platform was asked to let in
}

// Lock serialises opening the room of case id.
func (r *Rooms) Lock(id int64) (unlock func()) { return r.env.Lock(roomLock(id)) }

// Open asks the coordination chat's platform for a room for c. It never
// fails: any error means the fallback, with the reason in Why. It must run
// outside any store transaction.
func (r *Rooms) Open(ctx context.Context, c *store.Case, coord, lang string) Opened {
	res := Opened{Coord: coord, Title: Title(c, lang)}
	name := platform.PlatformOf(coord)
	p, ok := r.env.Platform(name)
	if !ok {
		res.Fallback, res.Why = true, i18n.T(lang, "platform %s is not enabled", name)
		return res
	}
	opener, ok := p.(platform.RoomOpener)
	if !ok {
		res.Fallback, res.Why = true, i18n.T(lang, "%s can't open rooms", name)
		return res
	}
	var members []string
	for _, ref := range append([]string{c.Asker}, c.Assignees...) {
		if ref != "" && platform.PlatformOf(ref) == name && !slices.Contains(members, ref) {
			members = append(members, ref)
		}
	}
	res.Members = members
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	room, err := opener.OpenRoom(ctx, platform.RoomRequest{Case: c.ID, Title: res.Title, Coordination: coord, Members: members})
	if err != nil {
		r.env.Log.Warn("open room failed, using the coordination chat", "case", c.ID, "platform", name, "err", err)
		res.Fallback, res.Why = true, err.Error()
		if errors.Is(err, platform.ErrHistoryVisible) {
			// Coordinators must know the room fell back for the asker's
			// safety, and what an admin can change.
			res.Why = i18n.T(lang, "every free pool group shows its history to new members, so the next asker could read earlier cases; an admin should set chat history for new members to hidden in each pool group")
		}
		return res
	}
	if room.Chat == "" {
		room.Chat = coord
	}
	res.Room = room
	return res
}

// Title is "#42 透析 浦东".
func Title(c *store.Case, lang string) string {
	return strings.TrimSpace(fmt.Sprintf("#%d %s %s", c.ID, i18n.Category(lang, c.Category), cards.District(c)))
}

// Recorded is a room recorded on its case.
type Recorded struct {
	State State
	// Name is the room's display name (or where it is).
	Name string
}

// Record stores an opened room (or the fallback) on c inside tx, posts the
// case card there (withCard) and delivers invites.
func (r *Rooms) Record(tx *store.Tx, c *store.Case, res Opened, actor, lang string, withCard bool) (Recorded, error) {
	st := State{Chat: res.Room.Chat, Thread: res.Room.Thread, Bridged: res.Room.Bridged, Coordination: res.Coord, Fallback: res.Fallback}
	if res.Fallback {
		st = State{Chat: res.Coord, Coordination: res.Coord, Fallback: true}
	} else if c.Asker != "" && !slices.Contains(res.Members, c.Asker) {
		// An asker on another platform can't be let in: relay as for a topic.
		st.Bridged = true
	}
	now := r.env.Now()
	c.Room, c.Updated = st.Chat, now
	if err := tx.PutCase(c); err != nil {
		return Recorded{}, fmt.Errorf("save room of case %d: %w", c.ID, err)
	}
	if err := put(tx, c.ID, st); err != nil {
		return Recorded{}, err
	}
	if st.Thread != "" {
		// Commands and routing attribute messages in this thread to the case.
		if err := tx.PutState(threadKey(st.Chat, st.Thread), []byte(strconv.FormatInt(c.ID, 10))); err != nil {
			return Recorded{}, err
		}
	}
	if !st.Fallback && st.Chat != st.Coordination {
		rc := &store.Chat{Ref: st.Chat, Role: store.RoleRoom, Case: c.ID, Name: res.Title, Language: lang, Active: true, Updated: now}
		if err := tx.PutChat(rc); err != nil {
			return Recorded{}, fmt.Errorf("record room chat %s: %w", st.Chat, err)
		}
		r.env.RememberName(st.Chat, res.Title)
	}
	if err := tx.AppendEvent(&store.Event{Case: c.ID, At: now, Actor: actor, Kind: "room", To: st.Where(), Note: res.Why}); err != nil {
		return Recorded{}, fmt.Errorf("record room of case %d: %w", c.ID, err)
	}
	for person, invite := range res.Room.Invites {
		if err := r.invite(tx, person, c.ID, invite, lang); err != nil {
			return Recorded{}, err
		}
	}
	var header string
	switch {
	case st.Fallback:
		header = i18n.T(lang, "Room for case #%d — a separate room could not be opened (%s). This chat is its room: discuss it here and record what matters with /note %d …", c.ID, res.Why, c.ID)
	case st.Bridged:
		header = i18n.T(lang, "Rescue room for case #%d. Messages here are added to the case; the asker is not in this room, so I pass messages between them and this room.", c.ID)
	default:
		header = i18n.T(lang, "Rescue room for case #%d. Messages here are added to the case.", c.ID)
	}
	text := header
	if withCard {
		text += "\n\n" + r.cards.Card(c, lang, cards.Unmasked)
	}
	if err := delivery.Enqueue(tx, now, delivery.KindRoom, c.ID, platform.OutMessage{Chat: st.Chat, Thread: st.Thread, Text: text}, ""); err != nil {
		return Recorded{}, err
	}
	if st.Bridged && c.Asker != "" {
		al := r.env.AskerLang(tx, c, lang)
		if err := delivery.TellPerson(tx, now, c.Asker, c.ID, i18n.T(al, "Volunteers opened a room for your request #%d. Write to me here and I will pass your messages on to them.", c.ID)); err != nil {
			return Recorded{}, err
		}
	}
	return Recorded{State: st, Name: r.env.ChatName(st.Where())}, nil
}

// invite tells a person privately how to join the room of case id.
func (r *Rooms) invite(tx *store.Tx, person string, id int64, invite, lang string) error {
	if p, err := tx.Person(person); err == nil {
		lang = i18n.LangOf(p, lang)
	}
	if chat, err := delivery.PrivateChat(tx, person); err != nil || chat == "" {
		if err != nil {
			return err
		}
		return r.inviteByLink(tx, person, id, invite) // deeplink.go
	}
	return delivery.TellPerson(tx, r.env.Now(), person, id, i18n.T(lang, "You are invited to the rescue room for case #%d: %s", id, invite))
}

// OpenedText is the confirmation volunteers get for a recorded room: its
// name, or why the coordination chat is the room (fallback).
func OpenedText(lang string, id int64, fallback bool, name, why string) string {
	if fallback {
		return i18n.T(lang, "Case #%d: no separate room (%s); this chat is its room.", id, why)
	}
	return i18n.T(lang, "✓ Room opened for case #%d: %s", id, name)
}

// Release closes a room nobody will use (another won the race), in the
// background.
func (r *Rooms) Release(res Opened) {
	if res.Fallback {
		return
	}
	p, ok := r.env.Platform(platform.PlatformOf(res.Coord))
	if !ok {
		return
	}
	opener, ok := p.(platform.RoomOpener)
	if !ok {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := opener.CloseRoom(ctx, res.Room, ""); err != nil {
			r.env.Log.Warn("release unused room", "room", res.Room.Chat, "err", err)
		}
	}()
}

// MaybeAuto opens a room for a case at the configured urgency. A platform
// that can open rooms is called in the background so the message that
// raised the case is not held up; the fallback is only store work and runs
// at once.
func (r *Rooms) MaybeAuto(ctx context.Context, c *store.Case) {
	if c == nil || r.roomAt == triage.None || c.Urgency < r.roomAt || !c.Status.Open() || c.Room != "" {
		return
	}
	var coord *store.Chat
	err := r.env.Store.View(ctx, func(tx *store.Tx) error {
		chats, err := env.ChatsWithRole(tx, store.RoleCoordination)
		if err != nil {
			return err
		}
		asker := platform.PlatformOf(c.Asker)
		for _, ch := range chats {
			// Prefer the asker's platform so they can be let in.
			if coord == nil || platform.PlatformOf(ch.Ref) == asker && platform.PlatformOf(coord.Ref) != asker {
				coord = ch
			}
		}
		return nil
	})
	if err != nil || coord == nil {
		if err != nil {
			r.env.Log.Error("automatic room: find coordination chat", "case", c.ID, "err", err)
		}
		return
	}
	p, _ := r.env.Platform(platform.PlatformOf(coord.Ref))
	if _, ok := p.(platform.RoomOpener); !ok {
		r.auto(ctx, c.ID, coord.Ref, r.env.Lang(coord))
		return
	}
	go func() {
		// Detached: the room outlives the message that asked for it.
		r.auto(context.WithoutCancel(ctx), c.ID, coord.Ref, r.env.Lang(coord))
	}()
}

func (r *Rooms) auto(ctx context.Context, id int64, coord, lang string) {
	unlock := r.Lock(id)
	defer unlock()
	var c *store.Case
	err := r.env.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		c, err = tx.Case(id)
		return err
	})
	if err != nil {
		r.env.Log.Error("automatic room: read case", "case", id, "err", err)
		return
	}
	if c.Room != "" || !c.Status.Open() {
		return
	}
	res := r.Open(ctx, c, coord, lang)
	err = r.env.Store.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Case(id)
		if err != nil {
			return err
		}
		if c.Room != "" || !c.Status.Open() {
			r.Release(res)
			return nil
		}
		// The alert card is already in the coordination chat: the fallback
		// only needs its header there.
		rec, err := r.Record(tx, c, res, env.Bot, lang, !res.Fallback)
		if err != nil {
			return err
		}
		if res.Fallback {
			return nil
		}
		text := OpenedText(lang, id, rec.State.Fallback, rec.Name, res.Why) + " " + i18n.T(lang, "(opened automatically for an urgent case)")
		return delivery.Enqueue(tx, r.env.Now(), delivery.KindNotice, id, platform.OutMessage{Chat: coord, Text: text}, "")
	})
	if err != nil {
		r.env.Log.Error("automatic room: record", "case", id, "err", err)
		return
	}
	r.env.Wake()
}

// HandleMessage adds a message in a case room (or its thread) to the
// case's history and, for a bridged room, passes it to the asker.
func (r *Rooms) HandleMessage(ctx context.Context, m platform.Message, chat *store.Chat) error {
	id := chat.Case
	if chat.Role != store.RoleRoom {
		if err := r.env.Store.View(ctx, func(tx *store.Tx) error {
			var err error
			id, err = CaseOfThread(tx, m.Chat, m.Thread)
			return err
		}); err != nil {
			return fmt.Errorf("find case of thread %s/%s: %w", m.Chat, m.Thread, err)
		}
	}
	if id == 0 || strings.TrimSpace(m.Text) == "" {
		return r.env.MarkSeen(ctx, m)
	}
	return r.env.Once(ctx, m, func(tx *store.Tx) error {
		c, err := tx.Case(id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read case %d: %w", id, err)
		}
		if err := tx.AppendEvent(&store.Event{Case: id, At: m.Time, Actor: m.Sender, Kind: "message", Note: cards.Clip(m.Text, 1000)}); err != nil {
			return fmt.Errorf("record room message on case %d: %w", id, err)
		}
		c.Updated = m.Time
		if c.FirstResponse.IsZero() && m.Sender != c.Asker {
			c.FirstResponse = m.Time
		}
		if err := tx.PutCase(c); err != nil {
			return fmt.Errorf("save case %d: %w", id, err)
		}
		st, err := Load(tx, id)
		if err != nil || st == nil || !st.Bridged || st.Closed || m.Sender == c.Asker || c.Asker == "" {
			return err
		}
		lang := r.env.AskerLang(tx, c, "")
		name := m.SenderName
		if name == "" {
			name = platform.LocalID(m.Sender)
		}
		return delivery.TellPerson(tx, r.env.Now(), c.Asker, id, i18n.T(lang, "💬 Volunteer %s (request #%d): %s", name, id, m.Text))
	})
}

// RelayFromAsker passes an asker's private message into the case's bridged
// room; it reports whether it did.
func (r *Rooms) RelayFromAsker(tx *store.Tx, c *store.Case, text string) (bool, error) {
	st, err := Load(tx, c.ID)
	if err != nil || st == nil || !st.Bridged || st.Closed {
		return false, err
	}
	lang := r.env.Language
	if ch, err := tx.Chat(st.Chat); err == nil {
		lang = r.env.Lang(ch)
	}
	out := platform.OutMessage{Chat: st.Chat, Thread: st.Thread, Text: i18n.T(lang, "💬 Asker (#%d): %s", c.ID, text)}
	if err := delivery.Enqueue(tx, r.env.Now(), delivery.KindRelay, c.ID, out, ""); err != nil {
		return false, err
	}
	return true, nil
}
