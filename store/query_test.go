package store

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/triage"
)

func minutes(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

// queryFixture creates seven cases:
//
//	id urgency  status       created updated finished first-response
//	1  critical new          0       10
//	2  high     verified     1       5                2
//	3  normal   resolved     2       30      30       3
//	4  critical in_progress  3       20               4
//	5  high     closed       4       15      15
//	6  normal   verifying    5       6
//	7  critical new          6       7
func queryFixture(t *testing.T) *Store {
	s := openTest(t, Options{NoSync: true})
	rows := []struct {
		u                                triage.Urgency
		st                               Status
		created, updated, finished, resp int
		cat                              triage.Category
	}{
		{triage.Critical, StatusNew, 0, 10, -1, -1, triage.CatDialysis},
		{triage.High, StatusVerified, 1, 5, -1, 2, triage.CatDialysis},
		{triage.Normal, StatusResolved, 2, 30, 30, 3, triage.CatPet},
		{triage.Critical, StatusInProgress, 3, 20, -1, 4, triage.CatPet},
		{triage.High, StatusClosed, 4, 15, 15, -1, triage.CatPet},
		{triage.Normal, StatusVerifying, 5, 6, -1, -1, triage.CatPet},
		{triage.Critical, StatusNew, 6, 7, -1, -1, triage.CatOther},
	}
	update(t, s, func(tx *Tx) error {
		for _, r := range rows {
			c := &Case{Urgency: r.u, Status: r.st, Created: minutes(r.created), Updated: minutes(r.updated), Category: r.cat}
			if r.finished >= 0 {
				c.Finished = minutes(r.finished)
			}
			if r.resp >= 0 {
				c.FirstResponse = minutes(r.resp)
			}
			if err := tx.CreateCase(c); err != nil {
				return err
			}
		}
		return nil
	})
	mustConsistent(t, s)
	return s
}

func TestQueryCases(t *testing.T) {
	s := queryFixture(t)
	tests := []struct {
		name string
		q    CaseQuery
		want []int64
	}{
		{"open by urgency", CaseQuery{Order: ByUrgency}, []int64{1, 4, 7, 2, 6}},
		{"critical only", CaseQuery{Order: ByUrgency, Urgencies: []triage.Urgency{triage.Critical}}, []int64{1, 4, 7}},
		{"new only", CaseQuery{Order: ByUrgency, Statuses: []Status{StatusNew}}, []int64{1, 7}},
		{"urgency, least urgent first", CaseQuery{Order: ByUrgency, Reverse: true}, []int64{6, 2, 7, 4, 1}},
		{"urgency, created since 3m", CaseQuery{Order: ByUrgency, Since: minutes(3)}, []int64{4, 7, 6}},
		{"stale", CaseQuery{Order: ByUpdated}, []int64{2, 6, 7, 1, 4}},
		{"stale before 8m", CaseQuery{Order: ByUpdated, Until: minutes(8)}, []int64{2, 6, 7}},
		{"updated since 7m", CaseQuery{Order: ByUpdated, Since: minutes(7)}, []int64{7, 1, 4}},
		{"updated since 6m, newest first", CaseQuery{Order: ByUpdated, Since: minutes(6), Reverse: true}, []int64{4, 1, 7, 6}},
		{"stale high and critical", CaseQuery{Order: ByUpdated, Urgencies: []triage.Urgency{triage.High, triage.Critical}}, []int64{2, 7, 1, 4}},
		{"created", CaseQuery{Order: ByCreated}, []int64{1, 2, 3, 4, 5, 6, 7}},
		{"created in [2m, 5m)", CaseQuery{Order: ByCreated, Since: minutes(2), Until: minutes(5)}, []int64{3, 4, 5}},
		{"created before 2m, newest first", CaseQuery{Order: ByCreated, Until: minutes(2), Reverse: true}, []int64{2, 1}},
		{"created, finished ones", CaseQuery{Order: ByCreated, Statuses: []Status{StatusResolved, StatusClosed}}, []int64{3, 5}},
		{"created, high", CaseQuery{Order: ByCreated, Urgencies: []triage.Urgency{triage.High}}, []int64{2, 5}},
		{"finished", CaseQuery{Order: ByFinished}, []int64{5, 3}},
		{"resolved", CaseQuery{Order: ByFinished, Statuses: []Status{StatusResolved}}, []int64{3}},
		{"finished since 20m", CaseQuery{Order: ByFinished, Since: minutes(20)}, []int64{3}},
		{"first responses", CaseQuery{Order: ByFirstResponse}, []int64{2, 3, 4}},
		{"kept by a filter", CaseQuery{Order: ByCreated, Keep: func(c *Case) bool { return c.Category == triage.CatPet }}, []int64{3, 4, 5, 6}},
		{"limit", CaseQuery{Order: ByUrgency, Limit: 2}, []int64{1, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			view(t, s, func(tx *Tx) error {
				page, _, err := tx.QueryCases(tt.q)
				if err != nil {
					return err
				}
				if got := caseIDs(page); !slices.Equal(got, tt.want) {
					t.Errorf("QueryCases = %v, want %v", got, tt.want)
				}
				return nil
			})
		})
	}
}

func TestQueryCasesPages(t *testing.T) {
	s := queryFixture(t)
	pages := func(q CaseQuery) [][]int64 {
		var out [][]int64
		for range 10 {
			var page []*Case
			var next string
			view(t, s, func(tx *Tx) error {
				var err error
				page, next, err = tx.QueryCases(q)
				return err
			})
			out = append(out, caseIDs(page))
			if next == "" {
				break
			}
			q.After = next
		}
		return out
	}
	for _, tt := range []struct {
		q    CaseQuery
		want string
	}{
		{CaseQuery{Order: ByCreated, Limit: 3}, "[[1 2 3] [4 5 6] [7]]"},
		{CaseQuery{Order: ByCreated, Limit: 3, Reverse: true}, "[[7 6 5] [4 3 2] [1]]"},
		{CaseQuery{Order: ByUrgency, Limit: 2}, "[[1 4] [7 2] [6]]"},
		{CaseQuery{Order: ByCreated, Limit: 7}, "[[1 2 3 4 5 6 7] []]"},
	} {
		if got := fmt.Sprint(pages(tt.q)); got != tt.want {
			t.Errorf("pages of %+v = %s, want %s", tt.q, got, tt.want)
		}
	}
	// A case that moves between two pages is not lost: the next page
	// starts after where the last one ended, wherever the case went.
	var first []*Case
	var next string
	view(t, s, func(tx *Tx) error {
		var err error
		first, next, err = tx.QueryCases(CaseQuery{Order: ByUpdated, Limit: 2})
		return err
	})
	update(t, s, func(tx *Tx) error {
		c, _ := tx.Case(6)
		c.Updated = minutes(25)
		return tx.PutCase(c)
	})
	view(t, s, func(tx *Tx) error {
		rest, _, err := tx.QueryCases(CaseQuery{Order: ByUpdated, After: next})
		if got := fmt.Sprint(caseIDs(first), caseIDs(rest)); err != nil || got != "[2 6] [7 1 4 6]" {
			t.Errorf("pages across a change = %s, %v", got, err)
		}
		if _, _, err := tx.QueryCases(CaseQuery{Order: ByUpdated, After: "zz"}); err == nil {
			t.Error("a bad page token was accepted")
		}
		if _, _, err := tx.QueryCases(CaseQuery{Order: 99}); err == nil {
			t.Error("an unknown order was accepted")
		}
		return nil
	})
}

func TestOpenCounts(t *testing.T) {
	s := queryFixture(t)
	view(t, s, func(tx *Tx) error {
		cc, err := tx.OpenCounts()
		if err != nil {
			return err
		}
		got := fmt.Sprint(cc.Total, cc.ByUrgency, cc.ByStatus, cc.ByCategory)
		want := fmt.Sprint(5,
			map[triage.Urgency]int{triage.Critical: 3, triage.High: 1, triage.Normal: 1},
			map[Status]int{StatusNew: 2, StatusVerified: 1, StatusInProgress: 1, StatusVerifying: 1},
			map[triage.Category]int{triage.CatDialysis: 2, triage.CatPet: 2, triage.CatOther: 1})
		if got != want {
			t.Errorf("OpenCounts = %s\nwant         %s", got, want)
		}
		return nil
	})
}
