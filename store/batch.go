package store

import (
	"context"
	"errors"

	bolt "go.etcd.io/bbolt"
)

// errRetryBatch rolls an UpdateBatch attempt back after one function failed.
var errRetryBatch = errors.New("retry batch without the failed function")

// UpdateBatch runs fns in one read-write transaction with one commit (one
// fsync), as if each ran in its own Update in order: a function that
// returns an error changes nothing and does not fail the others. errs[i]
// is fns[i]'s error. err is for the batch as a whole (ctx ended before it
// started, the commit failed): then nothing was saved and every errs[i]
// is set too.
//
// This is how a page of incoming messages (a getUpdates page, console
// lines) is recorded at a flat cost: one commit for all of them, and a bad
// message does not cost the others theirs. bbolt has no savepoints, so a
// failure rolls the transaction back and runs it again without the failed
// function: like Batch's, a function may run more than once and must not
// keep state from a run that failed (results it reports are those of its
// last run, which is the committed one).
func (s *Store) UpdateBatch(ctx context.Context, fns []func(*Tx) error) (errs []error, err error) {
	errs = make([]error, len(fns))
	if err := ctx.Err(); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs, err
	}
	if g := s.groupOf(ctx); g != nil && !g.done.Load() {
		// Inside a Group a failure rolls the group back anyway.
		for i, fn := range fns {
			errs[i] = s.Update(ctx, fn)
		}
		return errs, nil
	}
	failed := make([]bool, len(fns))
	for {
		at := -1
		err := s.db.Update(func(btx *bolt.Tx) error {
			tx := s.writeTx(btx)
			for i, fn := range fns {
				if failed[i] {
					continue
				}
				if err := fn(tx); err != nil {
					at, errs[i] = i, err
					return errRetryBatch
				}
			}
			return nil
		})
		if at >= 0 && errors.Is(err, errRetryBatch) {
			failed[at] = true
			continue
		}
		if err != nil {
			err = s.writeErr(err)
			for i := range errs {
				if !failed[i] {
					errs[i] = err
				}
			}
			return errs, err
		}
		return errs, nil
	}
}

// IngestBatch runs Tx.Ingest for every request in one transaction (see
// UpdateBatch): results[i] and errs[i] are request i's. A nil err means
// every request without an error is on disk.
func (s *Store) IngestBatch(ctx context.Context, reqs []IngestRequest) (results []IngestResult, errs []error, err error) {
	results = make([]IngestResult, len(reqs))
	fns := make([]func(*Tx) error, len(reqs))
	for i := range reqs {
		fns[i] = func(tx *Tx) error {
			r, err := tx.Ingest(reqs[i])
			results[i] = r
			return err
		}
	}
	errs, err = s.UpdateBatch(ctx, fns)
	for i := range results {
		if errs[i] != nil {
			results[i] = IngestResult{}
		}
	}
	return results, errs, err
}
