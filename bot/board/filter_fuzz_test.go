package board

import (
	"net/url"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// FuzzFilter: any query string reads as a filter that survives the round
// trip through the links the sheet writes (paging and sorting keep the
// view), and matching a case with it never panics.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{"", "status=all&q=%E8%83%B0", "urgency=high&stale=1&age=3&sort=age&desc=1&page=2",
		"district=浦东&assignee=@vol&group=console:intake", "age=-5&page=-1", "q=%23&sort=nope", "status=%00"} {
		f.Add(s)
	}
	b := &Board{env: env.New(env.Config{}), opts: Options{StaleAfter: 2 * time.Hour}}
	now := time.Date(2026, 4, 10, 12, 0, 0, 0, time.UTC)
	c := &store.Case{ID: 7, Text: "胰岛素 insulin", Status: store.StatusNew, Urgency: triage.High, Category: triage.CatChronicMedicine,
		SourceChat: "console:intake", Address: "浦东新区", Assignees: []string{"console:vol"}, Created: now.Add(-3 * time.Hour), Updated: now.Add(-3 * time.Hour)}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		fl := readFilter(q)
		if fl.Page < 1 {
			t.Fatalf("page %d", fl.Page)
		}
		again := readFilter(fl.values())
		again.Page = fl.Page // links set the page themselves
		if fl.MinAge < 0 {
			fl.MinAge = again.MinAge // a negative age filters nothing and is not kept
		}
		if again != fl {
			t.Fatalf("round trip changed the filter:\n%+v\n%+v", fl, again)
		}
		_ = b.matches(fl, c, now)
		_ = fl.plain()
	})
}
