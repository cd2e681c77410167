package reports

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// caseStats are the counts behind digests and /stats over a period.
type caseStats struct {
	since, until time.Time
	// Cases created in the period, by status, urgency and category.
	created    int
	byStatus   map[store.Status]int
	byUrgency  map[triage.Urgency]int
	byCategory map[triage.Category]int
	// Cases open now (whenever created), by urgency and category.
	open           int
	openByUrgency  map[triage.Urgency]int
	openByCategory map[triage.Category]int
	// Cases resolved or closed in the period.
	resolved, closed int
	// Time to first response of cases first answered in the period, and
	// to resolution of cases resolved in it.
	firstResponse, resolution []time.Duration
}

// collectStats reads every case once; a disaster's case count is in the
// thousands, which one bbolt scan handles in milliseconds.
func collectStats(tx *store.Tx, since, until time.Time) (*caseStats, error) {
	st := &caseStats{since: since, until: until,
		byStatus: map[store.Status]int{}, byUrgency: map[triage.Urgency]int{}, byCategory: map[triage.Category]int{},
		openByUrgency: map[triage.Urgency]int{}, openByCategory: map[triage.Category]int{}}
	in := func(t time.Time) bool { return !t.IsZero() && t.After(since) && !t.After(until) }
	err := tx.ForEachCase(func(c *store.Case) error {
		cat := c.Category
		if cat == triage.CatNone {
			cat = triage.CatOther
		}
		if in(c.Created) {
			st.created++
			st.byStatus[c.Status]++
			st.byUrgency[c.Urgency]++
			st.byCategory[cat]++
		}
		if c.Status.Open() {
			st.open++
			st.openByUrgency[c.Urgency]++
			st.openByCategory[cat]++
		} else if in(c.Finished) {
			if c.Status == store.StatusResolved {
				st.resolved++
				st.resolution = append(st.resolution, c.Finished.Sub(c.Created))
			} else {
				st.closed++
			}
		}
		if in(c.FirstResponse) {
			st.firstResponse = append(st.firstResponse, c.FirstResponse.Sub(c.Created))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read cases: %w", err)
	}
	return st, nil
}

// median of durations (the mean of the middle two for an even count).
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// fmtDuration writes a duration the way people say it: 25m, 3h10m, 2d4h.
func fmtDuration(lang string, d time.Duration) string {
	d = max(d, 0).Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return i18n.T(lang, "%dd%dh", days, hours)
	case hours > 0:
		return i18n.T(lang, "%dh%02dm", hours, mins)
	}
	return i18n.T(lang, "%dm", mins)
}

func medianText(lang string, ds []time.Duration) string {
	if len(ds) == 0 {
		return i18n.T(lang, "n/a")
	}
	return i18n.T(lang, "%s (%d cases)", fmtDuration(lang, median(ds)), len(ds))
}

var urgencyOrder = []triage.Urgency{triage.Critical, triage.High, triage.Normal}

func urgencyCounts(lang string, m map[triage.Urgency]int) string {
	var parts []string
	for _, u := range urgencyOrder {
		parts = append(parts, fmt.Sprintf("%s %d", i18n.Urgency(lang, u), m[u]))
	}
	return strings.Join(parts, " · ")
}

// categoryCounts lists categories by count, largest first.
func categoryCounts(lang string, m map[triage.Category]int) string {
	cats := make([]triage.Category, 0, len(m))
	for c, n := range m {
		if n > 0 {
			cats = append(cats, c)
		}
	}
	slices.SortFunc(cats, func(a, b triage.Category) int {
		if d := cmp.Compare(m[b], m[a]); d != 0 {
			return d
		}
		return cmp.Compare(a, b)
	})
	parts := make([]string, len(cats))
	for i, c := range cats {
		parts[i] = fmt.Sprintf("%s %d", i18n.Category(lang, c), m[c])
	}
	return strings.Join(parts, " · ")
}

var statusOrder = []store.Status{store.StatusNew, store.StatusVerifying, store.StatusVerified, store.StatusInProgress, store.StatusResolved, store.StatusClosed}

func statusCounts(lang string, m map[store.Status]int) string {
	var parts []string
	for _, s := range statusOrder {
		if m[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", i18n.Status(lang, s), m[s]))
		}
	}
	return strings.Join(parts, " · ")
}

// Period is a span of time stats are counted over.
type Period struct {
	Since time.Time // zero for all time
	Label string
}

// ParsePeriod reads a /stats period: today, 24h (or day), 7d (or week),
// all. ok is false for anything else.
func (r *Reports) ParsePeriod(lang, s string) (p Period, ok bool) {
	now := r.env.Now()
	switch strings.ToLower(s) {
	case "today":
		y, m, d := now.In(r.env.Loc).Date()
		return Period{time.Date(y, m, d, 0, 0, 0, 0, r.env.Loc).Add(-time.Nanosecond), i18n.T(lang, "today")}, true
	case "24h", "day":
		return Period{now.Add(-24 * time.Hour), i18n.T(lang, "last 24h")}, true
	case "7d", "week":
		return Period{now.Add(-7 * 24 * time.Hour), i18n.T(lang, "last 7 days")}, true
	case "all":
		return Period{Label: i18n.T(lang, "all time")}, true
	}
	return Period{}, false
}

// Stats are counts for cases created in a period — by status, urgency and
// category — with what was resolved in it and the median times.
func (r *Reports) Stats(tx *store.Tx, lang string, p Period) (string, error) {
	st, err := collectStats(tx, p.Since, r.env.Now())
	if err != nil {
		return "", err
	}
	lines := []string{i18n.T(lang, "📊 Stats, %s: %d cases", p.Label, st.created)}
	if st.created > 0 {
		lines = append(lines,
			i18n.T(lang, "By status: %s", statusCounts(lang, st.byStatus)),
			i18n.T(lang, "By urgency: %s", urgencyCounts(lang, st.byUrgency)),
			i18n.T(lang, "By category: %s", categoryCounts(lang, st.byCategory)))
	}
	lines = append(lines,
		i18n.T(lang, "Resolved in this period: %d · closed: %d · open now: %d", st.resolved, st.closed, st.open),
		i18n.T(lang, "Median time to first response: %s · to resolution: %s",
			medianText(lang, st.firstResponse), medianText(lang, st.resolution)))
	return strings.Join(lines, "\n"), nil
}
