package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/lifeline-aid/lifeline/bot/commands"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/intake"
	"github.com/lifeline-aid/lifeline/bot/media"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/bot/throttle"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// HandleBatch hands over messages that arrived together (a getUpdates
// page, a WeChat sync, console lines read at once). Runs of group text
// messages — chatter and pleas in intake groups, chatter elsewhere, most
// of the traffic — are handled in one store transaction (store.Group):
// offset, people, seen keys, cases and alerts, one fsync for the run
// instead of two or three a message. Messages whose handling may reach
// outside the store (commands, private messages, media, edits, buttons,
// rooms, membership changes) are handled alone between the runs, in
// order. When a write in a run fails, the run is rolled back and its
// messages are handled one at a time, so one bad message costs the others
// nothing. The adapter's state is committed with the last run, or after
// it, and only once every message is recorded: an error leaves the whole
// page for redelivery, and nothing acknowledged is lost.
func (e *Engine) HandleBatch(ctx context.Context, b Batch) error {
	e.handling.begin() // shutdown waits for the page through its state write
	defer e.handling.end()
	ctx = context.WithoutCancel(ctx) // like HandleMessage: a page being recorded is finished
	grouped, verdicts, err := e.groupable(ctx, b.Messages)
	if err != nil {
		return err
	}
	if len(verdicts) > 0 {
		// Commands had their throttle verdict taken while sorting the page.
		ctx = context.WithValue(ctx, verdictsKey{}, verdicts)
	}
	var run []Message
	for i, m := range b.Messages {
		if grouped[i] {
			run = append(run, m)
			continue
		}
		if err := e.handleRun(ctx, run, nil); err != nil {
			return err
		}
		run = run[:0]
		if err := e.HandleMessage(ctx, m); err != nil {
			return err
		}
	}
	return e.handleRun(ctx, run, b.State)
}

// handleRun handles msgs and then writes state, in one transaction when it
// can, else one message at a time.
func (e *Engine) handleRun(ctx context.Context, msgs []Message, state []platform.StateWrite) error {
	if len(msgs) == 0 && len(state) == 0 {
		return nil
	}
	err := e.groupCommit(ctx, msgs, state)
	if err == nil {
		e.env.Wake() // the alerts queued by the run are committed now
		return nil
	}
	if errors.Is(err, store.ErrDiskFull) || errors.Is(err, store.ErrClosed) {
		return err // one at a time would fail the same way
	}
	e.env.Log.Warn("batch: group commit failed, recording its messages one at a time", "messages", len(msgs), "err", err)
	for _, m := range msgs {
		if err := e.HandleMessage(ctx, m); err != nil {
			return err
		}
	}
	if len(state) == 0 {
		return nil
	}
	if err := e.env.Store.Update(ctx, func(tx *store.Tx) error { return putState(tx, state) }); err != nil {
		return fmt.Errorf("record adapter state: %w", err)
	}
	return nil
}

// groupCommit handles msgs and writes state in one store transaction.
// The run's chats are locked before the store's writer, in one order, as
// every other path takes a chat lock before writing: taking them inside
// the group could deadlock with a media worker holding one. The locks are
// released before any one-at-a-time redo.
func (e *Engine) groupCommit(ctx context.Context, msgs []Message, state []platform.StateWrite) error {
	var chats []string
	for _, m := range msgs {
		if !slices.Contains(chats, m.Chat) {
			chats = append(chats, m.Chat)
		}
	}
	slices.Sort(chats)
	for _, c := range chats {
		unlock := e.env.Lock(c)
		defer unlock()
	}
	// What the run observes is counted once it commits: a failed run is
	// redone one message at a time, which counts it then.
	pending := &env.Pending{}
	ctx = env.WithPending(context.WithValue(ctx, chatsLockedKey{}, true), pending)
	err := e.env.Store.Group(ctx, func(ctx context.Context) error {
		for _, m := range msgs {
			if err := e.HandleMessage(ctx, m); err != nil {
				return err
			}
		}
		return e.env.Store.Update(ctx, func(tx *store.Tx) error { return putState(tx, state) })
	})
	if err == nil {
		pending.Flush(e.env.Observe())
	}
	return err
}

// chatsLockedKey marks a context whose chats' locks are already held.
type chatsLockedKey struct{}

func chatsLocked(ctx context.Context) bool { return ctx.Value(chatsLockedKey{}) != nil }

func putState(tx *store.Tx, state []platform.StateWrite) error {
	for _, w := range state {
		if err := tx.PutState(w.Key, w.Value); err != nil {
			return fmt.Errorf("record adapter state %s: %w", w.Key, err)
		}
	}
	return nil
}

// groupable says, reading in one transaction, which messages may share a
// group commit: text messages in known group chats whose handling writes
// only to the store (triage, seen-record, person, case, queued alerts).
// Anything that may reach outside the store, which a rolled-back run
// would repeat, is handled alone: commands, buttons, private messages,
// media, edits, room threads, membership changes, unknown chats, and pleas
// when urgent cases open rescue rooms automatically.
func (e *Engine) groupable(ctx context.Context, msgs []Message) ([]bool, map[verdictKey]throttle.Verdict, error) {
	out := make([]bool, len(msgs))
	verdicts := map[verdictKey]throttle.Verdict{}
	chats := map[string]*store.Chat{}
	err := e.env.Store.View(ctx, func(tx *store.Tx) error {
		for i, m := range msgs {
			m = intake.Words(m)
			if m.Kind != KindText || m.Callback != nil || m.Edited || m.Private || m.Thread != "" || media.Has(m) {
				continue
			}
			if commands.IsCommand(m.Text) {
				// A command refused by the throttle only records itself
				// (and maybe a notice): a flood of them shares commits.
				v := e.throttle.Allow(m.Sender, m.Chat, e.env.Now())
				verdicts[verdictKey{m.Chat, m.ID}] = v
				out[i] = !v.Allowed
				continue
			}
			c, ok := chats[m.Chat]
			if !ok {
				var err error
				c, err = tx.Chat(m.Chat)
				if errors.Is(err, store.ErrNotFound) {
					c = nil
				} else if err != nil {
					return fmt.Errorf("read chat %s: %w", m.Chat, err)
				}
				chats[m.Chat] = c
			}
			if c == nil || c.Role == store.RoleRoom || c.Role == store.RolePrivate {
				continue
			}
			if c.Role == store.RoleIntake && e.roomAt != triage.None && e.triage.Assess(m.Text).IsRequest {
				continue
			}
			out[i] = true
		}
		return nil
	})
	return out, verdicts, err
}
