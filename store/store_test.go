package store

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/triage"
)

func TestCreateCaseAssignsSequentialIDs(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	update(t, s, func(tx *Tx) error {
		for want := int64(1); want <= 3; want++ {
			c := &Case{Text: "help", Urgency: triage.High}
			if err := tx.CreateCase(c); err != nil {
				return err
			}
			if c.ID != want || c.Status != StatusNew || c.Created.IsZero() || c.Updated.IsZero() {
				t.Errorf("case = id %d status %q created %v updated %v, want id %d, new, times set", c.ID, c.Status, c.Created, c.Updated, want)
			}
		}
		return nil
	})
	view(t, s, func(tx *Tx) error {
		c, err := tx.Case(2)
		if err != nil || c.ID != 2 || c.Text != "help" {
			t.Errorf("Case(2) = %+v, %v", c, err)
		}
		if _, err := tx.Case(99); !errors.Is(err, ErrNotFound) {
			t.Errorf("Case(99) error = %v, want ErrNotFound", err)
		}
		return nil
	})
	mustConsistent(t, s)
}

func TestPutCaseReindexes(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	c := &Case{Text: "insulin", Urgency: triage.Normal, Phones: []string{"13800000001"}, Asker: "console:ann",
		Assessment: triage.Assessment{Fingerprint: 0xdeadbeefcafef00d}, Created: t0}
	update(t, s, func(tx *Tx) error { return tx.CreateCase(c) })
	steps := []struct {
		name   string
		change func(c *Case)
		phone  string // FindOpenByPhone(phone) should find the case...
		found  bool   // ...or not
	}{
		{"raise urgency", func(c *Case) { c.Urgency = triage.Critical }, "13800000001", true},
		{"change phone", func(c *Case) { c.Phones = []string{"13900000002"} }, "13800000001", false},
		{"new phone found", func(c *Case) {}, "13900000002", true},
		{"resolve", func(c *Case) { c.Status = StatusResolved; c.Finished = t0.Add(time.Hour) }, "13900000002", false},
		{"reopen", func(c *Case) { c.Status = StatusVerifying }, "13900000002", true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			update(t, s, func(tx *Tx) error {
				c, err := tx.Case(1)
				if err != nil {
					return err
				}
				st.change(c)
				c.Updated = c.Updated.Add(time.Minute)
				return tx.PutCase(c)
			})
			mustConsistent(t, s)
			view(t, s, func(tx *Tx) error {
				got, err := tx.FindOpenByPhone(st.phone)
				if err != nil {
					return err
				}
				if (got != nil) != st.found {
					t.Errorf("FindOpenByPhone(%s) = %v, want found=%v", st.phone, got, st.found)
				}
				return nil
			})
		})
	}
	update(t, s, func(tx *Tx) error {
		if err := tx.PutCase(&Case{ID: 42}); !errors.Is(err, ErrNotFound) {
			t.Errorf("PutCase(missing) error = %v, want ErrNotFound", err)
		}
		return nil
	})
}

func TestOpenCasesOrder(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	// id: urgency, created offset (minutes), status
	cases := []struct {
		u      triage.Urgency
		min    int
		status Status
	}{
		{triage.Normal, 0, StatusNew},         // 1
		{triage.Critical, 5, StatusNew},       // 2
		{triage.High, 1, StatusVerified},      // 3
		{triage.Critical, 2, StatusVerifying}, // 4
		{triage.Critical, 1, StatusClosed},    // 5 closed: not listed
		{triage.High, 0, StatusInProgress},    // 6
		{triage.None, 0, StatusNew},           // 7
	}
	update(t, s, func(tx *Tx) error {
		for _, c := range cases {
			if err := tx.CreateCase(&Case{Urgency: c.u, Status: c.status, Created: t0.Add(time.Duration(c.min) * time.Minute)}); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		name  string
		limit int
		keep  func(*Case) bool
		want  []int64
	}{
		{"all", 0, nil, []int64{4, 2, 6, 3, 1, 7}},
		{"first page", 3, nil, []int64{4, 2, 6}},
		{"filtered", 2, func(c *Case) bool { return c.Urgency < triage.Critical }, []int64{6, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			view(t, s, func(tx *Tx) error {
				got, err := tx.OpenCases(tt.limit, tt.keep)
				if err != nil {
					return err
				}
				if ids := caseIDs(got); !slices.Equal(ids, tt.want) {
					t.Errorf("OpenCases = %v, want %v", ids, tt.want)
				}
				return nil
			})
		})
	}
}

func caseIDs(cs []*Case) []int64 {
	var ids []int64
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestStaleCases(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	update(t, s, func(tx *Tx) error {
		for i, m := range []int{30, 10, 50, 20} {
			st := StatusNew
			if i == 3 {
				st = StatusResolved
			}
			if err := tx.CreateCase(&Case{Status: st, Created: t0, Updated: t0.Add(time.Duration(m) * time.Minute)}); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		name   string
		before time.Time
		stopAt int
		want   []int64
	}{
		{"before 40m", t0.Add(40 * time.Minute), 0, []int64{2, 1}},
		{"all open", t0.Add(time.Hour), 0, []int64{2, 1, 3}},
		{"stop after one", t0.Add(time.Hour), 1, []int64{2}},
		{"none", t0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int64
			view(t, s, func(tx *Tx) error {
				return tx.StaleCases(tt.before, func(c *Case) bool {
					got = append(got, c.ID)
					return tt.stopAt == 0 || len(got) < tt.stopAt
				})
			})
			if !slices.Equal(got, tt.want) {
				t.Errorf("StaleCases = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFindOpenByFingerprint(t *testing.T) {
	const fp = uint64(0x0123456789abcdef)
	s := openTest(t, Options{NoSync: true})
	update(t, s, func(tx *Tx) error {
		if err := tx.CreateCase(&Case{Assessment: triage.Assessment{Fingerprint: fp}}); err != nil { // 1
			return err
		}
		if err := tx.CreateCase(&Case{Status: StatusClosed, Assessment: triage.Assessment{Fingerprint: fp ^ 1}}); err != nil { // 2 closed
			return err
		}
		return tx.CreateCase(&Case{Assessment: triage.Assessment{Fingerprint: ^fp}}) // 3 far away
	})
	tests := []struct {
		name  string
		query uint64
		want  int64
	}{
		{"exact", fp, 1},
		{"one bit per band in three bands", fp ^ (1 | 1<<20 | 1<<40), 1},
		{"three bits in one band", fp ^ 0x7, 1},
		{"four bits", fp ^ 0xf, 0},
		{"complement", ^fp, 3},
		{"zero means unknown", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			view(t, s, func(tx *Tx) error {
				c, err := tx.FindOpenByFingerprint(tt.query)
				if err != nil {
					return err
				}
				var got int64
				if c != nil {
					got = c.ID
				}
				if got != tt.want {
					t.Errorf("FindOpenByFingerprint(%x) = #%d, want #%d", tt.query, got, tt.want)
				}
				return nil
			})
		})
	}
}

func TestCasesByAskerNewestFirst(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	update(t, s, func(tx *Tx) error {
		for _, a := range []string{"tg:1", "tg:2", "tg:1", "tg:11", "tg:1"} {
			if err := tx.CreateCase(&Case{Asker: a}); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx *Tx) error {
		got, err := tx.CasesByAsker("tg:1")
		if ids := caseIDs(got); err != nil || !slices.Equal(ids, []int64{5, 3, 1}) {
			t.Errorf("CasesByAsker(tg:1) = %v, %v; want [5 3 1]", ids, err)
		}
		got, _ = tx.CasesByAsker("tg:nobody")
		if len(got) != 0 {
			t.Errorf("CasesByAsker(nobody) = %v", caseIDs(got))
		}
		return nil
	})
}

func TestEventsInOrderPerCase(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	update(t, s, func(tx *Tx) error {
		for i := range 3 {
			if err := tx.CreateCase(&Case{}); err != nil {
				return err
			}
			_ = i
		}
		for _, cid := range []int64{1, 2, 1, 3, 1} {
			if err := tx.AppendEvent(&Event{Case: cid, Kind: "note", Actor: "tg:1"}); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx *Tx) error {
		evs, err := tx.Events(1)
		if err != nil {
			return err
		}
		var ids []uint64
		for _, e := range evs {
			ids = append(ids, e.ID)
		}
		if !slices.Equal(ids, []uint64{1, 3, 5}) {
			t.Errorf("Events(1) ids = %v, want [1 3 5]", ids)
		}
		return nil
	})
}

func TestPeopleChatsDirectoryState(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ctx := context.Background()
	update(t, s, func(tx *Tx) error {
		for _, p := range []*Person{{Ref: "tg:2", Name: "Bo"}, {Ref: "tg:1", Name: "Ann", Roles: []string{"admin"}}} {
			if err := tx.PutPerson(p); err != nil {
				return err
			}
		}
		if err := tx.PutChat(&Chat{Ref: "console:intake", Role: RoleIntake, Active: true}); err != nil {
			return err
		}
		for _, e := range []*DirEntry{{Name: "Renji hospital"}, {Name: "Pharmacy"}, {ID: 10, Name: "Imported"}, {Name: "After import"}} {
			if err := tx.PutDirEntry(e); err != nil {
				return err
			}
		}
		if err := tx.DeleteDirEntry(2); err != nil {
			return err
		}
		if err := tx.DeleteDirEntry(2); !errors.Is(err, ErrNotFound) {
			t.Errorf("second DeleteDirEntry error = %v, want ErrNotFound", err)
		}
		return nil
	})
	view(t, s, func(tx *Tx) error {
		p, err := tx.Person("tg:1")
		if err != nil || p.Name != "Ann" || !slices.Equal(p.Roles, []string{"admin"}) {
			t.Errorf("Person(tg:1) = %+v, %v", p, err)
		}
		if _, err := tx.Person("tg:3"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Person(missing) error = %v", err)
		}
		var refs []string
		_ = tx.ForEachPerson(func(p *Person) error { refs = append(refs, p.Ref); return nil })
		if !slices.Equal(refs, []string{"tg:1", "tg:2"}) {
			t.Errorf("ForEachPerson = %v", refs)
		}
		if c, err := tx.Chat("console:intake"); err != nil || c.Role != RoleIntake {
			t.Errorf("Chat = %+v, %v", c, err)
		}
		if _, err := tx.Chat("console:none"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Chat(missing) error = %v", err)
		}
		var ids []int64
		_ = tx.ForEachDirEntry(func(e *DirEntry) error { ids = append(ids, e.ID); return nil })
		if !slices.Equal(ids, []int64{1, 10, 11}) {
			t.Errorf("directory ids = %v, want [1 10 11]", ids)
		}
		return nil
	})
	if v, err := s.GetState(ctx, "telegram.offset"); v != nil || err != nil {
		t.Errorf("GetState(absent) = %q, %v; want nil, nil", v, err)
	}
	if err := s.PutState(ctx, "telegram.offset", []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if v, err := s.GetState(ctx, "telegram.offset"); string(v) != "1234" || err != nil {
		t.Errorf("GetState = %q, %v", v, err)
	}
	if err := s.PutState(ctx, "telegram.offset", nil); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.GetState(ctx, "telegram.offset"); v != nil {
		t.Errorf("GetState after delete = %q", v)
	}
}

func TestOutbox(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	var ids []uint64
	update(t, s, func(tx *Tx) error {
		for i, it := range []OutboxItem{
			{Chat: "c", Kind: "alert", NextAt: t0.Add(2 * time.Minute), DedupeKey: "alert:1", Payload: []byte("one")},
			{Chat: "c", Kind: "alert", NextAt: t0, DedupeKey: "alert:2"},
			{Chat: "c", Kind: "reply", NextAt: t0.Add(time.Minute)},
			{Chat: "c", Kind: "alert", DedupeKey: "alert:1"}, // duplicate
		} {
			ok, err := tx.Enqueue(&it)
			if err != nil {
				return err
			}
			if ok != (i != 3) {
				t.Errorf("Enqueue #%d = %v", i, ok)
			}
			if ok {
				ids = append(ids, it.ID)
			}
		}
		return nil
	})
	mustConsistent(t, s)
	view(t, s, func(tx *Tx) error {
		due, err := tx.DueOutbox(t0.Add(time.Minute), 0)
		if err != nil {
			return err
		}
		if len(due) != 2 || due[0].ID != ids[1] || due[1].ID != ids[2] {
			t.Errorf("DueOutbox = %+v", due)
		}
		if next, ok, _ := tx.NextOutboxDue(); !ok || !next.Equal(t0) {
			t.Errorf("NextOutboxDue = %v %v", next, ok)
		}
		if n, _ := tx.PendingOutbox(); n != 3 {
			t.Errorf("PendingOutbox = %d", n)
		}
		return nil
	})
	update(t, s, func(tx *Tx) error {
		if err := tx.CompleteOutbox(ids[1]); err != nil {
			return err
		}
		if err := tx.RescheduleOutbox(ids[2], t0.Add(time.Hour), 1, "429"); err != nil {
			return err
		}
		if err := tx.DropOutbox(ids[0], "chat gone"); err != nil {
			return err
		}
		if err := tx.CompleteOutbox(ids[0]); !errors.Is(err, ErrNotFound) {
			t.Errorf("CompleteOutbox(dropped) error = %v", err)
		}
		for _, key := range []string{"alert:1", "alert:2"} {
			if ok, err := tx.Enqueue(&OutboxItem{Chat: "c", DedupeKey: key}); ok || err != nil {
				t.Errorf("Enqueue(%s) after done = %v, %v; want false", key, ok, err)
			}
		}
		return nil
	})
	mustConsistent(t, s)
	view(t, s, func(tx *Tx) error {
		due, _ := tx.DueOutbox(t0.Add(30*time.Minute), 10)
		if len(due) != 0 {
			t.Errorf("DueOutbox after reschedule = %+v", due)
		}
		due, _ = tx.DueOutbox(t0.Add(time.Hour), 10)
		if len(due) != 1 || due[0].Attempts != 1 || due[0].LastError != "429" {
			t.Errorf("rescheduled item = %+v", due)
		}
		dead, _ := tx.DeadLetters(0)
		if len(dead) != 1 || dead[0].Reason != "chat gone" || string(dead[0].Item.Payload) != "one" {
			t.Errorf("DeadLetters = %+v", dead)
		}
		return nil
	})
}

func alerts(c *Case, merged bool) []OutboxItem {
	return []OutboxItem{
		{Chat: "console:volunteers", Kind: "alert", DedupeKey: "alert:" + itoa(c.ID) + ":" + c.Urgency.String()},
		{Chat: c.SourceChat, Kind: "reply", DedupeKey: "ack:" + c.Latest.Chat + "/" + c.Latest.Msg},
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestIngest(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ctx := context.Background()
	req := func(msg string, phone string, fp uint64, u triage.Urgency) IngestRequest {
		c := Case{Text: "text of " + msg, Urgency: u, Asker: "tg:" + msg, Assessment: triage.Assessment{Fingerprint: fp}}
		if phone != "" {
			c.Phones = []string{phone}
		}
		return IngestRequest{Msg: MessageKey{Chat: "tg:-100", ID: msg}, At: t0, Case: c, Merge: true, Alerts: alerts}
	}
	steps := []struct {
		name     string
		req      IngestRequest
		dup      bool
		merged   bool
		caseID   int64
		enqueued int
	}{
		{"new case", req("m1", "13800000001", 0x1111, triage.Normal), false, false, 1, 2},
		{"redelivery", req("m1", "13800000001", 0x1111, triage.Normal), true, false, 0, 0},
		{"same phone merges, urgency raised", req("m2", "13800000001", 0x9999_0000_0000, triage.High), false, true, 1, 2},
		{"near-duplicate text merges", req("m3", "", 0x1113, triage.Normal), false, true, 1, 1},
		{"different case", req("m4", "13900000009", 0xffff_0000_0000_0000, triage.Critical), false, false, 2, 2},
		{"no merge asked", IngestRequest{Msg: MessageKey{Chat: "tg:-100", ID: "m5"}, At: t0, Case: Case{Phones: []string{"13800000001"}}, Alerts: alerts}, false, false, 3, 2},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			res, err := s.Ingest(ctx, st.req)
			if err != nil {
				t.Fatal(err)
			}
			var id int64
			if res.Case != nil {
				id = res.Case.ID
			}
			if res.Duplicate != st.dup || res.Merged != st.merged || id != st.caseID || res.Enqueued != st.enqueued {
				t.Errorf("Ingest = dup %v merged %v case #%d enqueued %d; want %v %v #%d %d",
					res.Duplicate, res.Merged, id, res.Enqueued, st.dup, st.merged, st.caseID, st.enqueued)
			}
			mustConsistent(t, s)
		})
	}
	view(t, s, func(tx *Tx) error {
		c, err := tx.Case(1)
		if err != nil {
			return err
		}
		if c.Text != "text of m1" || c.Urgency != triage.High || c.SourceCount != 3 || c.SourceMsg != "m1" {
			t.Errorf("merged case = %+v", c)
		}
		evs, _ := tx.Events(1)
		var kinds []string
		for _, e := range evs {
			kinds = append(kinds, e.Kind)
		}
		if !slices.Equal(kinds, []string{"created", "merged", "merged"}) || evs[1].To != "high" {
			t.Errorf("events = %+v", evs)
		}
		return nil
	})
}

// TestIngestIsIdempotentUnderBatchRetry runs Tx.Ingest twice on the same
// request in one transaction's place, as bbolt's Batch does after another
// call in the batch failed: the second run must see an untouched request.
func TestIngestIsIdempotentUnderBatchRetry(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	req := IngestRequest{Msg: MessageKey{Chat: "c", ID: "1"}, At: t0, Merge: true, Alerts: alerts,
		Case: Case{Phones: []string{"1"}, SourceCount: 5, Latest: &Source{Chat: "x", Msg: "y"}}}
	errRetry := errors.New("retry")
	err := s.Update(context.Background(), func(tx *Tx) error {
		if _, err := tx.Ingest(req); err != nil {
			return err
		}
		return errRetry
	})
	if !errors.Is(err, errRetry) {
		t.Fatal(err)
	}
	res, err := s.Ingest(context.Background(), req)
	if err != nil || res.Duplicate || res.Case.ID != 1 || res.Case.SourceCount != 1 || res.Case.Latest.Msg != "1" || req.Case.ID != 0 || req.Case.SourceCount != 5 || req.Case.Latest.Msg != "y" {
		t.Errorf("Ingest after rolled-back run = %+v, %v; request now %+v", res, err, req.Case)
	}
	mustConsistent(t, s)
}

func TestFindOpenByPhoneNewestOpen(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	update(t, s, func(tx *Tx) error {
		for _, st := range []Status{StatusNew, StatusVerified, StatusClosed, StatusNew} {
			phones := []string{"13800000001"}
			if st == StatusNew && tx.b(bCases).Sequence() == 3 {
				phones = []string{"13800000002"} // #4 has another phone
			}
			if err := tx.CreateCase(&Case{Status: st, Phones: phones}); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		phone string
		want  int64
	}{
		{"13800000001", 2}, // #3 is newer but closed
		{"13800000002", 4},
		{"13800000003", 0},
		{"1380000000", 0}, // a prefix of a real number is not a match
		{"", 0},
	}
	for _, tt := range tests {
		t.Run(tt.phone, func(t *testing.T) {
			view(t, s, func(tx *Tx) error {
				c, err := tx.FindOpenByPhone(tt.phone)
				var got int64
				if c != nil {
					got = c.ID
				}
				if err != nil || got != tt.want {
					t.Errorf("FindOpenByPhone(%q) = #%d, %v; want #%d", tt.phone, got, err, tt.want)
				}
				return nil
			})
		})
	}
}

func TestMarkSeen(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	tests := []struct {
		name    string
		key     MessageKey
		first   bool
		wantErr bool
	}{
		{"new", MessageKey{"tg:-1", "10"}, true, false},
		{"again", MessageKey{"tg:-1", "10"}, false, false},
		{"same id other chat", MessageKey{"tg:-2", "10"}, true, false},
		{"chat and id do not run together", MessageKey{"tg:-11", "0"}, true, false},
		{"no id", MessageKey{"tg:-1", ""}, false, true},
		{"no chat", MessageKey{"", "10"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Update(context.Background(), func(tx *Tx) error {
				first, err := tx.MarkSeen(tt.key, t0)
				if first != tt.first {
					t.Errorf("MarkSeen(%v) first = %v, want %v", tt.key, first, tt.first)
				}
				return err
			})
			if (err != nil) != tt.wantErr {
				t.Errorf("MarkSeen(%v) error = %v, want error %v", tt.key, err, tt.wantErr)
			}
		})
	}
	view(t, s, func(tx *Tx) error {
		if ok, _ := tx.Seen(MessageKey{"tg:-1", "10"}); !ok {
			t.Error("Seen = false for a marked message")
		}
		if ok, _ := tx.Seen(MessageKey{"tg:-1", "1"}); ok {
			t.Error("Seen = true for an unmarked message")
		}
		return nil
	})
}

// TestFingerprintIndexFollowsCommits checks the in-memory band index
// against what each transaction may see: its own changes, nothing from a
// rolled-back transaction, and everything committed, also after reopening.
func TestFingerprintIndexFollowsCommits(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lifeline.db")
	s, err := Open(ctx, path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	const fp = uint64(0xfeedface12345678)
	find := func(tx *Tx, q uint64) int64 {
		c, err := tx.FindOpenByFingerprint(q)
		if err != nil {
			t.Fatal(err)
		}
		if c == nil {
			return 0
		}
		return c.ID
	}
	errBoom := errors.New("boom")
	// A rolled-back case is never found, even though the next
	// transaction reuses its case id and transaction id.
	err = s.Update(ctx, func(tx *Tx) error {
		if err := tx.CreateCase(&Case{Assessment: triage.Assessment{Fingerprint: fp}}); err != nil {
			return err
		}
		if got := find(tx, fp^1); got != 1 {
			t.Errorf("own uncommitted case: found #%d, want #1", got)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatal(err)
	}
	// A transaction that does not touch cases commits under the
	// rolled-back one's id; the next must still not see its case.
	if err := s.PutState(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	update(t, s, func(tx *Tx) error {
		if got := find(tx, fp); got != 0 {
			t.Errorf("rolled-back case found as #%d", got)
		}
		return tx.CreateCase(&Case{Assessment: triage.Assessment{Fingerprint: ^fp}}) // #1
	})
	view(t, s, func(tx *Tx) error {
		if got := find(tx, fp); got != 0 {
			t.Errorf("rolled-back case found as #%d by a reader", got)
		}
		if got := find(tx, ^fp^2); got != 1 {
			t.Errorf("committed case: found #%d, want #1", got)
		}
		return nil
	})
	// Change a fingerprint, close and reopen within transactions.
	update(t, s, func(tx *Tx) error {
		c, err := tx.Case(1)
		if err != nil {
			return err
		}
		c.Assessment.Fingerprint = fp
		if err := tx.PutCase(c); err != nil {
			return err
		}
		if find(tx, ^fp) != 0 || find(tx, fp) != 1 {
			t.Error("changed fingerprint not seen by its own transaction")
		}
		c.Status = StatusClosed
		if err := tx.PutCase(c); err != nil {
			return err
		}
		if find(tx, fp) != 0 {
			t.Error("closed case still found in its own transaction")
		}
		c.Status = StatusVerifying
		return tx.PutCase(c)
	})
	mustConsistent(t, s)
	// Concurrent Batch calls where one fails: bbolt reruns the others in
	// a new transaction with the same id.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Batch(ctx, func(tx *Tx) error {
				if err := tx.CreateCase(&Case{Assessment: triage.Assessment{Fingerprint: splitmix(uint64(i) + 1000)}}); err != nil {
					return err
				}
				if i == 3 {
					return errBoom
				}
				return nil
			})
			if (err != nil) != (i == 3) {
				t.Errorf("Batch %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	mustConsistent(t, s)
	view(t, s, func(tx *Tx) error {
		if got := find(tx, splitmix(1003)); got != 0 {
			t.Errorf("failed batch call's case found as #%d", got)
		}
		return nil
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustConsistent(t, s)
	view(t, s, func(tx *Tx) error {
		if got := find(tx, fp^0x100); got != 1 {
			t.Errorf("after reopen: found #%d, want #1", got)
		}
		return nil
	})
}
