package actions

import (
	"context"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/rooms"
	"github.com/lifeline-aid/lifeline/store"
)

// RoomRule says who may open a rescue room.
var RoomRule = access.Rule{Name: "room", Need: access.Volunteer, Where: access.WorkChats}

// RoomPlan is what PrepareRoom got from the platform, for OpenRoom to
// record. A nil Opened means the case already had a room.
type RoomPlan struct {
	Case   int64
	Opened *rooms.Opened
}

// PrepareRoom is the first half of opening a rescue room for case id: it
// asks the platform for a room. It must run outside any store transaction
// (a platform call never runs inside one); OpenRoom then records the
// result in the caller's transaction.
func (a *Actions) PrepareRoom(ctx context.Context, actor access.Actor, id int64) (*RoomPlan, error) {
	if err := a.allow(actor, RoomRule); err != nil {
		return nil, err
	}
	var (
		c     *store.Case
		st    *rooms.State
		coord = actor.Where.Chat
	)
	err := a.env.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = a.read(tx, actor, id); err != nil {
			return err
		}
		if st, err = rooms.Load(tx, c.ID); err != nil {
			return err
		}
		if actor.Where.Role != store.RoleCoordination {
			chats, err := env.ChatsWithRole(tx, store.RoleCoordination)
			if err != nil {
				return err
			}
			if len(chats) == 0 {
				return conflict(i18n.T(actor.Lang, "There is no coordination chat to open a room from."))
			}
			coord = chats[0].Ref
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !c.Status.Open() {
		return nil, conflict(i18n.T(actor.Lang, "Case #%d is %s.", c.ID, i18n.Status(actor.Lang, c.Status)))
	}
	plan := &RoomPlan{Case: c.ID}
	if st.Open() && !st.Fallback {
		return plan, nil // OpenRoom says where the room is
	}
	unlock := a.rooms.Lock(c.ID)
	defer unlock()
	opened := a.rooms.Open(ctx, c, coord, actor.Lang)
	plan.Opened = &opened
	return plan, nil
}

// RoomOpened is the outcome of OpenRoom.
type RoomOpened struct {
	Case *store.Case
	Room rooms.State
	// Name is the room's display name, or where it is.
	Name string
	// Existing is set when the case already had a room; StillFallback
	// when that room is the coordination chat and a separate one could
	// again not be opened (Why says why).
	Existing, StillFallback bool
	Why                     string
}

// OpenRoom records the room PrepareRoom opened for case id (or says where
// its room already is), posts the case card there and invites the people
// the platform could not add.
func (a *Actions) OpenRoom(tx *store.Tx, actor access.Actor, plan *RoomPlan) (*RoomOpened, error) {
	c, err := a.load(tx, actor, RoomRule, plan.Case)
	if err != nil {
		return nil, err
	}
	st, err := rooms.Load(tx, c.ID)
	if err != nil {
		return nil, err
	}
	res := plan.Opened
	if st.Open() && (!st.Fallback || res == nil || res.Fallback) {
		if res != nil {
			// Someone else's room won the race: give ours back.
			a.rooms.Release(*res)
		}
		out := &RoomOpened{Case: c, Room: *st, Name: a.env.ChatName(st.Where()), Existing: true}
		if st.Fallback && res != nil {
			out.StillFallback, out.Why = true, res.Why
		}
		return out, nil
	}
	if res == nil {
		return nil, conflict(i18n.T(actor.Lang, "Case #%d is %s.", c.ID, i18n.Status(actor.Lang, c.Status)))
	}
	rec, err := a.rooms.Record(tx, c, *res, actor.Ref, actor.Lang, true)
	if err != nil {
		return nil, err
	}
	return &RoomOpened{Case: c, Room: rec.State, Name: rec.Name, Why: res.Why}, nil
}
