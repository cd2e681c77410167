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
	msgs := 300
	if testing.Short() {
		msgs = 100
	}
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
						if _, err := tx.FindOpenByFingerprint(c.Assessment.Fingerprint ^ 1); err != nil {
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
				return completeDue(tx, time.Now(), 3)
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

// TestConcurrentIngestKeepsIndexes ingests from many goroutines (so Batch
// shares transactions) while a volunteer resolves cases and the outbox
// drains, then checks every index, including the in-memory fingerprint
// index, against the records.
func TestConcurrentIngestKeepsIndexes(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ctx := context.Background()
	const msgs = 400
	next := make(chan int)
	var wg sync.WaitGroup
	var merged atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res, err := s.Ingest(ctx, crashMsg(i))
				if err != nil {
					t.Error(err)
					return
				}
				if res.Merged {
					merged.Add(1)
				}
			}
		}()
	}
	done := make(chan struct{})
	volunteer := make(chan struct{})
	go func() {
		defer close(volunteer)
		for n := 0; ; n++ {
			select {
			case <-done:
				return
			default:
			}
			if err := s.Update(ctx, crashVolunteer(n)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := range msgs {
		next <- i
	}
	close(next)
	wg.Wait()
	close(done)
	<-volunteer
	mustConsistent(t, s)
	if merged.Load() == 0 {
		t.Error("no message merged")
	}
	t.Logf("%d messages, %d merged", msgs, merged.Load())
}
