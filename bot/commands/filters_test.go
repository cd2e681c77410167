package commands

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

func TestParseCaseFilter(t *testing.T) {
	places := func(w string) bool { return w == "浦东" || w == "Elm" }
	for _, tc := range []struct {
		args  string
		urg   []triage.Urgency
		st    []store.Status
		cat   triage.Category
		place string
		fin   bool
		every bool
		per   string
		page  int
		err   string // in the usage detail
	}{
		{args: "critical", urg: []triage.Urgency{triage.Critical}},
		{args: "危急", urg: []triage.Urgency{triage.Critical}},
		{args: "紧急", urg: []triage.Urgency{triage.High}},
		{args: "一般", urg: []triage.Urgency{triage.Normal}},
		{args: "urgent", urg: []triage.Urgency{triage.Critical, triage.High}},
		{args: "HIGH", urg: []triage.Urgency{triage.High}},
		{args: "已核实", st: []store.Status{store.StatusVerified}},
		{args: "in-progress", st: []store.Status{store.StatusInProgress}},
		{args: "dialysis", cat: triage.CatDialysis},
		{args: "透析", cat: triage.CatDialysis},
		{args: "浦东", place: "浦东"},
		{args: "resolved", st: []store.Status{store.StatusResolved}, fin: true},
		{args: "已关闭 7d", st: []store.Status{store.StatusClosed}, fin: true, per: "7d"},
		{args: "resolved all", st: []store.Status{store.StatusResolved}, fin: true, per: "all"},
		{args: "all today", every: true, per: "today"},
		{args: "critical page 3", urg: []triage.Urgency{triage.Critical}, page: 3},
		{args: "critcal", err: "Did you mean critical?"},
		{args: "dialisis", err: "Did you mean dialysis?"},
		{args: "verifed", err: "Did you mean verified?"},
		{args: "xyzzy", err: `Unknown filter "xyzzy"`},
		{args: "page", err: "Which page?"},
		{args: "page 0", err: "is not a page number"},
		{args: "resolved verifying", err: "are open"},
	} {
		t.Run(tc.args, func(t *testing.T) {
			f, err := parseCaseFilter("en", strings.Fields(tc.args), places)
			if tc.err != "" {
				var u usageError
				if !errors.As(err, &u) || !strings.Contains(u.detail, tc.err) {
					t.Fatalf("error %v, want usage with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.urgencies, tc.urg) || !slices.Equal(f.statuses, tc.st) || f.finished != tc.fin || f.every != tc.every || f.period != tc.per {
				t.Errorf("got %+v", f)
			}
			if tc.cat != "" && !slices.Equal(f.cats, []triage.Category{tc.cat}) {
				t.Errorf("categories %v, want %s", f.cats, tc.cat)
			}
			if tc.place != "" && !slices.Equal(f.places, []string{tc.place}) {
				t.Errorf("places %v, want %s", f.places, tc.place)
			}
			if want := max(tc.page, 1); f.page != want {
				t.Errorf("page %d, want %d", f.page, want)
			}
		})
	}
}
