package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

func roomCloseKey(id int64) string { return fmt.Sprintf("roomclose:%d", id) }

const roomClosesKey = "roomclose:pending"

// pendingClose is a room close queued by Finish and performed after its
// transaction committed.
type pendingClose struct {
	Room State  `json:"room"`
	Note string `json:"note"`
}

// Finish closes the room of a finished case, inside the transaction that
// finished it. A platform room is closed by CloseRoom after this
// transaction commits: the close is recorded here (so it is known even if
// the process dies) and a goroutine performs it.
func (r *Rooms) Finish(tx *store.Tx, c *store.Case, actor string) error {
	st, err := Load(tx, c.ID)
	if err != nil || st == nil || st.Closed {
		return err
	}
	lang := r.env.Language
	if ch, err := tx.Chat(st.Coordination); err == nil {
		lang = r.env.Lang(ch)
	}
	now := r.env.Now()
	note := i18n.T(lang, "Case #%d is %s. This room is closed — thank you, everyone.", c.ID, i18n.Status(lang, c.Status))
	st.Closed = true
	if err := put(tx, c.ID, *st); err != nil {
		return err
	}
	if err := tx.AppendEvent(&store.Event{Case: c.ID, At: now, Actor: actor, Kind: "room_closed", From: st.Where()}); err != nil {
		return fmt.Errorf("record room close of case %d: %w", c.ID, err)
	}
	if st.Fallback {
		return delivery.Enqueue(tx, now, delivery.KindRoom, c.ID, platform.OutMessage{Chat: st.Chat, Thread: st.Thread, Text: note}, "")
	}
	if st.Chat != st.Coordination {
		if rc, err := tx.Chat(st.Chat); err == nil && rc.Case == c.ID {
			// A pool group goes back to the pool: it no longer speaks for
			// this case.
			rc.Role, rc.Case, rc.Updated = "", 0, now
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
	go r.ClosePending()
	return nil
}

// closeRetry is how often rooms whose close failed are tried again.
const closeRetry = 10 * time.Minute

// RetryCloses closes rooms whose close failed earlier (the platform was
// down, or the bot restarted before closing them): at start, then
// periodically, until ctx ends.
func (r *Rooms) RetryCloses(ctx context.Context) {
	t := time.NewTicker(closeRetry)
	defer t.Stop()
	for {
		r.ClosePending()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ClosePending performs every queued room close, retrying each a few
// times. A close that still fails stays queued and is tried again the next
// time a case finishes, and by RetryCloses.
func (r *Rooms) ClosePending() {
	unlock := r.env.Lock(roomClosesKey)
	defer unlock()
	ctx := context.Background()
	var ids []int64
	// Update, not View: it waits for the transaction that queued the
	// close to commit or roll back.
	err := r.env.Store.Update(ctx, func(tx *store.Tx) error {
		var err error
		ids, err = pendingRoomCloses(tx)
		return err
	})
	if err != nil {
		r.env.Log.Error("close rooms: read queue", "err", err)
		return
	}
	for _, id := range ids {
		if !r.close(ctx, id) {
			continue
		}
		err := r.env.Store.Update(ctx, func(tx *store.Tx) error {
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
			r.env.Log.Error("close room: clear queued close", "case", id, "err", err)
		}
	}
}

// close performs one queued close; it reports whether the close is done
// with (performed, impossible, or no longer queued).
func (r *Rooms) close(ctx context.Context, id int64) bool {
	var pc *pendingClose
	err := r.env.Store.View(ctx, func(tx *store.Tx) error {
		raw, err := tx.GetState(roomCloseKey(id))
		if err != nil || raw == nil {
			return err
		}
		pc = new(pendingClose)
		return json.Unmarshal(raw, pc)
	})
	if err != nil {
		r.env.Log.Error("close room: read queued close", "case", id, "err", err)
		return false
	}
	if pc == nil {
		return true
	}
	p, ok := r.env.Platform(platform.PlatformOf(pc.Room.Chat))
	opener, isOpener := p.(platform.RoomOpener)
	if !ok || !isOpener {
		r.env.Log.Warn("close room: platform can't close rooms", "case", id, "room", pc.Room.Chat)
		return ok // a disabled platform may come back; one without rooms won't
	}
	delay := 2 * time.Second
	for attempt := 1; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		err = opener.CloseRoom(cctx, pc.Room.room(), pc.Note)
		cancel()
		if err == nil || errors.Is(err, platform.ErrPermanent) || attempt == 3 {
			break
		}
		time.Sleep(delay)
		delay *= 2
	}
	if err != nil {
		r.env.Log.Error("close room failed", "case", id, "room", pc.Room.Where(), "err", err)
		return errors.Is(err, platform.ErrPermanent)
	}
	return true
}

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

// Let lets person, a new holder of c, into its open room on platforms that
// can add members (MemberAdder). It runs inside the claim's transaction,
// so the platform call is made by a goroutine whose first store.Update
// waits for that transaction to end.
func (r *Rooms) Let(tx *store.Tx, c *store.Case, person string) error {
	st, err := Load(tx, c.ID)
	if err != nil || st == nil || st.Fallback || st.Closed || platform.PlatformOf(person) != platform.PlatformOf(st.Chat) {
		return err
	}
	p, ok := r.env.Platform(platform.PlatformOf(st.Chat))
	if !ok {
		return nil
	}
	adder, ok := p.(platform.MemberAdder)
	if !ok {
		return nil
	}
	go r.addLater(adder, c.ID, person)
	return nil
}

func (r *Rooms) addLater(adder platform.MemberAdder, id int64, person string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var st *State
	err := r.env.Store.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Case(id)
		if err != nil {
			return err
		}
		if !slices.Contains(c.Assignees, person) {
			return nil // the claim rolled back
		}
		st, err = Load(tx, id)
		return err
	})
	if err != nil || st == nil || st.Closed {
		if err != nil {
			r.env.Log.Error("add to room: read case", "case", id, "err", err)
		}
		return
	}
	invite, err := adder.AddToRoom(ctx, st.room(), person)
	if err != nil {
		r.env.Log.Warn("add to room failed", "case", id, "person", person, "err", err)
		return
	}
	if invite == "" {
		return
	}
	err = r.env.Store.Update(ctx, func(tx *store.Tx) error {
		return r.invite(tx, person, id, invite, r.env.Language)
	})
	if err != nil {
		r.env.Log.Error("add to room: queue invite", "case", id, "person", person, "err", err)
		return
	}
	r.env.Wake()
}
