package store

import (
	"slices"
	"sync"
)

// CommitHook is told, after a write transaction committed, which cases it
// wrote or added events to. It runs on the committing goroutine after the
// write lock is released, so it must be quick (hand the ids to a channel)
// and must not write to the store.
type CommitHook func(cases []int64)

// hooks are the store's commit hooks.
type hooks struct {
	mu  sync.RWMutex
	fns []CommitHook
}

func (h *hooks) list() []CommitHook {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.fns
}

// OnCommit adds fn to the hooks told about every committed write that
// touched a case (the board's live updates). A rolled-back transaction
// tells nothing.
func (s *Store) OnCommit(fn CommitHook) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.fns = append(slices.Clip(s.hooks.fns), fn)
}

// touch notes that the transaction changed case id; the first touch
// registers the commit callback.
func (tx *Tx) touch(id int64) {
	if tx.hooks == nil {
		return
	}
	if tx.touched == nil {
		fns := tx.hooks.list()
		if len(fns) == 0 {
			return
		}
		tx.touched = map[int64]bool{}
		touched := tx.touched
		tx.tx.OnCommit(func() {
			ids := make([]int64, 0, len(touched))
			for id := range touched {
				ids = append(ids, id)
			}
			slices.Sort(ids)
			for _, fn := range fns {
				fn(ids)
			}
		})
	}
	tx.touched[id] = true
}
