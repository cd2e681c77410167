package store

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/triage"
	bolt "go.etcd.io/bbolt"
)

var updateFixtures = flag.Bool("update", false, "rewrite testdata fixtures")

// TestWriteV0Fixture writes testdata/v0.db the way schema version 0 laid
// out a file: records only, no indexes, no dead letters, seen entries
// without times. It runs only with -update; the file is committed so the
// migration test keeps reading bytes an old build wrote.
func TestWriteV0Fixture(t *testing.T) {
	if !*updateFixtures {
		t.Skip("run with -update to rewrite testdata/v0.db")
	}
	path := filepath.Join("testdata", "v0.db")
	_ = os.Remove(path)
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	put := func(tx *bolt.Tx, bucket string, key []byte, val string) {
		b, err := tx.CreateBucketIfNotExists([]byte(bucket))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Put(key, []byte(val)); err != nil {
			t.Fatal(err)
		}
	}
	err = db.Update(func(tx *bolt.Tx) error {
		put(tx, "meta", []byte("schema"), string(u64(0)))
		put(tx, "cases", idKey(1), `{"id":1,"asker":"telegram:501","text":"母亲透析两周没做 13800000001","assessment":{"is_request":true,"urgency":"critical","category":"dialysis","score":9,"phones":["13800000001"],"fingerprint":81985529216486895},"category":"dialysis","urgency":"critical","status":"new","phones":["13800000001"],"created":"2026-04-01T08:00:00Z","updated":"2026-04-01T08:00:00Z"}`)
		put(tx, "cases", idKey(2), `{"id":2,"asker":"telegram:502","text":"need groceries","assessment":{"is_request":true,"urgency":"normal","category":"food_supplies","score":2,"fingerprint":12345},"category":"food_supplies","urgency":"normal","status":"resolved","created":"2026-04-01T09:00:00Z","updated":"2026-04-02T09:00:00Z","finished":"2026-04-02T09:00:00Z"}`)
		put(tx, "cases", idKey(3), `{"id":3,"asker":"telegram:501","text":"insulin runs out tomorrow","assessment":{"is_request":true,"urgency":"high","category":"chronic_medication","score":5,"fingerprint":999},"category":"chronic_medication","urgency":"high","status":"verifying","created":"2026-04-01T07:00:00Z","updated":"2026-04-01T10:00:00Z"}`)
		b, _ := tx.CreateBucketIfNotExists([]byte("cases"))
		if err := b.SetSequence(3); err != nil {
			return err
		}
		put(tx, "events", append(idKey(1), u64(1)...), `{"id":1,"case":1,"at":"2026-04-01T08:00:00Z","actor":"telegram:501","kind":"created","to":"new"}`)
		put(tx, "seen", seenKey(MessageKey{Chat: "telegram:-1001", ID: "77"}), "")
		put(tx, "people", []byte("telegram:9"), `{"ref":"telegram:9","name":"Wei","roles":["coordinator"],"updated":"2026-04-01T00:00:00Z"}`)
		put(tx, "chats", []byte("telegram:-1001"), `{"ref":"telegram:-1001","role":"intake","active":true,"updated":"2026-04-01T00:00:00Z"}`)
		put(tx, "dir", idKey(1), `{"id":1,"name":"Renji dialysis centre","category":"dialysis","updated":"2026-04-01T00:00:00Z"}`)
		put(tx, "outbox", u64(1), `{"id":1,"chat":"telegram:-1009","kind":"alert","case":1,"payload":"eyJ0ZXh0IjoiIzEifQ==","dedupe_key":"alert:1:critical","attempts":0,"next_at":"2026-04-01T08:00:00Z","created":"2026-04-01T08:00:00Z"}`)
		put(tx, "outbox_dedupe", []byte("alert:1:critical"), string(u64(1)))
		put(tx, "state", []byte("telegram.offset"), "4242")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenMigratesV0(t *testing.T) {
	src, err := os.Open(filepath.Join("testdata", "v0.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	path := filepath.Join(t.TempDir(), "lifeline.db")
	dst, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	dst.Close()

	ctx := context.Background()
	for range 2 { // the second open finds version 1 and migrates nothing
		s, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if s.SchemaVersion() != CurrentSchema {
			t.Errorf("SchemaVersion = %d, want %d", s.SchemaVersion(), CurrentSchema)
		}
		mustConsistent(t, s)
		view(t, s, func(tx *Tx) error {
			open, err := tx.OpenCases(0, nil)
			if err != nil {
				return err
			}
			if ids := caseIDs(open); !slices.Equal(ids, []int64{1, 3}) {
				t.Errorf("OpenCases = %v, want [1 3]", ids)
			}
			if c, err := tx.FindOpenByPhone("13800000001"); err != nil || c == nil || c.ID != 1 || c.Urgency != triage.Critical {
				t.Errorf("FindOpenByPhone = %+v, %v", c, err)
			}
			if c, _ := tx.FindOpenByFingerprint(999 ^ 4); c == nil || c.ID != 3 {
				t.Errorf("FindOpenByFingerprint = %+v", c)
			}
			if got, _ := tx.CasesByAsker("telegram:501"); !slices.Equal(caseIDs(got), []int64{3, 1}) {
				t.Errorf("CasesByAsker = %v", caseIDs(got))
			}
			if seen, _ := tx.Seen(MessageKey{Chat: "telegram:-1001", ID: "77"}); !seen {
				t.Error("seen message lost")
			}
			due, _ := tx.DueOutbox(t0.Add(time.Hour), 0)
			if len(due) != 1 || string(due[0].Payload) != `{"text":"#1"}` {
				t.Errorf("DueOutbox = %+v", due)
			}
			if ok, _ := tx.Enqueue(&OutboxItem{DedupeKey: "alert:1:critical"}); ok {
				t.Error("dedupe key forgotten")
			}
			if p, err := tx.Person("telegram:9"); err != nil || p.Name != "Wei" {
				t.Errorf("Person = %+v, %v", p, err)
			}
			if v, _ := tx.GetState("telegram.offset"); string(v) != "4242" {
				t.Errorf("state = %q", v)
			}
			return nil
		})
		// New cases continue the old sequence.
		update(t, s, func(tx *Tx) error {
			c := &Case{Status: StatusClosed}
			if err := tx.CreateCase(c); err != nil {
				return err
			}
			if c.ID < 4 {
				t.Errorf("new case id %d reuses an old one", c.ID)
			}
			return nil
		})
		s.Close()
	}
}
