package board

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// PageSize is how many rows a sheet page shows.
const PageSize = 50

// printMax bounds the print view.
const printMax = 2000

// filter is the sheet's query, read from the URL so a view can be shared
// and reloaded.
type filter struct {
	Status   string // "" = open, "all", or a status
	Urgency  string
	Category string
	District string
	Assignee string
	Group    string
	Q        string
	Stale    bool
	MinAge   int // hours
	Sort     string
	Desc     bool
	Page     int
}

func readFilter(q url.Values) filter {
	f := filter{Status: q.Get("status"), Urgency: q.Get("urgency"), Category: q.Get("category"),
		District: strings.TrimSpace(q.Get("district")), Assignee: strings.TrimSpace(q.Get("assignee")), Group: q.Get("group"),
		Q: strings.TrimSpace(q.Get("q")), Stale: q.Get("stale") == "1", Sort: q.Get("sort"), Desc: q.Get("desc") == "1"}
	f.MinAge, _ = strconv.Atoi(q.Get("age"))
	f.Page, _ = strconv.Atoi(q.Get("page"))
	f.Page = max(f.Page, 1)
	return f
}

// values is f as a query, for links that keep it (paging, sorting).
func (f filter) values() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("status", f.Status)
	set("urgency", f.Urgency)
	set("category", f.Category)
	set("district", f.District)
	set("assignee", f.Assignee)
	set("group", f.Group)
	set("q", f.Q)
	if f.Stale {
		q.Set("stale", "1")
	}
	if f.MinAge > 0 {
		q.Set("age", strconv.Itoa(f.MinAge))
	}
	set("sort", f.Sort)
	if f.Desc {
		q.Set("desc", "1")
	}
	return q
}

// row is one case on the sheet.
type row struct {
	ID        int64
	Urgency   string // class: critical, high, normal, none
	UrgLabel  string
	Status    string
	Category  string
	District  string
	Text      string
	Assignees string
	Group     string
	Age       string
	Updated   string
	Stale     bool
}

type sheetData struct {
	F          filter
	Rows       []row
	Total      int
	Page, Last int
	Prev, Next string
	SortLinks  map[string]string
	Statuses   []store.Status
	Urgencies  []triage.Urgency
	Categories []triage.Category
	Groups     []option
	Exports    []string
	Self       string
}

type option struct{ Value, Label string }

var allStatuses = []store.Status{store.StatusNew, store.StatusVerifying, store.StatusVerified, store.StatusInProgress, store.StatusResolved, store.StatusClosed}
var allUrgencies = []triage.Urgency{triage.Critical, triage.High, triage.Normal}

// district is the first place the case names.
func district(c *store.Case) string {
	if len(c.Assessment.Places) > 0 {
		return c.Assessment.Places[0]
	}
	return c.Address
}

// matches says whether c passes f (all but paging and sorting).
func (b *Board) matches(f filter, c *store.Case, now time.Time) bool {
	switch f.Status {
	case "":
		if !c.Status.Open() && f.Q == "" {
			return false // the sheet shows open cases; a search spans all
		}
	case "all":
	default:
		if string(c.Status) != f.Status {
			return false
		}
	}
	if f.Urgency != "" && c.Urgency.String() != f.Urgency {
		return false
	}
	if f.Category != "" && string(c.Category) != f.Category {
		return false
	}
	if f.District != "" && !strings.Contains(strings.ToLower(district(c)+" "+c.Address), strings.ToLower(f.District)) {
		return false
	}
	if f.Assignee != "" {
		hit := false
		for _, a := range c.Assignees {
			if strings.Contains(strings.ToLower(a+" "+b.env.ChatName(a)), strings.ToLower(strings.TrimPrefix(f.Assignee, "@"))) {
				hit = true
			}
		}
		if !hit {
			return false
		}
	}
	if f.Group != "" && c.SourceChat != f.Group {
		return false
	}
	if f.Stale && !c.Stale(now, b.opts.StaleAfter) {
		return false
	}
	if f.MinAge > 0 && now.Sub(c.Created) < time.Duration(f.MinAge)*time.Hour {
		return false
	}
	if f.Q != "" && !b.search(c, f.Q) {
		return false
	}
	return true
}

// search looks for q in the case's words, places, phones, people and
// number.
func (b *Board) search(c *store.Case, q string) bool {
	q = strings.ToLower(strings.TrimPrefix(q, "#"))
	if strconv.FormatInt(c.ID, 10) == q {
		return true
	}
	hay := []string{c.Text, c.Address, c.AskerName, string(c.Category), b.env.ChatName(c.SourceChat)}
	hay = append(hay, c.Phones...)
	hay = append(hay, c.Assessment.Places...)
	if c.Latest != nil {
		hay = append(hay, c.Latest.Text)
	}
	for _, a := range c.Assignees {
		hay = append(hay, b.env.ChatName(a))
	}
	for _, h := range hay {
		if strings.Contains(strings.ToLower(h), q) {
			return true
		}
	}
	return false
}

var sorts = map[string]func(a, b *store.Case) int{
	"urgency": func(a, b *store.Case) int {
		return cmp.Or(cmp.Compare(b.Urgency, a.Urgency), a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	},
	"age":     func(a, b *store.Case) int { return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID)) },
	"updated": func(a, b *store.Case) int { return cmp.Or(a.Updated.Compare(b.Updated), cmp.Compare(a.ID, b.ID)) },
	"id":      func(a, b *store.Case) int { return cmp.Compare(a.ID, b.ID) },
	"status":  func(a, b *store.Case) int { return cmp.Or(cmp.Compare(a.Status, b.Status), cmp.Compare(a.ID, b.ID)) },
	"category": func(a, b *store.Case) int {
		return cmp.Or(cmp.Compare(a.Category, b.Category), cmp.Compare(a.ID, b.ID))
	},
	"district": func(a, b *store.Case) int {
		return cmp.Or(strings.Compare(district(a), district(b)), cmp.Compare(a.ID, b.ID))
	},
}

// selectCases reads the cases f selects, sorted.
func (b *Board) selectCases(r *http.Request, f filter) ([]*store.Case, error) {
	now := b.env.Now()
	var out []*store.Case
	err := b.env.Store.View(r.Context(), func(tx *store.Tx) error {
		return tx.ForEachCase(func(c *store.Case) error {
			if b.matches(f, c, now) {
				out = append(out, c)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read cases: %w", err)
	}
	less, ok := sorts[f.Sort]
	if !ok {
		less = sorts["urgency"]
	}
	slices.SortStableFunc(out, func(x, y *store.Case) int {
		if f.Desc {
			return less(y, x)
		}
		return less(x, y)
	})
	return out, nil
}

// plain says whether f is the sheet's first view (open cases, most urgent
// first, no filter): the open index then answers the count and the order,
// and only the rows up to the page are read.
func (f filter) plain() bool {
	return f.Status == "" && f.Urgency == "" && f.Category == "" && f.District == "" && f.Assignee == "" &&
		f.Group == "" && f.Q == "" && !f.Stale && f.MinAge == 0 && (f.Sort == "" || f.Sort == "urgency") && !f.Desc
}

// plainPage reads page (from 1) of size of the open cases by urgency, and
// how many open cases there are.
func (b *Board) plainPage(r *http.Request, page, size int) (rows []*store.Case, total int, err error) {
	err = b.env.Store.View(r.Context(), func(tx *store.Tx) error {
		counts, err := tx.OpenCounts()
		if err != nil {
			return err
		}
		total = counts.Total
		skip := (min(page, max(1, (total+size-1)/size)) - 1) * size
		return tx.ScanCases(store.CaseQuery{Order: store.ByUrgency}, func(c *store.Case, _ string) bool {
			if skip > 0 {
				skip--
				return true
			}
			rows = append(rows, c)
			return len(rows) < size
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("read open cases: %w", err)
	}
	return rows, total, nil
}

// sourceGroups are the intake groups, for the group filter.
func (b *Board) sourceGroups(r *http.Request) ([]option, error) {
	var opts []option
	err := b.env.Store.View(r.Context(), func(tx *store.Tx) error {
		return tx.ForEachChat(func(c *store.Chat) error {
			if c.Role == store.RoleIntake {
				opts = append(opts, option{c.Ref, b.env.ChatName(c.Ref)})
			}
			return nil
		})
	})
	slices.SortFunc(opts, func(x, y option) int { return strings.Compare(x.Label, y.Label) })
	return opts, err
}

func (b *Board) rowOf(c *store.Case, lang string, now time.Time) row {
	return row{
		ID: c.ID, Urgency: c.Urgency.String(), UrgLabel: i18n.Urgency(lang, c.Urgency),
		Status: i18n.Status(lang, c.Status), Category: i18n.Category(lang, c.Category),
		District: district(c), Text: cards.Clip(c.Text, 120),
		Assignees: strings.Join(cards.Renderer{Names: b.env, Loc: b.env.Loc}.People(c.Assignees), ", "),
		Group:     b.env.ChatName(c.SourceChat), Age: ago(now.Sub(c.Created)), Updated: ago(now.Sub(c.Updated)),
		Stale: c.Stale(now, b.opts.StaleAfter),
	}
}

// ago is a short duration: 5m, 3h, 2d.
func ago(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// sheet is the list of cases. fragment=rows answers only the table body
// (the live update swaps it in).
func (b *Board) sheet(w http.ResponseWriter, r *http.Request, v *viewer) {
	q := r.URL.Query()
	f := readFilter(q)
	p := b.viewPage(v, "cases", tr(v.Lang, "Cases"))
	p.Print = q.Get("print") == "1"
	size := PageSize
	if p.Print {
		size, f.Page = printMax, 1
	}
	var (
		shown []*store.Case
		total int
		err   error
	)
	if f.plain() {
		shown, total, err = b.plainPage(r, f.Page, size)
	} else {
		var all []*store.Case
		if all, err = b.selectCases(r, f); err == nil {
			total = len(all)
			last := max(1, (total+size-1)/size)
			from := (min(f.Page, last) - 1) * size
			shown = all[from:min(from+size, total)]
		}
	}
	if err != nil {
		b.fail(w, r, err)
		return
	}
	groups, err := b.sourceGroups(r)
	if err != nil {
		b.fail(w, r, err)
		return
	}
	d := &sheetData{F: f, Total: total, Statuses: allStatuses, Urgencies: allUrgencies, Categories: i18n.Categories, Groups: groups}
	d.Last = max(1, (total+size-1)/size)
	d.Page = min(f.Page, d.Last)
	now := b.env.Now()
	for _, c := range shown {
		d.Rows = append(d.Rows, b.rowOf(c, v.Lang, now))
	}
	base := f.values()
	link := func(mod func(url.Values)) string {
		q := url.Values{}
		for k, vs := range base {
			q[k] = vs
		}
		mod(q)
		return "/board/?" + q.Encode()
	}
	if d.Page > 1 {
		d.Prev = link(func(q url.Values) { q.Set("page", strconv.Itoa(d.Page-1)) })
	}
	if d.Page < d.Last {
		d.Next = link(func(q url.Values) { q.Set("page", strconv.Itoa(d.Page+1)) })
	}
	d.SortLinks = map[string]string{}
	for k := range sorts {
		d.SortLinks[k] = link(func(q url.Values) {
			q.Set("sort", k)
			q.Del("desc")
			if f.Sort == k && !f.Desc {
				q.Set("desc", "1")
			}
		})
	}
	d.Self = link(func(q url.Values) {
		if d.Page > 1 {
			q.Set("page", strconv.Itoa(d.Page))
		}
	})
	if b.opts.Exporter != nil {
		d.Exports = b.opts.Exporter.Formats()
	}
	p.Data = d
	if q.Get("fragment") == "rows" {
		b.render(w, r, http.StatusOK, "rows", p)
		return
	}
	b.render(w, r, http.StatusOK, "sheet", p)
}
