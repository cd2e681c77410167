package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// ErrGroupFailed is returned by Group when a write inside it failed: the
// whole group was rolled back, and the caller should redo its work one
// piece at a time.
var ErrGroupFailed = errors.New("a write in the group failed; nothing of the group was saved")

type groupKey struct{ s *Store }

// group is one read-write transaction shared by every Update, Batch and
// View made with a Group's context.
//
// Only the goroutine that called Group may use its context while the group
// runs (a bolt transaction is not safe for concurrent use, and a lock
// would deadlock a View nested in an Update); done lets a goroutine that
// kept the context use it safely after the group ended.
type group struct {
	tx   *Tx
	err  error       // the first failed write: the group rolls back
	done atomic.Bool // the transaction has ended: later calls take the normal path
}

// Group runs fn with a context in which this store's Update, Batch and
// View join one read-write transaction, committed (one fsync) once fn
// returns nil. It is group commit for a single caller that hands over
// many messages at once: each message's handler keeps its own
// transactions in the code, and they share one commit here.
//
// Inside the group, reads see the group's earlier writes, as separate
// commits would. bbolt has no savepoints, so a write that fails poisons
// the group: later writes in it fail at once, and Group rolls everything
// back and returns ErrGroupFailed (wrapping the first error) — the caller
// redoes the work without the group, where each write stands alone. fn
// must therefore do nothing outside the store that a redo would repeat
// harmfully. Other goroutines' writes wait for the group to end, so keep
// groups short (a page of messages). A context from the group used after
// it ended takes the normal path.
func (s *Store) Group(ctx context.Context, fn func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.groupOf(ctx) != nil {
		return fn(ctx) // already in one
	}
	var g *group
	err := s.db.Update(func(btx *bolt.Tx) error {
		g = &group{tx: s.writeTx(btx)}
		err := fn(context.WithValue(ctx, groupKey{s}, g))
		g.done.Store(true)
		if g.err != nil {
			return fmt.Errorf("%w: %w", ErrGroupFailed, g.err)
		}
		return err
	})
	return s.writeErr(err)
}

func (s *Store) groupOf(ctx context.Context) *group {
	g, _ := ctx.Value(groupKey{s}).(*group)
	return g
}

// inGroup runs fn in ctx's group, if there is a live one. ok is false
// when there is none and the caller must open its own transaction.
func (s *Store) inGroup(ctx context.Context, write bool, fn func(*Tx) error) (ok bool, err error) {
	g := s.groupOf(ctx)
	if g == nil {
		return false, nil
	}
	if g.done.Load() {
		return false, nil
	}
	if g.err != nil {
		return true, g.err
	}
	err = fn(g.tx)
	if err != nil && write {
		g.err = err
	}
	return true, err
}
