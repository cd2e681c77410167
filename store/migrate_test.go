package store

import (
	"bytes"
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

// writeV1 writes a file the way schema 1 laid it out: sources inside the
// case records, indexes in their first forms, outbox due keys without a
// lane, seen records with and without a time.
func writeV1(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		put := func(bucket string, key []byte, val string) {
			b, err := tx.CreateBucketIfNotExists([]byte(bucket))
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Put(key, []byte(val)); err != nil {
				t.Fatal(err)
			}
		}
		put("meta", []byte("app"), "lifeline")
		put("meta", []byte("schema"), string(u64(1)))
		put("cases", idKey(1), `{"id":1,"asker":"telegram:501","asker_name":"Wang","source_chat":"telegram:-1001","source_msg":"10",`+
			`"sources":[{"chat":"telegram:-1001","msg":"10","sender":"telegram:501","at":"2026-04-01T08:00:00Z"},`+
			`{"chat":"telegram:-1002","msg":"11","sender":"telegram:502","at":"2026-04-01T08:05:00Z"},`+
			`{"chat":"telegram:-1001","msg":"12","sender":"telegram:501","at":"2026-04-01T08:09:00Z"}],`+
			`"text":"外婆昏迷 13800000001","assessment":{"is_request":true,"urgency":"critical","category":"medical_emergency","phones":["13800000001"],"fingerprint":81985529216486895},`+
			`"category":"medical_emergency","urgency":"critical","status":"new","phones":["13800000001"],"created":"2026-04-01T08:00:00Z","updated":"2026-04-01T08:09:00Z"}`)
		put("cases", idKey(2), `{"id":2,"asker":"telegram:503","source_chat":"telegram:-1001","source_msg":"20",`+
			`"sources":[{"chat":"telegram:-1001","msg":"20","sender":"telegram:503","at":"2026-04-01T09:00:00Z"}],`+
			`"text":"need groceries","assessment":{"is_request":true,"urgency":"normal","fingerprint":12345},"category":"food_supplies","urgency":"normal",`+
			`"status":"resolved","created":"2026-04-01T09:00:00Z","updated":"2026-04-02T09:00:00Z","finished":"2026-04-02T09:00:00Z","first_response":"2026-04-01T09:30:00Z"}`)
		put("cases", idKey(3), `{"id":3,"source_chat":"telegram:-1001","source_msg":"30",`+
			`"sources":[{"chat":"telegram:-1001","msg":"30","at":"2026-01-01T09:00:00Z"}],`+
			`"text":"","assessment":{"urgency":"high"},"category":"rescue","urgency":"high",`+
			`"status":"closed","created":"2026-01-01T09:00:00Z","updated":"2026-01-02T09:00:00Z","finished":"2026-01-02T09:00:00Z","purged":true}`)
		put("cases", idKey(4), `{"id":4,"asker":"telegram:504","source_chat":"telegram:-1001","source_msg":"40","text":"insulin runs out tomorrow",`+
			`"assessment":{"is_request":true,"urgency":"high","fingerprint":999},"category":"chronic_medication","urgency":"high","status":"verifying",`+
			`"created":"2026-04-01T07:00:00Z","updated":"2026-04-01T10:00:00Z"}`)
		b := tx.Bucket([]byte("cases"))
		if err := b.SetSequence(4); err != nil {
			return err
		}
		// Schema 1 index forms (all rebuilt by the migration).
		k := append([]byte{0xff - byte(triage.Critical)}, timeIDKey(t0, 1)...)
		put("idx_open", k, string(u64(81985529216486895)))
		put("idx_stale", timeIDKey(t0.Add(9*time.Minute), 1), "")
		put("outbox_due", timeIDKey(t0, 1), "")
		put("events", append(idKey(1), u64(1)...), `{"id":1,"case":1,"at":"2026-04-01T08:00:00Z","actor":"telegram:501","kind":"created","to":"new"}`)
		for _, m := range []MessageKey{{"telegram:-1001", "10"}, {"telegram:-1002", "11"}, {"telegram:-1001", "12"}, {"telegram:-1001", "20"}, {"telegram:-1001", "99"}} {
			put("seen", seenKey(m), string(u64(timeBits(t0))))
		}
		put("seen", seenKey(MessageKey{"telegram:-1001", "1"}), "") // schema 0: no time
		put("outbox", u64(1), `{"id":1,"chat":"telegram:-1009","kind":"reply","case":1,"payload":"InJlcGx5Ig==","attempts":0,"next_at":"2026-04-01T08:00:00Z","created":"2026-04-01T08:00:00Z"}`)
		put("outbox", u64(2), `{"id":2,"chat":"telegram:-1009","kind":"alert","case":1,"payload":"ImFsZXJ0Ig==","dedupe_key":"alert:1:critical","attempts":2,"last_error":"timeout","next_at":"2026-04-01T08:01:00Z","created":"2026-04-01T08:00:00Z"}`)
		put("outbox_dedupe", []byte("alert:1:critical"), string(u64(2)))
		put("outbox_dead", u64(3), `{"item":{"id":3,"chat":"telegram:-1009","kind":"alert","case":4,"payload":"ImRlYWQi","attempts":12,"next_at":"2026-04-01T08:00:00Z","created":"2026-04-01T07:00:00Z"},"reason":"after 12 attempts: timeout","at":"2026-04-01T09:00:00Z"}`)
		if err := tx.Bucket([]byte("outbox")).SetSequence(3); err != nil {
			return err
		}
		put("state", []byte("telegram.offset"), "4242")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenMigratesV1SourcesOutOfTheCase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lifeline.db")
	writeV1(t, path)
	ctx := context.Background()
	for range 2 { // the second open finds schema 2 and migrates nothing
		s, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if s.SchemaVersion() != CurrentSchema || CurrentSchema != 2 {
			t.Errorf("SchemaVersion = %d", s.SchemaVersion())
		}
		mustConsistent(t, s)
		view(t, s, func(tx *Tx) error {
			if raw := tx.b(bCases).Get(idKey(1)); bytes.Contains(raw, []byte(`"sources"`)) {
				t.Errorf("case record still holds its sources: %s", raw)
			}
			c, err := tx.Case(1)
			if err != nil {
				return err
			}
			srcs, _ := tx.Sources(1)
			if c.SourceCount != 3 || len(srcs) != 3 || c.Latest == nil || c.Latest.Seq != 3 || c.Latest.Msg != "12" {
				t.Fatalf("case #1: count %d, %d sources, latest %+v", c.SourceCount, len(srcs), c.Latest)
			}
			kinds := []SourceKind{srcs[0].Kind, srcs[1].Kind, srcs[2].Kind}
			if !slices.Equal(kinds, []SourceKind{SourceFirst, SourceRepost, SourceUpdate}) || srcs[0].Text != "外婆昏迷 13800000001" ||
				srcs[0].SenderName != "Wang" || srcs[1].Sender != "telegram:502" || !srcs[1].At.Equal(t0.Add(5*time.Minute)) {
				t.Errorf("sources = %+v", srcs)
			}
			for msg, want := range map[MessageKey]int64{{"telegram:-1002", "11"}: 1, {"telegram:-1001", "20"}: 2, {"telegram:-1001", "40"}: 4, {"telegram:-1001", "30"}: 0} {
				c, err := tx.CaseOfMessage(msg)
				var got int64
				if c != nil {
					got = c.ID
				}
				if err != nil || got != want {
					t.Errorf("CaseOfMessage(%v) = #%d, %v; want #%d", msg, got, err, want)
				}
			}
			if srcs, _ := tx.Sources(4); len(srcs) != 1 || srcs[0].Kind != SourceFirst || srcs[0].Text != "insulin runs out tomorrow" {
				t.Errorf("a case without sources got %+v", srcs)
			}
			if srcs, _ := tx.Sources(3); len(srcs) != 1 || srcs[0].Sender != "" || srcs[0].Text != "" {
				t.Errorf("a purged case's source = %+v", srcs)
			}
			if c, _ := tx.FindOpenByFingerprint(81985529216486895 ^ 2); c == nil || c.ID != 1 {
				t.Errorf("FindOpenByFingerprint = %v", c)
			}
			if cc, _ := tx.OpenCounts(); cc.Total != 2 || cc.ByCategory["medical_emergency"] != 1 {
				t.Errorf("OpenCounts = %+v", cc)
			}
			if page, _, _ := tx.QueryCases(CaseQuery{Order: ByFinished}); !slices.Equal(caseIDs(page), []int64{3, 2}) {
				t.Errorf("finished = %v", caseIDs(page))
			}
			if page, _, _ := tx.QueryCases(CaseQuery{Order: ByFirstResponse}); !slices.Equal(caseIDs(page), []int64{2}) {
				t.Errorf("first responses = %v", caseIDs(page))
			}
			due, _ := tx.Due(t0.Add(time.Hour), 0)
			if len(due) != 2 || due[0].ID != 2 || due[0].Priority != PriorityAlert || due[1].ID != 1 || due[1].Priority != PriorityReply {
				t.Errorf("Due = %+v", due)
			}
			sum, _ := tx.OutboxSummary()
			if sum.Total.Queued != 1 || sum.Total.Stuck != 1 || sum.Total.Dead != 1 || sum.Total.Alerts != 1 || !sum.Total.OldestDead.Equal(t0.Add(time.Hour)) {
				t.Errorf("OutboxSummary = %+v", sum.Total)
			}
			if ok, _ := tx.Enqueue(&OutboxItem{DedupeKey: "alert:1:critical"}); ok {
				t.Error("dedupe key forgotten")
			}
			if v, _ := tx.GetState("telegram.offset"); string(v) != "4242" {
				t.Errorf("state = %q", v)
			}
			return nil
		})
		s.Close()
	}
	// Seen records written at t0 expire; the undated one counts from the
	// migration.
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.PurgeAll(ctx, t0.Add(100*24*time.Hour), 90*24*time.Hour)
	if err != nil || r.Seen != 5 || r.Cases != 1 || r.DeadLetters != 1 {
		t.Errorf("PurgeAll = %+v, %v", r, err)
	}
	view(t, s, func(tx *Tx) error {
		if ok, _ := tx.Seen(MessageKey{"telegram:-1001", "1"}); !ok {
			t.Error("the undated seen record expired at once")
		}
		return nil
	})
	mustConsistent(t, s)
}
