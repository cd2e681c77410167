package actions_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/actions"
	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/bot/rooms"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// The action layer is called here as the board will call it: directly,
// in a transaction of the caller's, with no chat message anywhere.

const (
	coordChat = "test:coord"
	bcastChat = "test:bcast"
	askerChat = "test:@ann"
	volChat   = "test:@vol"
	groupChat = "test:newgroup"

	admin    = "test:admin"
	coord    = "test:coordinator"
	vol      = "test:vol"
	ann      = "test:ann" // an asker
	stranger = "test:stranger"
)

// The seeded cases.
const (
	openCase     int64 = 1 // new, high, asked by ann privately
	resolvedCase int64 = 2 // resolved
	otherCase    int64 = 3 // new, normal, asked by someone else
	noCase       int64 = 99
)

type fixture struct {
	t   *testing.T
	st  *store.Store
	env *env.Env
	act *actions.Actions
	now time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "lifeline.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 4, 10, 9, 0, 0, 0, time.UTC)
	ev := env.New(env.Config{Store: st, Now: func() time.Time { return now }, Language: "en", Admins: []string{admin}})
	rd := cards.Renderer{Names: ev, Loc: time.UTC}
	f := &fixture{t: t, st: st, env: ev, now: now,
		act: actions.New(ev, rd, rooms.New(ev, rd, triage.None), actions.Options{AlertAt: triage.High, BroadcastResolved: true})}
	f.update(func(tx *store.Tx) error {
		for _, c := range []*store.Chat{
			{Ref: coordChat, Role: store.RoleCoordination, Active: true},
			{Ref: bcastChat, Role: store.RoleBroadcast, Active: true},
			{Ref: askerChat, Role: store.RolePrivate, Active: true},
			{Ref: volChat, Role: store.RolePrivate, Active: true},
			{Ref: groupChat, Active: true},
		} {
			if err := tx.PutChat(c); err != nil {
				return err
			}
		}
		for _, p := range []*store.Person{
			{Ref: admin, Name: "admin"},
			{Ref: coord, Name: "coordinator", Roles: []string{"coordinator"}},
			{Ref: vol, Name: "vol", Roles: []string{"volunteer"}},
			{Ref: ann, Name: "Ann", Language: "en"},
			{Ref: stranger, Name: "stranger"},
		} {
			if err := tx.PutPerson(p); err != nil {
				return err
			}
		}
		if err := delivery.RecordPrivateChat(tx, ann, askerChat); err != nil {
			return err
		}
		if err := delivery.RecordPrivateChat(tx, vol, volChat); err != nil {
			return err
		}
		for _, c := range []*store.Case{
			{Asker: ann, Text: "my father needs dialysis, 13912345678, Pudong", Phones: []string{"13912345678"},
				Category: triage.CatDialysis, Urgency: triage.High, Created: now},
			{Asker: "test:bob", Text: "insulin please", Category: triage.CatChronicMedicine, Urgency: triage.Normal,
				Status: store.StatusResolved, Created: now, Finished: now},
			{Asker: "test:carl", Text: "dog food for my pet", Category: triage.CatPet, Urgency: triage.Normal, Created: now},
		} {
			if err := tx.CreateCase(c); err != nil {
				return err
			}
			if _, err := tx.AddSource(c.ID, store.Source{Kind: store.SourceFirst, Chat: "test:intake", Msg: c.Text, Text: c.Text, At: now}); err != nil {
				return err
			}
		}
		return nil
	})
	return f
}

func (f *fixture) update(fn func(tx *store.Tx) error) {
	f.t.Helper()
	if err := f.st.Update(context.Background(), fn); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) getCase(id int64) *store.Case {
	f.t.Helper()
	var c *store.Case
	if err := f.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		c, err = tx.Case(id)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) events(id int64) []store.Event {
	f.t.Helper()
	var evs []store.Event
	if err := f.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		evs, err = tx.Events(id)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return evs
}

// queued is the text of every message queued to chat, in order.
func (f *fixture) queued(chat string) string {
	f.t.Helper()
	var texts []string
	if err := f.st.View(context.Background(), func(tx *store.Tx) error {
		items, err := tx.DueOutbox(f.now.Add(time.Hour), 1000)
		for _, it := range items {
			var m platform.OutMessage
			if err := json.Unmarshal(it.Payload, &m); err != nil {
				return err
			}
			if it.Chat == chat {
				texts = append(texts, m.Text)
			}
		}
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return strings.Join(texts, "\n---\n")
}

func inCoord(ref string, l access.Level) access.Actor {
	return access.Actor{Ref: ref, Name: platform.LocalID(ref), Level: l, Lang: "en",
		Where: access.Where{Chat: coordChat, Role: store.RoleCoordination}}
}

func onBoard(ref string, l access.Level) access.Actor {
	return access.Actor{Ref: ref, Name: platform.LocalID(ref), Level: l, Lang: "en", Where: access.Where{Board: true}}
}

func inPrivate(ref, chat string, l access.Level) access.Actor {
	return access.Actor{Ref: ref, Name: platform.LocalID(ref), Level: l, Lang: "en",
		Where: access.Where{Chat: chat, Role: store.RolePrivate, Private: true}}
}

func inGroup(ref string, l access.Level) access.Actor {
	return access.Actor{Ref: ref, Name: platform.LocalID(ref), Level: l, Lang: "en", Where: access.Where{Chat: groupChat}}
}

var (
	theVol         = inCoord(vol, access.Volunteer)
	theCoordinator = inCoord(coord, access.Coordinator)
	theAdmin       = inCoord(admin, access.Admin)
	theStranger    = inCoord(stranger, access.Anyone)
	boardCoord     = onBoard(coord, access.Coordinator)
	theAsker       = inPrivate(ann, askerChat, access.Anyone)
)

type actionCase struct {
	name  string
	do    func(a *actions.Actions, tx *store.Tx) error
	want  error                          // nil, or the kind of *actions.Error
	check func(t *testing.T, f *fixture) // after commit, for a success
}

func run(t *testing.T, tests []actionCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			var err error
			rollback := errors.New("rollback")
			_ = f.st.Update(context.Background(), func(tx *store.Tx) error {
				if err = tt.do(f.act, tx); err != nil {
					return rollback // a refused action changes nothing
				}
				return nil
			})
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != nil:
				var ae *actions.Error
				if !errors.As(err, &ae) || !errors.Is(err, tt.want) {
					t.Fatalf("error = %v (%T), want an *actions.Error of kind %v", err, err, tt.want)
				}
				if ae.Reason == "" {
					t.Error("the error has no reason to show")
				}
				return
			}
			if tt.check != nil {
				tt.check(t, f)
			}
		})
	}
}

// errOf keeps the error of an action's (result, error).
func errOf(_ any, err error) error { return err }

func mustContain(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("lacks %q; got:\n%s", w, got)
		}
	}
}

func lastEvent(t *testing.T, f *fixture, id int64, kind string) store.Event {
	t.Helper()
	evs := f.events(id)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind == kind {
			return evs[i]
		}
	}
	t.Fatalf("case %d has no %q event: %v", id, kind, evs)
	return store.Event{}
}

func TestCaseActions(t *testing.T) {
	var (
		refused  = actions.ErrRefused
		notFound = actions.ErrNotFound
		conflict = actions.ErrConflict
		invalid  = actions.ErrInvalid
	)
	claim := func(who access.Actor, id int64) func(*actions.Actions, *store.Tx) error {
		return func(a *actions.Actions, tx *store.Tx) error { _, err := a.Claim(tx, who, id); return err }
	}
	tests := []actionCase{
		{name: "claim", do: claim(theVol, openCase), check: func(t *testing.T, f *fixture) {
			c := f.getCase(openCase)
			if c.Status != store.StatusVerifying || !slices.Equal(c.Assignees, []string{vol}) || c.FirstResponse.IsZero() {
				t.Errorf("claimed case: status %s, holders %v, first response %v", c.Status, c.Assignees, c.FirstResponse)
			}
			if ev := lastEvent(t, f, openCase, "claim"); ev.Actor != vol {
				t.Errorf("claim recorded for %s", ev.Actor)
			}
			mustContain(t, f.queued(askerChat), "A volunteer has taken your request #1")
		}},
		{name: "claim/stranger", do: claim(theStranger, openCase), want: refused},
		{name: "claim/from a private chat", do: claim(inPrivate(vol, volChat, access.Volunteer), openCase), want: refused},
		{name: "claim/no such case", do: claim(theVol, noCase), want: notFound},
		{name: "claim/finished case", do: claim(theVol, resolvedCase), want: conflict},
		{name: "claim/twice", do: func(a *actions.Actions, tx *store.Tx) error {
			if _, err := a.Claim(tx, theVol, openCase); err != nil {
				return err
			}
			_, err := a.Claim(tx, theVol, openCase)
			return err
		}, want: conflict},

		{name: "assign from the board", do: func(a *actions.Actions, tx *store.Tx) error {
			res, err := a.Assign(tx, boardCoord, openCase, "@vol")
			if err == nil && res.Person.Ref != vol {
				t.Errorf("assigned to %s", res.Person.Ref)
			}
			return err
		}, check: func(t *testing.T, f *fixture) {
			c := f.getCase(openCase)
			if c.Status != store.StatusVerifying || !slices.Equal(c.Assignees, []string{vol}) {
				t.Errorf("assigned case: status %s, holders %v", c.Status, c.Assignees)
			}
			mustContain(t, f.queued(volChat), "You were assigned case #1 by coordinator")
		}},
		{name: "assign/volunteer", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Assign(tx, theVol, openCase, "@vol")) }, want: refused},
		{name: "assign/unknown person", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Assign(tx, theCoordinator, openCase, "@nobody"))
		}, want: notFound},
		{name: "assign/finished case", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Assign(tx, theCoordinator, resolvedCase, "@vol"))
		}, want: conflict},

		{name: "verify", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Verify(tx, theVol, openCase, "phoned")) }, check: func(t *testing.T, f *fixture) {
			if ev := lastEvent(t, f, openCase, "status"); ev.To != "verified" || ev.Note != "phoned" {
				t.Errorf("status event %+v", ev)
			}
			mustContain(t, f.queued(askerChat), "has been verified")
		}},
		{name: "verify/stranger", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Verify(tx, theStranger, openCase, "")) }, want: refused},
		{name: "verify/no such case", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Verify(tx, theVol, noCase, "")) }, want: notFound},
		{name: "verify/finished case", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Verify(tx, theVol, resolvedCase, "")) }, want: conflict},

		{name: "note", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Note(tx, theVol, openCase, "grandson on the way"))
		}, check: func(t *testing.T, f *fixture) {
			if ev := lastEvent(t, f, openCase, "note"); ev.Note != "grandson on the way" {
				t.Errorf("note event %+v", ev)
			}
		}},
		{name: "note/stranger", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Note(tx, theStranger, openCase, "hi")) }, want: refused},
		{name: "note/no such case", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Note(tx, theVol, noCase, "hi")) }, want: notFound},
		{name: "note/empty", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Note(tx, theVol, openCase, "  ")) }, want: invalid},

		{name: "status", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.SetStatus(tx, boardCoord, openCase, store.StatusInProgress, "driver found"))
		}, check: func(t *testing.T, f *fixture) {
			if c := f.getCase(openCase); c.Status != store.StatusInProgress {
				t.Errorf("status %s", c.Status)
			}
			mustContain(t, f.queued(askerChat), "Volunteers are now working on your request #1")
		}},
		{name: "status/volunteer", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.SetStatus(tx, theVol, openCase, store.StatusVerified, ""))
		}, want: refused},
		{name: "status/no such case", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.SetStatus(tx, theCoordinator, noCase, store.StatusVerified, ""))
		}, want: notFound},
		{name: "status/finished case", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.SetStatus(tx, theCoordinator, resolvedCase, store.StatusVerified, ""))
		}, want: conflict},
		{name: "status/closed needs a reason", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.SetStatus(tx, theCoordinator, openCase, store.StatusClosed, ""))
		}, want: refused},
		{name: "status/unknown", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.SetStatus(tx, theCoordinator, openCase, "flying", ""))
		}, want: invalid},

		{name: "urgency", do: func(a *actions.Actions, tx *store.Tx) error {
			res, err := a.SetUrgency(tx, theCoordinator, openCase, triage.Critical, "worse")
			if err == nil && (res.From != triage.High || res.To != triage.Critical) {
				t.Errorf("urgency change %v → %v", res.From, res.To)
			}
			return err
		}, check: func(t *testing.T, f *fixture) {
			if c := f.getCase(openCase); c.Urgency != triage.Critical {
				t.Errorf("urgency %v", c.Urgency)
			}
			if ev := lastEvent(t, f, openCase, "urgency"); ev.From != "high" || ev.To != "critical" || ev.Note != "worse" {
				t.Errorf("urgency event %+v", ev)
			}
		}},
		{name: "urgency/volunteer", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.SetUrgency(tx, theVol, openCase, triage.Normal, ""))
		}, want: refused},
		{name: "urgency/no such case", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.SetUrgency(tx, theCoordinator, noCase, triage.Normal, ""))
		}, want: notFound},
		{name: "urgency/unchanged", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.SetUrgency(tx, theCoordinator, openCase, triage.High, ""))
		}, want: conflict},
		{name: "urgency/none", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.SetUrgency(tx, theCoordinator, openCase, triage.None, ""))
		}, want: invalid},

		{name: "resolve by its holder", do: func(a *actions.Actions, tx *store.Tx) error {
			if _, err := a.Claim(tx, theVol, openCase); err != nil {
				return err
			}
			_, err := a.Resolve(tx, theVol, openCase, "at the hospital")
			return err
		}, check: func(t *testing.T, f *fixture) {
			if c := f.getCase(openCase); c.Status != store.StatusResolved || c.Finished.IsZero() {
				t.Errorf("status %s, finished %v", c.Status, c.Finished)
			}
			mustContain(t, f.queued(askerChat), "is marked resolved")
		}},
		{name: "resolve/volunteer not holding it", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Resolve(tx, theVol, openCase, "")) }, want: refused},
		{name: "resolve/no such case", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Resolve(tx, theCoordinator, noCase, "")) }, want: notFound},
		{name: "resolve/already resolved", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Resolve(tx, theCoordinator, resolvedCase, ""))
		}, want: conflict},

		{name: "close", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Close(tx, theCoordinator, openCase, "Invalid", "prank"))
		}, check: func(t *testing.T, f *fixture) {
			if c := f.getCase(openCase); c.Status != store.StatusClosed || c.CloseReason != "invalid" {
				t.Errorf("status %s (%s)", c.Status, c.CloseReason)
			}
			mustContain(t, f.queued(askerChat), "was closed (invalid)")
		}},
		{name: "close/volunteer", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Close(tx, theVol, openCase, "invalid", ""))
		}, want: refused},
		{name: "close/no such case", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Close(tx, theCoordinator, noCase, "invalid", ""))
		}, want: notFound},
		{name: "close/finished case", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Close(tx, theCoordinator, resolvedCase, "invalid", ""))
		}, want: conflict},
		{name: "close/unknown reason", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Close(tx, theCoordinator, openCase, "bored", ""))
		}, want: invalid},

		{name: "reopen", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Reopen(tx, theCoordinator, resolvedCase, "relapsed"))
		}, check: func(t *testing.T, f *fixture) {
			if c := f.getCase(resolvedCase); c.Status != store.StatusVerifying || !c.Finished.IsZero() {
				t.Errorf("reopened case: status %s, finished %v", c.Status, c.Finished)
			}
		}},
		{name: "reopen/volunteer", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Reopen(tx, theVol, resolvedCase, "")) }, want: refused},
		{name: "reopen/no such case", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Reopen(tx, theCoordinator, noCase, "")) }, want: notFound},
		{name: "reopen/still open", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Reopen(tx, theCoordinator, openCase, "")) }, want: conflict},

		{name: "merge", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Merge(tx, theCoordinator, otherCase, openCase))
		}, check: func(t *testing.T, f *fixture) {
			dup, into := f.getCase(otherCase), f.getCase(openCase)
			if dup.Status != store.StatusClosed || dup.MergedInto != openCase || dup.CloseReason != "duplicate" {
				t.Errorf("duplicate: status %s, merged into %d, reason %s", dup.Status, dup.MergedInto, dup.CloseReason)
			}
			if into.SourceCount != 2 {
				t.Errorf("target has %d sources, want 2", into.SourceCount)
			}
		}},
		{name: "merge/volunteer", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Merge(tx, theVol, otherCase, openCase)) }, want: refused},
		{name: "merge/no such case", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Merge(tx, theCoordinator, noCase, openCase))
		}, want: notFound},
		{name: "merge/into a finished case", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Merge(tx, theCoordinator, otherCase, resolvedCase))
		}, want: conflict},
		{name: "merge/into itself", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Merge(tx, theCoordinator, openCase, openCase))
		}, want: invalid},

		{name: "withdraw", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Withdraw(tx, theAsker, openCase)) }, check: func(t *testing.T, f *fixture) {
			if c := f.getCase(openCase); c.Status != store.StatusClosed || c.CloseReason != "withdrawn" {
				t.Errorf("status %s (%s)", c.Status, c.CloseReason)
			}
			// An urgent case: volunteers may be on their way.
			mustContain(t, f.queued(coordChat), "Case #1 was withdrawn by the asker")
		}},
		{name: "withdraw/outside a private chat", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Withdraw(tx, inCoord(ann, access.Anyone), openCase))
		}, want: refused},
		{name: "withdraw/no such case", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Withdraw(tx, theAsker, noCase)) }, want: notFound},
		{name: "withdraw/someone else's case", do: func(a *actions.Actions, tx *store.Tx) error {
			// Not found rather than refused: a stranger learns nothing.
			_, err := a.Withdraw(tx, theAsker, otherCase)
			return err
		}, want: notFound},

		{name: "broadcast", do: func(a *actions.Actions, tx *store.Tx) error {
			res, err := a.BroadcastWith(tx, boardCoord, openCase, actions.BroadcastRequest{Confirm: true})
			if err == nil && res.Chats != 1 {
				t.Errorf("broadcast to %d chats", res.Chats)
			}
			return err
		}, check: func(t *testing.T, f *fixture) {
			pub := f.queued(bcastChat)
			mustContain(t, pub, "case #1", "quote #1")
			if strings.Contains(pub, "13912345678") {
				t.Errorf("public card shows the phone:\n%s", pub)
			}
		}},
		{name: "broadcast/volunteer", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Broadcast(tx, theVol, openCase)) }, want: refused},
		{name: "broadcast/no such case", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Broadcast(tx, theCoordinator, noCase)) }, want: notFound},
		{name: "broadcast/finished case", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Broadcast(tx, theCoordinator, resolvedCase))
		}, want: conflict},
	}
	run(t, tests)
}

func TestDirectoryActions(t *testing.T) {
	hospital := store.DirEntry{Name: "仁济医院", Category: "hospital", District: "浦东", Phone: "021-12345678"}
	add := func(who access.Actor, d store.DirEntry) func(*actions.Actions, *store.Tx) error {
		return func(a *actions.Actions, tx *store.Tx) error { _, err := a.AddDirEntry(tx, who, d); return err }
	}
	full := "full"
	run(t, []actionCase{
		{name: "add", do: add(boardCoord, hospital)},
		{name: "add/volunteer", do: add(theVol, hospital), want: actions.ErrRefused},
		{name: "add/no category", do: add(theCoordinator, store.DirEntry{Name: "x"}), want: actions.ErrInvalid},
		{name: "add/twice", do: func(a *actions.Actions, tx *store.Tx) error {
			if err := add(theCoordinator, hospital)(a, tx); err != nil {
				return err
			}
			return add(theCoordinator, hospital)(a, tx)
		}, want: actions.ErrConflict},
		{name: "edit", do: func(a *actions.Actions, tx *store.Tx) error {
			d, err := a.AddDirEntry(tx, theCoordinator, hospital)
			if err != nil {
				return err
			}
			d, err = a.EditDirEntry(tx, theCoordinator, d.ID, actions.DirEdit{Status: &full})
			if err == nil && d.Status != "full" {
				t.Errorf("status %q", d.Status)
			}
			return err
		}},
		{name: "edit/no such entry", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.EditDirEntry(tx, theCoordinator, 99, actions.DirEdit{Status: &full}))
		}, want: actions.ErrNotFound},
		{name: "remove", do: func(a *actions.Actions, tx *store.Tx) error {
			d, err := a.AddDirEntry(tx, theCoordinator, hospital)
			if err != nil {
				return err
			}
			_, err = a.RemoveDirEntry(tx, theCoordinator, d.ID)
			return err
		}, check: func(t *testing.T, f *fixture) {
			kinds := []string{}
			for _, ev := range f.events(0) {
				kinds = append(kinds, ev.Kind)
			}
			if !slices.Equal(kinds, []string{"directory_add", "directory_rm"}) {
				t.Errorf("team log %v", kinds)
			}
		}},
		{name: "remove/no such entry", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.RemoveDirEntry(tx, theCoordinator, 99)) }, want: actions.ErrNotFound},
	})
}

func TestTeamActions(t *testing.T) {
	grant := func(who access.Actor, person, role string) func(*actions.Actions, *store.Tx) error {
		return func(a *actions.Actions, tx *store.Tx) error { _, err := a.Grant(tx, who, person, role); return err }
	}
	run(t, []actionCase{
		{name: "volunteer", do: func(a *actions.Actions, tx *store.Tx) error {
			p, err := a.Volunteer(tx, theStranger, []string{"Medical,", "verify"})
			if err == nil && (!slices.Contains(p.Roles, "volunteer") || !slices.Equal(p.Skills, []string{"medical", "verify"}) || !p.OnDuty) {
				t.Errorf("registered %+v", p)
			}
			return err
		}},
		{name: "volunteer/outside the coordination chat", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Volunteer(tx, inPrivate(stranger, "test:@stranger", access.Anyone), nil))
		}, want: actions.ErrRefused},
		{name: "volunteer/unknown skill", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Volunteer(tx, theStranger, []string{"juggling"}))
		}, want: actions.ErrInvalid},
		{name: "duty off", do: func(a *actions.Actions, tx *store.Tx) error {
			p, err := a.SetDuty(tx, theVol, false)
			if err == nil && p.OnDuty {
				t.Error("still on duty")
			}
			return err
		}},
		{name: "duty/not registered", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.SetDuty(tx, theStranger, true)) }, want: actions.ErrRefused},
		{name: "grant", do: grant(theAdmin, "@vol", "Coordinator"), check: func(t *testing.T, f *fixture) {
			if ev := f.events(0); len(ev) != 1 || ev[0].Kind != "grant" || ev[0].To != vol || ev[0].Actor != admin {
				t.Errorf("team log %+v", ev)
			}
		}},
		{name: "grant/coordinator", do: grant(theCoordinator, "@vol", "admin"), want: actions.ErrRefused},
		{name: "grant/unknown person", do: grant(theAdmin, "@nobody", "volunteer"), want: actions.ErrNotFound},
		{name: "grant/already", do: grant(theAdmin, "@vol", "volunteer"), want: actions.ErrConflict},
		{name: "grant/no such role", do: grant(theAdmin, "@vol", "king"), want: actions.ErrInvalid},
		{name: "revoke", do: func(a *actions.Actions, tx *store.Tx) error {
			p, err := a.Revoke(tx, theAdmin, coord, "coordinator")
			if err == nil && len(p.Roles) != 0 {
				t.Errorf("roles left %v", p.Roles)
			}
			return err
		}},
		{name: "revoke/not held", do: func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Revoke(tx, theAdmin, "@vol", "admin")) }, want: actions.ErrConflict},
		{name: "bind", do: func(a *actions.Actions, tx *store.Tx) error {
			res, err := a.Bind(tx, inGroup(admin, access.Admin), "Broadcast", "zh", "新群")
			if err == nil && (res.From != "" || res.To != store.RoleBroadcast || res.Chat.Language != "zh" || res.Chat.Name != "新群") {
				t.Errorf("bound %+v → %+v", res.From, res.Chat)
			}
			return err
		}},
		{name: "bind/from a private chat", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Bind(tx, inPrivate(admin, "test:@admin", access.Admin), "intake", "", ""))
		}, want: actions.ErrRefused},
		{name: "bind/not an admin", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Bind(tx, inGroup(coord, access.Coordinator), "intake", "", ""))
		}, want: actions.ErrRefused},
		{name: "bind/no such role", do: func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Bind(tx, inGroup(admin, access.Admin), "party", "", ""))
		}, want: actions.ErrInvalid},
	})
}

// openRoom runs both halves of opening a room, as a front end does.
func openRoom(f *fixture, who access.Actor, id int64) (*actions.RoomOpened, error) {
	plan, err := f.act.PrepareRoom(context.Background(), who, id)
	if err != nil {
		return nil, err
	}
	var res *actions.RoomOpened
	err = f.st.Update(context.Background(), func(tx *store.Tx) error {
		res, err = f.act.OpenRoom(tx, who, plan)
		return err
	})
	return res, err
}

func TestRoomAction(t *testing.T) {
	f := newFixture(t)
	// No platform can open rooms here: the coordination chat is the room.
	res, err := openRoom(f, theVol, openCase)
	if err != nil {
		t.Fatal(err)
	}
	if res.Existing || !res.Room.Fallback || res.Room.Chat != coordChat || res.Why == "" {
		t.Errorf("room %+v", res)
	}
	mustContain(t, f.queued(coordChat), "Room for case #1", "This chat is its room")
	again, err := openRoom(f, theVol, openCase)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Existing || !again.StillFallback {
		t.Errorf("second /room: %+v", again)
	}
	for name, tt := range map[string]struct {
		who  access.Actor
		id   int64
		want error
	}{
		"stranger":      {theStranger, openCase, actions.ErrRefused},
		"no such case":  {theVol, noCase, actions.ErrNotFound},
		"finished case": {theVol, resolvedCase, actions.ErrConflict},
	} {
		if _, err := openRoom(f, tt.who, tt.id); !errors.Is(err, tt.want) {
			t.Errorf("%s: error %v, want %v", name, err, tt.want)
		}
	}
}

// Every way a case ends — resolve, a status change to resolved, close,
// merge, the asker's withdrawal — closes its room, and a resolved one
// thanks the broadcast chats, whichever action ended it; every end tells
// them to stop forwarding.
func TestEveryEndClosesTheRoom(t *testing.T) {
	ends := map[string]func(a *actions.Actions, tx *store.Tx) error{
		"resolve": func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Resolve(tx, theCoordinator, openCase, ""))
		},
		"status resolved": func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.SetStatus(tx, boardCoord, openCase, store.StatusResolved, ""))
		},
		"close": func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Close(tx, theCoordinator, openCase, "referred", ""))
		},
		"merge": func(a *actions.Actions, tx *store.Tx) error {
			return errOf(a.Merge(tx, theCoordinator, openCase, otherCase))
		},
		"withdraw": func(a *actions.Actions, tx *store.Tx) error { return errOf(a.Withdraw(tx, theAsker, openCase)) },
	}
	for name, end := range ends {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			if _, err := openRoom(f, theVol, openCase); err != nil {
				t.Fatal(err)
			}
			f.update(func(tx *store.Tx) error {
				_, err := f.act.BroadcastWith(tx, theCoordinator, openCase, actions.BroadcastRequest{Confirm: true})
				return err
			})
			f.update(func(tx *store.Tx) error { return end(f.act, tx) })
			var st *rooms.State
			f.update(func(tx *store.Tx) error {
				var err error
				st, err = rooms.Load(tx, openCase)
				return err
			})
			if st == nil || !st.Closed {
				t.Errorf("room after %s: %+v", name, st)
			}
			lastEvent(t, f, openCase, "room_closed")
			mustContain(t, f.queued(coordChat), "This room is closed")
			// Every end tells the broadcast chats to stop forwarding; only a
			// resolved case thanks them.
			mustContain(t, f.queued(bcastChat), "stop forwarding")
			thanks := strings.Contains(f.queued(bcastChat), "Thank you")
			if resolved := f.getCase(openCase).Status == store.StatusResolved; thanks != resolved {
				t.Errorf("broadcast thank-you sent: %v, case resolved: %v", thanks, resolved)
			}
		})
	}
}

// A button pressed under a card that is not a remembered alert card (a
// /case reply) is edited to show the change, where the platform can edit.
func TestPressedCardIsRefreshed(t *testing.T) {
	f := newFixture(t)
	f.env.AddPlatform(editor{})
	who := theVol
	who.Where.Card = "m42"
	f.update(func(tx *store.Tx) error {
		_, err := f.act.Claim(tx, who, openCase)
		return err
	})
	mustContain(t, f.queued(coordChat), "Held by: @vol", "Last: claimed by @vol")
}

// editor is a platform that can edit messages.
type editor struct{}

func (editor) Name() string            { return "test" }
func (editor) Limits() platform.Limits { return platform.Limits{} }
func (editor) Send(context.Context, platform.OutMessage) (string, error) {
	return "", errors.New("not in this test")
}
