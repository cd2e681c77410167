package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// A rescue room is a small space for one case: a separate chat (a pool
// group, a new WeChat group) or a topic in the coordination chat. The
// platform opens it through RoomOpener, always outside any store
// transaction; the engine then records it in one transaction. A platform
// that can't (no RoomOpener, a full pool, WeChat's daily limit) gets the
// fallback: the coordination chat itself is the case's room, and its card
// is posted there with a header saying so.

// roomState is what the engine remembers about a case's room.
type roomState struct {
	Chat         string `json:"chat"`
	Thread       string `json:"thread,omitempty"`
	Bridged      bool   `json:"bridged,omitempty"`
	Coordination string `json:"coordination"`
	Fallback     bool   `json:"fallback,omitempty"`
	Closed       bool   `json:"closed,omitempty"`
}

func (s roomState) room() Room { return Room{Chat: s.Chat, Thread: s.Thread, Bridged: s.Bridged} }

// where names the room for people: "chat" or "chat/thread".
func (s roomState) where() string {
	if s.Thread != "" {
		return s.Chat + "/" + s.Thread
	}
	return s.Chat
}

func roomKey(id int64) string      { return fmt.Sprintf("room:%d", id) }
func roomCloseKey(id int64) string { return fmt.Sprintf("roomclose:%d", id) }
func roomLock(id int64) string     { return fmt.Sprintf("room#%d", id) }

// pendingClose is a room close queued by afterFinish and performed after
// its transaction committed.
type pendingClose struct {
	Room roomState `json:"room"`
	Note string    `json:"note"`
}

func loadRoomState(tx *store.Tx, id int64) (*roomState, error) {
	raw, err := tx.GetState(roomKey(id))
	if err != nil || raw == nil {
		return nil, err
	}
	var st roomState
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("decode room of case %d: %w", id, err)
	}
	return &st, nil
}

func putRoomState(tx *store.Tx, id int64, st roomState) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode room of case %d: %w", id, err)
	}
	return tx.PutState(roomKey(id), raw)
}

// roomResult is the outcome of asking a platform for a room.
type roomResult struct {
	room     Room
	coord    string
	title    string
	fallback bool
	why      string
	members  []string // who the platform was asked to let in
}

// openRoom asks the coordination chat's platform for a room for c. It
// never fails: any error means the fallback, with the reason in why.
func (e *Engine) openRoom(ctx context.Context, c *store.Case, coord, lang string) roomResult {
	res := roomResult{coord: coord, title: roomTitle(c, lang)}
	name := PlatformOf(coord)
	p, ok := e.platform(name)
	if !ok {
		res.fallback, res.why = true, i18n.T(lang, "platform %s is not enabled", name)
		return res
	}
	opener, ok := p.(RoomOpener)
	if !ok {
		res.fallback, res.why = true, i18n.T(lang, "%s can't open rooms", name)
		return res
	}
	var members []string
	for _, ref := range append([]string{c.Asker}, c.Assignees...) {
		if ref != "" && PlatformOf(ref) == name && !slices.Contains(members, ref) {
			members = append(members, ref)
		}
	}
	res.members = members
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	room, err := opener.OpenRoom(ctx, RoomRequest{Case: c.ID, Title: res.title, Coordination: coord, Members: members})
	if err != nil {
		e.log.Warn("open room failed, using the coordination chat", "case", c.ID, "platform", name, "err", err)
		res.fallback, res.why = true, err.Error()
		return res
	}
	if room.Chat == "" {
		room.Chat = coord
	}
	res.room = room
	return res
}

// roomTitle is "#42 透析 浦东".
func roomTitle(c *store.Case, lang string) string {
	return strings.TrimSpace(fmt.Sprintf("#%d %s %s", c.ID, i18n.Category(lang, c.Category), districtOf(c)))
}

// recordRoom stores an opened room (or the fallback) on c inside tx, posts
// the case card there, delivers invites and returns the confirmation for
// the volunteers.
func (e *Engine) recordRoom(tx *store.Tx, c *store.Case, res roomResult, actor, lang string, withCard bool) (string, error) {
	st := roomState{Chat: res.room.Chat, Thread: res.room.Thread, Bridged: res.room.Bridged, Coordination: res.coord, Fallback: res.fallback}
	if res.fallback {
		st = roomState{Chat: res.coord, Coordination: res.coord, Fallback: true}
	} else if c.Asker != "" && !slices.Contains(res.members, c.Asker) {
		// An asker on another platform can't be let in: relay as for a topic.
		st.Bridged = true
	}
	now := e.now()
	c.Room, c.Updated = st.Chat, now
	if err := tx.PutCase(c); err != nil {
		return "", fmt.Errorf("save room of case %d: %w", c.ID, err)
	}
	if err := putRoomState(tx, c.ID, st); err != nil {
		return "", err
	}
	if st.Thread != "" {
		// loadCaller and routing attribute messages in this thread to the case.
		if err := tx.PutState(threadKey(st.Chat, st.Thread), []byte(strconv.FormatInt(c.ID, 10))); err != nil {
			return "", err
		}
	}
	if !st.Fallback && st.Chat != st.Coordination {
		rc := &store.Chat{Ref: st.Chat, Role: store.RoleRoom, Case: c.ID, Name: res.title, Language: lang, Active: true, Updated: now}
		if err := tx.PutChat(rc); err != nil {
			return "", fmt.Errorf("record room chat %s: %w", st.Chat, err)
		}
		e.rememberName(st.Chat, res.title)
	}
	if err := tx.AppendEvent(&store.Event{Case: c.ID, At: now, Actor: actor, Kind: "room", To: st.where(), Note: res.why}); err != nil {
		return "", fmt.Errorf("record room of case %d: %w", c.ID, err)
	}
	for person, invite := range res.room.Invites {
		pl := lang
		if p, err := tx.Person(person); err == nil {
			pl = i18n.LangOf(p, lang)
		}
		if err := e.tellPerson(tx, person, c.ID, i18n.T(pl, "You are invited to the rescue room for case #%d: %s", c.ID, invite)); err != nil {
			return "", err
		}
	}
	var header string
	switch {
	case st.Fallback:
		header = i18n.T(lang, "Room for case #%d — a separate room could not be opened (%s). This chat is its room: discuss it here and record what matters with /note %d …", c.ID, res.why, c.ID)
	case st.Bridged:
		header = i18n.T(lang, "Rescue room for case #%d. Messages here are added to the case; the asker is not in this room, so I pass messages between them and this room.", c.ID)
	default:
		header = i18n.T(lang, "Rescue room for case #%d. Messages here are added to the case.", c.ID)
	}
	text := header
	if withCard {
		text += "\n\n" + e.cardText(c, lang, unmasked)
	}
	if err := e.enqueue(tx, "room", c.ID, OutMessage{Chat: st.Chat, Thread: st.Thread, Text: text}, ""); err != nil {
		return "", err
	}
	if st.Bridged && c.Asker != "" {
		al := c.Language
		if p, err := tx.Person(c.Asker); err == nil {
			al = i18n.LangOf(p, lang)
		}
		if al == "" {
			al = lang
		}
		if err := e.tellPerson(tx, c.Asker, c.ID, i18n.T(al, "Volunteers opened a room for your request #%d. Write to me here and I will pass your messages on to them.", c.ID)); err != nil {
			return "", err
		}
	}
	if st.Fallback {
		return i18n.T(lang, "Case #%d: no separate room (%s); this chat is its room.", c.ID, res.why), nil
	}
	return i18n.T(lang, "✓ Room opened for case #%d: %s", c.ID, e.chatName(st.where())), nil
}

// roomOutside opens the room for /room before the command's transaction,
// because a platform call must never run inside one.
func roomOutside(ctx context.Context, cc *cmdCtx) error {
	var (
		c     *store.Case
		st    *roomState
		coord string
	)
	err := cc.e.store.View(ctx, func(tx *store.Tx) error {
		cc.tx = tx
		defer func() { cc.tx = nil }()
		var err error
		if c, err = cc.caseArg(0); err != nil {
			return err
		}
		if st, err = loadRoomState(tx, c.ID); err != nil {
			return err
		}
		coord = cc.m.Chat
		if cc.chat.Role != store.RoleCoordination {
			chats, err := chatsWithRole(tx, store.RoleCoordination)
			if err != nil {
				return err
			}
			if len(chats) == 0 {
				return refuse(i18n.T(cc.lang, "There is no coordination chat to open a room from."))
			}
			coord = chats[0].Ref
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !c.Status.Open() {
		return refuse(i18n.T(cc.lang, "Case #%d is %s.", c.ID, i18n.Status(cc.lang, c.Status)))
	}
	if st != nil && !st.Closed && !st.Fallback {
		return nil // run says where the room is
	}
	unlock := cc.e.chatLocks.lock(roomLock(c.ID))
	defer unlock()
	res := cc.e.openRoom(ctx, c, coord, cc.lang)
	cc.scratch = &res
	return nil
}

// cmdRoom records the room roomOutside opened.
func cmdRoom(cc *cmdCtx) error {
	c, err := cc.caseArg(0)
	if err != nil {
		return err
	}
	st, err := loadRoomState(cc.tx, c.ID)
	if err != nil {
		return err
	}
	res, _ := cc.scratch.(*roomResult)
	if st != nil && !st.Closed && (!st.Fallback || res == nil || res.fallback) {
		if res != nil && !res.fallback {
			// Someone else's room won the race: give ours back.
			cc.e.releaseRoom(PlatformOf(res.coord), res.room)
		}
		if st.Fallback && res != nil {
			return cc.reply(i18n.T(cc.lang, "Still no separate room for case #%d (%s); this chat remains its room.", c.ID, res.why))
		}
		return cc.reply(i18n.T(cc.lang, "Case #%d already has a room: %s", c.ID, cc.e.chatName(st.where())))
	}
	if res == nil {
		return refuse(i18n.T(cc.lang, "Case #%d is %s.", c.ID, i18n.Status(cc.lang, c.Status)))
	}
	msg, err := cc.e.recordRoom(cc.tx, c, *res, cc.m.Sender, cc.lang, true)
	if err != nil {
		return err
	}
	return cc.reply(msg)
}

// releaseRoom closes a room nobody will use, in the background.
func (e *Engine) releaseRoom(platform string, room Room) {
	p, ok := e.platform(platform)
	if !ok {
		return
	}
	opener, ok := p.(RoomOpener)
	if !ok {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := opener.CloseRoom(ctx, room, ""); err != nil {
			e.log.Warn("release unused room", "room", room.Chat, "err", err)
		}
	}()
}

// maybeAutoRoom opens a room for a case at the configured urgency. A
// platform that can open rooms is called in the background so the message
// that raised the case is not held up; the fallback is only store work and
// runs at once.
func (e *Engine) maybeAutoRoom(ctx context.Context, c *store.Case) {
	if c == nil || e.opts.RoomAt == triage.None || c.Urgency < e.opts.RoomAt || !c.Status.Open() || c.Room != "" {
		return
	}
	var coord *store.Chat
	err := e.store.View(ctx, func(tx *store.Tx) error {
		chats, err := chatsWithRole(tx, store.RoleCoordination)
		if err != nil {
			return err
		}
		for _, ch := range chats {
			// Prefer the asker's platform so they can be let in.
			if coord == nil || PlatformOf(ch.Ref) == PlatformOf(c.Asker) && PlatformOf(coord.Ref) != PlatformOf(c.Asker) {
				coord = ch
			}
		}
		return nil
	})
	if err != nil || coord == nil {
		if err != nil {
			e.log.Error("automatic room: find coordination chat", "case", c.ID, "err", err)
		}
		return
	}
	p, _ := e.platform(PlatformOf(coord.Ref))
	if _, ok := p.(RoomOpener); !ok {
		e.autoRoom(ctx, c.ID, coord.Ref, e.lang(coord))
		return
	}
	go func() {
		// Detached: the room outlives the message that asked for it.
		e.autoRoom(context.WithoutCancel(ctx), c.ID, coord.Ref, e.lang(coord))
	}()
}

func (e *Engine) autoRoom(ctx context.Context, id int64, coord, lang string) {
	unlock := e.chatLocks.lock(roomLock(id))
	defer unlock()
	var c *store.Case
	err := e.store.View(ctx, func(tx *store.Tx) error {
		var err error
		c, err = tx.Case(id)
		return err
	})
	if err != nil {
		e.log.Error("automatic room: read case", "case", id, "err", err)
		return
	}
	if c.Room != "" || !c.Status.Open() {
		return
	}
	res := e.openRoom(ctx, c, coord, lang)
	err = e.store.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Case(id)
		if err != nil {
			return err
		}
		if c.Room != "" || !c.Status.Open() {
			if !res.fallback {
				e.releaseRoom(PlatformOf(coord), res.room)
			}
			return nil
		}
		// The alert card is already in the coordination chat: the fallback
		// only needs its header there.
		msg, err := e.recordRoom(tx, c, res, Actor, lang, !res.fallback)
		if err != nil {
			return err
		}
		if res.fallback {
			return nil
		}
		return e.enqueue(tx, "notice", id, OutMessage{Chat: coord, Text: msg + " " + i18n.T(lang, "(opened automatically for an urgent case)")}, "")
	})
	if err != nil {
		e.log.Error("automatic room: record", "case", id, "err", err)
		return
	}
	e.outbox.wake()
}

// handleRoomMessage adds a message in a case room (or its thread) to the
// case's history and, for a bridged room, passes it to the asker.
func (e *Engine) handleRoomMessage(ctx context.Context, m Message, chat *store.Chat) error {
	id := chat.Case
	if chat.Role != store.RoleRoom {
		id = 0
		if err := e.store.View(ctx, func(tx *store.Tx) error {
			raw, err := tx.GetState(threadKey(m.Chat, m.Thread))
			if err != nil || raw == nil {
				return err
			}
			id, _ = strconv.ParseInt(string(raw), 10, 64)
			return nil
		}); err != nil {
			return fmt.Errorf("find case of thread %s/%s: %w", m.Chat, m.Thread, err)
		}
	}
	if id == 0 || strings.TrimSpace(m.Text) == "" {
		return e.markSeen(ctx, m)
	}
	err := e.once(ctx, m, func(tx *store.Tx) error {
		c, err := tx.Case(id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read case %d: %w", id, err)
		}
		if err := tx.AppendEvent(&store.Event{Case: id, At: m.Time, Actor: m.Sender, Kind: "message", Note: clip(m.Text, 1000)}); err != nil {
			return fmt.Errorf("record room message on case %d: %w", id, err)
		}
		c.Updated = m.Time
		if c.FirstResponse.IsZero() && m.Sender != c.Asker {
			c.FirstResponse = m.Time
		}
		if err := tx.PutCase(c); err != nil {
			return fmt.Errorf("save case %d: %w", id, err)
		}
		st, err := loadRoomState(tx, id)
		if err != nil || st == nil || !st.Bridged || st.Closed || m.Sender == c.Asker || c.Asker == "" {
			return err
		}
		lang := c.Language
		if p, err := tx.Person(c.Asker); err == nil {
			lang = i18n.LangOf(p, lang)
		}
		if lang == "" {
			lang = e.opts.Language
		}
		name := m.SenderName
		if name == "" {
			name = LocalID(m.Sender)
		}
		return e.tellPerson(tx, c.Asker, id, i18n.T(lang, "💬 Volunteer %s (request #%d): %s", name, id, m.Text))
	})
	if errors.Is(err, errSeen) {
		return nil
	}
	return err
}

// relayToRoom passes an asker's private message into the case's bridged
// room; it reports whether it did.
func (e *Engine) relayToRoom(tx *store.Tx, c *store.Case, m Message, text string) (bool, error) {
	st, err := loadRoomState(tx, c.ID)
	if err != nil || st == nil || !st.Bridged || st.Closed {
		return false, err
	}
	lang := e.opts.Language
	if ch, err := tx.Chat(st.Chat); err == nil {
		lang = e.lang(ch)
	}
	out := OutMessage{Chat: st.Chat, Thread: st.Thread, Text: i18n.T(lang, "💬 Asker (#%d): %s", c.ID, text)}
	if err := e.enqueue(tx, "relay", c.ID, out, ""); err != nil {
		return false, err
	}
	return true, nil
}

// afterFinish runs when a case is resolved or closed, inside that
// transaction: the room gets a closing note and is closed, and broadcast
// chats may get a thank-you.
func (e *Engine) afterFinish(cc *cmdCtx, c *store.Case) error {
	if err := e.finishRoom(cc.tx, c, cc.m.Sender); err != nil {
		return err
	}
	return e.broadcastResolved(cc.tx, c)
}

// finishRoom closes the room of a finished case. A platform room is closed
// by CloseRoom after this transaction commits: the close is recorded here
// (so it is known even if the process dies) and a goroutine performs it.
func (e *Engine) finishRoom(tx *store.Tx, c *store.Case, actor string) error {
	st, err := loadRoomState(tx, c.ID)
	if err != nil || st == nil || st.Closed {
		return err
	}
	lang := e.opts.Language
	if ch, err := tx.Chat(st.Coordination); err == nil {
		lang = e.lang(ch)
	}
	note := i18n.T(lang, "Case #%d is %s. This room is closed — thank you, everyone.", c.ID, i18n.Status(lang, c.Status))
	st.Closed = true
	if err := putRoomState(tx, c.ID, *st); err != nil {
		return err
	}
	if err := tx.AppendEvent(&store.Event{Case: c.ID, At: e.now(), Actor: actor, Kind: "room_closed", From: st.where()}); err != nil {
		return fmt.Errorf("record room close of case %d: %w", c.ID, err)
	}
	if st.Fallback {
		return e.enqueue(tx, "room", c.ID, OutMessage{Chat: st.Chat, Thread: st.Thread, Text: note}, "")
	}
	if st.Chat != st.Coordination {
		if rc, err := tx.Chat(st.Chat); err == nil && rc.Case == c.ID {
			// A pool group goes back to the pool: it no longer speaks for
			// this case.
			rc.Role, rc.Case, rc.Updated = "", 0, e.now()
			if err := tx.PutChat(rc); err != nil {
				return fmt.Errorf("release room chat %s: %w", st.Chat, err)
			}
		}
	}
	raw, err := json.Marshal(pendingClose{Room: *st, Note: note})
	if err != nil {
		return fmt.Errorf("encode room close of case %d: %w", c.ID, err)
	}
	if err := tx.PutState(roomCloseKey(c.ID), raw); err != nil {
		return err
	}
	ids, err := pendingRoomCloses(tx)
	if err != nil {
		return err
	}
	if !slices.Contains(ids, c.ID) {
		if err := putPendingRoomCloses(tx, append(ids, c.ID)); err != nil {
			return err
		}
	}
	// The goroutine's first store.Update waits for this transaction to end,
	// and finds nothing new to do if it rolled back.
	go e.closePendingRooms()
	return nil
}

// closePendingRooms performs every queued room close, retrying each a few
// times. A close that still fails stays queued and is tried again the next
// time a case finishes, and by Run at start and every roomCloseRetry.
func (e *Engine) closePendingRooms() {
	unlock := e.chatLocks.lock(roomClosesKey)
	defer unlock()
	ctx := context.Background()
	var ids []int64
	// Update, not View: it waits for the transaction that queued the
	// close to commit or roll back.
	err := e.store.Update(ctx, func(tx *store.Tx) error {
		var err error
		ids, err = pendingRoomCloses(tx)
		return err
	})
	if err != nil {
		e.log.Error("close rooms: read queue", "err", err)
		return
	}
	for _, id := range ids {
		if !e.closeRoom(ctx, id) {
			continue
		}
		err := e.store.Update(ctx, func(tx *store.Tx) error {
			left, err := pendingRoomCloses(tx)
			if err != nil {
				return err
			}
			if err := putPendingRoomCloses(tx, slices.DeleteFunc(left, func(x int64) bool { return x == id })); err != nil {
				return err
			}
			return tx.PutState(roomCloseKey(id), nil)
		})
		if err != nil {
			e.log.Error("close room: clear queued close", "case", id, "err", err)
		}
	}
}

// closeRoom performs one queued close; it reports whether the close is
// done with (performed, impossible, or no longer queued).
func (e *Engine) closeRoom(ctx context.Context, id int64) bool {
	var pc *pendingClose
	err := e.store.View(ctx, func(tx *store.Tx) error {
		raw, err := tx.GetState(roomCloseKey(id))
		if err != nil || raw == nil {
			return err
		}
		pc = new(pendingClose)
		return json.Unmarshal(raw, pc)
	})
	if err != nil {
		e.log.Error("close room: read queued close", "case", id, "err", err)
		return false
	}
	if pc == nil {
		return true
	}
	p, ok := e.platform(PlatformOf(pc.Room.Chat))
	opener, isOpener := p.(RoomOpener)
	if !ok || !isOpener {
		e.log.Warn("close room: platform can't close rooms", "case", id, "room", pc.Room.Chat)
		return ok // a disabled platform may come back; one without rooms won't
	}
	delay := 2 * time.Second
	for attempt := 1; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		err = opener.CloseRoom(cctx, pc.Room.room(), pc.Note)
		cancel()
		if err == nil || errors.Is(err, ErrPermanent) || attempt == 3 {
			break
		}
		time.Sleep(delay)
		delay *= 2
	}
	if err != nil {
		e.log.Error("close room failed", "case", id, "room", pc.Room.where(), "err", err)
		return errors.Is(err, ErrPermanent)
	}
	return true
}

const roomClosesKey = "roomclose:pending"

func pendingRoomCloses(tx *store.Tx) ([]int64, error) {
	raw, err := tx.GetState(roomClosesKey)
	if err != nil || raw == nil {
		return nil, err
	}
	var ids []int64
	if err := json.Unmarshal(raw, &ids); err != nil {
		return nil, fmt.Errorf("decode queued room closes: %w", err)
	}
	return ids, nil
}

func putPendingRoomCloses(tx *store.Tx, ids []int64) error {
	if len(ids) == 0 {
		return tx.PutState(roomClosesKey, nil)
	}
	raw, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("encode queued room closes: %w", err)
	}
	return tx.PutState(roomClosesKey, raw)
}

// roomMemberAdded lets the newest holder of c into its open room, on
// platforms that can add members (MemberAdder). It runs inside the claim's
// transaction, so the platform call is made by a goroutine whose first
// store.Update waits for that transaction to end.
func (e *Engine) roomMemberAdded(tx *store.Tx, c *store.Case) error {
	if len(c.Assignees) == 0 {
		return nil
	}
	person := c.Assignees[len(c.Assignees)-1]
	st, err := loadRoomState(tx, c.ID)
	if err != nil || st == nil || st.Fallback || st.Closed || PlatformOf(person) != PlatformOf(st.Chat) {
		return err
	}
	p, ok := e.platform(PlatformOf(st.Chat))
	if !ok {
		return nil
	}
	adder, ok := p.(MemberAdder)
	if !ok {
		return nil
	}
	go e.addToRoomLater(adder, c.ID, person)
	return nil
}

func (e *Engine) addToRoomLater(adder MemberAdder, id int64, person string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var st *roomState
	err := e.store.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Case(id)
		if err != nil {
			return err
		}
		if !slices.Contains(c.Assignees, person) {
			return nil // the claim rolled back
		}
		st, err = loadRoomState(tx, id)
		return err
	})
	if err != nil || st == nil || st.Closed {
		if err != nil {
			e.log.Error("add to room: read case", "case", id, "err", err)
		}
		return
	}
	invite, err := adder.AddToRoom(ctx, st.room(), person)
	if err != nil {
		e.log.Warn("add to room failed", "case", id, "person", person, "err", err)
		return
	}
	if invite == "" {
		return
	}
	err = e.store.Update(ctx, func(tx *store.Tx) error {
		lang := e.opts.Language
		if p, err := tx.Person(person); err == nil {
			lang = i18n.LangOf(p, lang)
		}
		return e.tellPerson(tx, person, id, i18n.T(lang, "You are invited to the rescue room for case #%d: %s", id, invite))
	})
	if err != nil {
		e.log.Error("add to room: queue invite", "case", id, "person", person, "err", err)
		return
	}
	e.outbox.wake()
}
