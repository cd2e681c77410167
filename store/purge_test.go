package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/triage"
)

func TestPurgeAll(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ctx := context.Background()
	const day = 24 * time.Hour
	now := t0.Add(100 * day)
	recent := now.Add(-day)
	var deadOld, deadRecent uint64
	update(t, s, func(tx *Tx) error {
		for _, p := range []*Person{
			{Ref: "tg:555", Name: "Li", Updated: t0},
			{Ref: "tg:vol", Name: "Vol", Roles: []string{"volunteer"}, Updated: t0},
		} {
			if err := tx.PutPerson(p); err != nil {
				return err
			}
		}
		if err := tx.PutChat(&Chat{Ref: "tg:dm-555", Role: RolePrivate, Active: true}); err != nil {
			return err
		}
		// #1: a plea in the asker's private chat, reposted in a group,
		// claimed and resolved long ago.
		for _, r := range []IngestRequest{
			plea("tg:dm-555", "1", "tg:555", "妈妈心理危机 13800000001 浦东XX路", "13800000001", 0x10, triage.Critical),
			plea("tg:-1", "50", "tg:bob", "转：妈妈心理危机 13800000001", "13800000001", 0x10, triage.Critical),
		} {
			if _, err := tx.Ingest(r); err != nil {
				return err
			}
		}
		c, _ := tx.Case(1)
		c.Address, c.AskerName = "浦东XX路", "Li"
		c.Status, c.Finished, c.Assignees = StatusResolved, t0, []string{"tg:vol"}
		if err := tx.PutCase(c); err != nil {
			return err
		}
		for _, e := range []Event{
			{Case: 1, At: t0, Actor: "tg:vol", Kind: "claim", To: "tg:vol"},
			{Case: 1, At: t0, Actor: "tg:vol", Kind: "note", Note: "called 13800000001, she is at home"},
			{Case: 1, At: t0, Actor: "tg:vol", Kind: "status", From: "in_progress", To: "resolved"},
			{Case: 1, At: t0, Actor: Actor, Kind: "broadcast", To: "tg:-100broadcast"},
		} {
			if err := tx.AppendEvent(&e); err != nil {
				return err
			}
		}
		// #2: closed yesterday; #3: open.
		r := plea("tg:-1", "60", "tg:carol", "need insulin 13900000002", "13900000002", 0x2000_0000_0000, triage.High)
		r.At = recent
		res, err := tx.Ingest(r)
		if err != nil {
			return err
		}
		res.Case.Status, res.Case.Finished = StatusClosed, recent
		if err := tx.PutCase(res.Case); err != nil {
			return err
		}
		r = plea("tg:-1", "61", "tg:dan", "no food 13700000003", "13700000003", 0x3000_0000_0000_0000, triage.Normal)
		r.At = recent
		if _, err := tx.Ingest(r); err != nil {
			return err
		}
		for _, k := range []struct {
			id string
			at time.Time
		}{{"chat-old", t0}, {"chat-new", recent}} {
			if _, err := tx.MarkSeen(MessageKey{"tg:-1", k.id}, k.at); err != nil {
				return err
			}
		}
		for _, d := range []struct {
			id *uint64
			at time.Time
		}{{&deadOld, t0}, {&deadRecent, recent}} {
			it := OutboxItem{Chat: "tg:dm-555", Kind: "reply", Payload: []byte("你的求助 #1：浦东XX路"), DedupeKey: "ack:tg:dm-555/" + d.at.String()}
			if _, err := tx.Enqueue(&it); err != nil {
				return err
			}
			*d.id = it.ID
			if err := tx.DropOutboxAt(it.ID, "blocked by the user", d.at); err != nil {
				return err
			}
		}
		return nil
	})
	mustConsistent(t, s)

	r, err := s.PurgeAll(ctx, now, 90*day)
	if err != nil {
		t.Fatal(err)
	}
	if want := (PurgeReport{Cases: 1, Sources: 2, Events: 5, DeadLetters: 1, Seen: 3}); r != want {
		t.Errorf("PurgeAll = %+v, want %+v", r, want)
	}
	if r, _ := s.PurgeAll(ctx, now, 90*day); r != (PurgeReport{}) {
		t.Errorf("second PurgeAll = %+v, want nothing", r)
	}
	mustConsistent(t, s)
	view(t, s, func(tx *Tx) error {
		c, _ := tx.Case(1)
		if !c.Purged || c.Text != "" || c.Phones != nil || c.Address != "" || c.Asker != "" || c.AskerName != "" ||
			c.SourceChat != "" || c.SourceMsg != "" || c.Latest.Text != "" || c.Latest.Sender != "" || c.Latest.SenderName != "" {
			t.Errorf("purged case keeps personal data: %+v latest %+v", c, c.Latest)
		}
		if c.Category != "" || c.Urgency != triage.Critical || c.SourceCount != 2 || !c.Created.Equal(t0) || !slices.Equal(c.Assignees, []string{"tg:vol"}) {
			t.Errorf("purged case lost its counts: %+v", c)
		}
		srcs, _ := tx.Sources(1)
		want := []Source{
			{Case: 1, Seq: 1, Kind: SourceFirst, At: t0},                                              // private chat: cut from the person
			{Case: 1, Seq: 2, Kind: SourceRepost, Chat: "tg:-1", Msg: "50", At: t0, From: "", To: ""}, // group: where, not who
		}
		for i := range want {
			if i >= len(srcs) || srcs[i] != want[i] {
				t.Errorf("purged sources = %+v\nwant %+v", srcs, want)
				break
			}
		}
		for _, k := range []MessageKey{{"tg:dm-555", "1"}, {"tg:-1", "50"}} {
			if c, _ := tx.CaseOfMessage(k); c != nil {
				t.Errorf("CaseOfMessage(%v) still finds #%d", k, c.ID)
			}
		}
		evs, _ := tx.Events(1)
		var kinds []string
		for _, e := range evs {
			kinds = append(kinds, e.Kind)
			if e.Note != "" || (e.Actor != "" && e.Actor != Actor) || e.From == "tg:555" || e.To == "tg:vol" || !e.At.Equal(t0) {
				t.Errorf("purged event keeps a person: %+v", e)
			}
		}
		if !slices.Equal(kinds, []string{"created", "merged", "claim", "note", "status", "broadcast"}) ||
			evs[4].To != "resolved" || evs[5].To != "tg:-100broadcast" || evs[5].Actor != Actor {
			t.Errorf("purged events lost kinds or states: %+v", evs)
		}
		for _, id := range []int64{2, 3} {
			if c, _ := tx.Case(id); c.Purged || c.Text == "" {
				t.Errorf("case #%d purged too early", id)
			}
			if srcs, _ := tx.Sources(id); srcs[0].Text == "" {
				t.Errorf("case #%d source purged too early", id)
			}
		}
		d, _ := tx.DeadLetter(deadOld)
		if !d.Purged || d.Item.Payload != nil || d.Item.DedupeKey != "" || d.Item.Chat != "" || d.Reason != "blocked by the user" {
			t.Errorf("old dead letter = %+v", d)
		}
		if d, _ := tx.DeadLetter(deadRecent); d.Purged || string(d.Item.Payload) == "" {
			t.Errorf("recent dead letter purged: %+v", d)
		}
		for _, k := range []struct {
			id   string
			seen bool
		}{{"chat-old", false}, {"chat-new", true}, {"50", false}, {"60", true}} {
			if ok, _ := tx.Seen(MessageKey{"tg:-1", k.id}); ok != k.seen {
				t.Errorf("Seen(%s) = %v after purge", k.id, ok)
			}
		}
		// Forgotten messages may be seen again, and expire again.
		return nil
	})
	update(t, s, func(tx *Tx) error {
		first, err := tx.MarkSeen(MessageKey{"tg:-1", "chat-old"}, now)
		if err != nil || !first {
			t.Errorf("MarkSeen(forgotten) = %v, %v", first, err)
		}
		return err
	})
	mustConsistent(t, s)
}

func TestPurgePeople(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ctx := context.Background()
	const day = 24 * time.Hour
	now := t0.Add(100 * day)
	update(t, s, func(tx *Tx) error {
		for _, p := range []*Person{
			{Ref: "tg:asked-done", Updated: t0},                            // asked a finished case: dropped
			{Ref: "tg:asking", Updated: t0},                                // asks an open case: kept
			{Ref: "tg:assigned", Updated: t0},                              // assigned to an open case: kept
			{Ref: "tg:coord", Roles: []string{"coordinator"}, Updated: t0}, // has a role: kept
			{Ref: "tg:kept", Updated: t0},                                  // the engine's keep says so
			{Ref: "tg:quiet", Updated: t0},                                 // nothing at all: dropped
			{Ref: "tg:recent", Updated: now.Add(-day)},                     // seen lately: kept
		} {
			if err := tx.PutPerson(p); err != nil {
				return err
			}
		}
		for _, c := range []*Case{
			{Asker: "tg:asked-done", Status: StatusResolved, Finished: t0},
			{Asker: "tg:asking", Status: StatusNew},
			{Asker: "tg:other", Status: StatusVerified, Assignees: []string{"tg:assigned"}},
		} {
			if err := tx.CreateCase(c); err != nil {
				return err
			}
		}
		return nil
	})
	dropped, err := s.PurgePeople(ctx, now, 90*day, func(p *Person) bool { return p.Ref == "tg:kept" })
	if err != nil || !slices.Equal(dropped, []string{"tg:asked-done", "tg:quiet"}) {
		t.Errorf("PurgePeople = %v, %v", dropped, err)
	}
	var left []string
	view(t, s, func(tx *Tx) error {
		return tx.ForEachPerson(func(p *Person) error { left = append(left, p.Ref); return nil })
	})
	if !slices.Equal(left, []string{"tg:asking", "tg:assigned", "tg:coord", "tg:kept", "tg:recent"}) {
		t.Errorf("people left = %v", left)
	}
}

// TestPurgeSeenReadsOnlyExpired purges a store with many recent seen
// records and few old ones: the purge deletes the old ones and leaves
// the rest, in more than one transaction when there are many.
func TestPurgeSeenReadsOnlyExpired(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	const old, fresh = purgeSeenChunk + 10, 5000
	update(t, s, func(tx *Tx) error {
		for i := range old + fresh {
			at := t0
			if i >= old {
				at = t0.Add(200 * 24 * time.Hour)
			}
			if _, err := tx.MarkSeen(MessageKey{"wechat:群", itoa(int64(i))}, at); err != nil {
				return err
			}
		}
		return nil
	})
	before := txid(t, s)
	r, err := s.PurgeAll(context.Background(), t0.Add(100*24*time.Hour), 90*24*time.Hour)
	if err != nil || r.Seen != old {
		t.Fatalf("PurgeAll = %+v, %v", r, err)
	}
	if n := txid(t, s) - before; n != 2 {
		t.Errorf("%d purge transactions, want 2 (chunks of %d)", n, purgeSeenChunk)
	}
	view(t, s, func(tx *Tx) error {
		if n := tx.b(bSeen).Stats().KeyN; n != fresh {
			t.Errorf("%d seen records left, want %d", n, fresh)
		}
		return nil
	})
	mustConsistent(t, s)
}
