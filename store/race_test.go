package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentReadersOneWriter runs readers that check every snapshot for
// consistency while a writer ingests, updates cases and drains the outbox.
// Run it with -race.
func TestConcurrentReadersOneWriter(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ctx := context.Background()
	const msgs = 300
	var done atomic.Bool
	var reads atomic.Int64
	var wg sync.WaitGroup
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done.Load() {
				err := s.View(ctx, func(tx *Tx) error {
					if r == 0 {
						if err := checkConsistency(tx); err != nil {
							return err
						}
					}
					open, err := tx.OpenCases(20, nil)
					if err != nil {
						return err
					}
					for i := 1; i < len(open); i++ {
						if open[i].Urgency > open[i-1].Urgency {
							return fmt.Errorf("open cases out of order: #%d before #%d", open[i-1].ID, open[i].ID)
						}
					}
					for _, c := range open {
						if _, err := tx.Events(c.ID); err != nil {
							return err
						}
						for _, p := range c.Phones {
							if _, err := tx.FindOpenByPhone(p); err != nil {
								return err
							}
						}
					}
					_, err = tx.DueOutbox(time.Now(), 10)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				reads.Add(1)
			}
		}()
	}
	for i := range msgs {
		req := crashMsg(i)
		res, err := s.Ingest(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		// Every few messages a volunteer moves a case on and the outbox
		// worker delivers what is due.
		if i%5 == 0 {
			err := s.Update(ctx, func(tx *Tx) error {
				c, err := tx.Case(res.Case.ID)
				if err != nil {
					return err
				}
				c.Status = []Status{StatusVerifying, StatusInProgress, StatusResolved}[i%3]
				c.Updated = c.Updated.Add(time.Minute)
				if err := tx.PutCase(c); err != nil {
					return err
				}
				due, err := tx.DueOutbox(time.Now(), 3)
				if err != nil {
					return err
				}
				for _, it := range due {
					if err := tx.CompleteOutbox(it.ID); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	done.Store(true)
	wg.Wait()
	mustConsistent(t, s)
	t.Logf("%d messages written, %d read transactions", msgs, reads.Load())
}
