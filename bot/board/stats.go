package board

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// chart is one server-drawn SVG with its title and caption.
type chart struct {
	Title   string
	Caption string
	SVG     template.HTML
}

// bar is one bar of a chart: stacked parts, each with its class.
type bar struct {
	Label string
	Parts []part
}

type part struct {
	N     int
	Class string
}

// urgencyClass is the CSS class (colour) of an urgency.
func urgencyClass(u triage.Urgency) string { return "u-" + u.String() }

// stats draws the charts from every case: cases per hour over the last
// day by urgency, open cases by category, and how long the first response
// and the resolution took.
func (b *Board) stats(w http.ResponseWriter, r *http.Request, v *viewer) {
	now := b.env.Now()
	start := now.Truncate(time.Hour).Add(-23 * time.Hour)
	perHour := make([]map[triage.Urgency]int, 24)
	for i := range perHour {
		perHour[i] = map[triage.Urgency]int{}
	}
	open := map[triage.Category]int{}
	var first, resolved []time.Duration
	err := b.env.Store.View(r.Context(), func(tx *store.Tx) error {
		return tx.ForEachCase(func(c *store.Case) error {
			if !c.Created.Before(start) && c.Created.Before(now.Add(time.Hour)) {
				if h := int(c.Created.Sub(start) / time.Hour); h >= 0 && h < 24 {
					perHour[h][c.Urgency]++
				}
			}
			if c.Status.Open() {
				open[c.Category]++
			}
			if !c.FirstResponse.IsZero() {
				first = append(first, c.FirstResponse.Sub(c.Created))
			}
			if c.Status == store.StatusResolved && !c.Finished.IsZero() {
				resolved = append(resolved, c.Finished.Sub(c.Created))
			}
			return nil
		})
	})
	if err != nil {
		b.fail(w, r, err)
		return
	}
	lang := v.Lang
	var hours []bar
	for i, m := range perHour {
		br := bar{Label: start.Add(time.Duration(i) * time.Hour).In(b.env.Loc).Format("15")}
		for _, u := range allUrgencies {
			br.Parts = append(br.Parts, part{m[u], urgencyClass(u)})
		}
		hours = append(hours, br)
	}
	var cats []bar
	for _, c := range i18n.Categories {
		if n := open[c]; n > 0 {
			cats = append(cats, bar{Label: i18n.Category(lang, c), Parts: []part{{n, "cat"}}})
		}
	}
	charts := []chart{
		{Title: tr(lang, "Cases per hour (last 24 h) by urgency"), SVG: columns(hours, 640, 180)},
		{Title: tr(lang, "Open cases by category"), SVG: rows(cats, 640)},
		durationChart(tr(lang, "Time to first response"), lang, first),
		durationChart(tr(lang, "Time to resolution"), lang, resolved),
	}
	p := b.viewPage(v, "stats", tr(lang, "Stats"))
	p.Data = charts
	b.render(w, r, http.StatusOK, "stats", p)
}

// durationBuckets are the histogram bins of a response time.
var durationBuckets = []struct {
	upTo  time.Duration
	label string
}{{15 * time.Minute, "<15m"}, {time.Hour, "<1h"}, {4 * time.Hour, "<4h"}, {12 * time.Hour, "<12h"}, {24 * time.Hour, "<24h"}, {1 << 62, "≥24h"}}

func durationChart(title, lang string, ds []time.Duration) chart {
	counts := make([]int, len(durationBuckets))
	for _, d := range ds {
		for i, bk := range durationBuckets {
			if d < bk.upTo {
				counts[i]++
				break
			}
		}
	}
	var bars []bar
	for i, bk := range durationBuckets {
		bars = append(bars, bar{Label: bk.label, Parts: []part{{counts[i], "dur"}}})
	}
	c := chart{Title: title, SVG: columns(bars, 360, 140)}
	if len(ds) > 0 {
		slices.Sort(ds)
		c.Caption = tr(lang, "median %s · %d cases", ds[len(ds)/2].Round(time.Minute).String(), len(ds))
	}
	return c
}

// columns draws vertical stacked bars.
func columns(bars []bar, width, height int) template.HTML {
	top := 1
	for _, b := range bars {
		top = max(top, total(b))
	}
	const pad = 18
	bw := float64(width) / float64(max(len(bars), 1))
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img">`, width, height+pad*2, width, height+pad*2)
	for i, b := range bars {
		x := float64(i) * bw
		y := float64(height + pad)
		for _, p := range b.Parts {
			h := float64(p.N) / float64(top) * float64(height)
			if p.N == 0 {
				continue
			}
			y -= h
			fmt.Fprintf(&s, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%d</title></rect>`, p.Class, x+1, y, bw-2, h, p.N)
		}
		if n := total(b); n > 0 {
			fmt.Fprintf(&s, `<text x="%.1f" y="%.1f" class="n">%d</text>`, x+bw/2, y-3, n)
		}
		fmt.Fprintf(&s, `<text x="%.1f" y="%d" class="l">%s</text>`, x+bw/2, height+pad*2-4, template.HTMLEscapeString(b.Label))
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String()) // every text part escaped above
}

// rows draws horizontal bars with their labels.
func rows(bars []bar, width int) template.HTML {
	top := 1
	for _, b := range bars {
		top = max(top, total(b))
	}
	const rh, lw = 22, 160
	var s strings.Builder
	h := max(len(bars), 1) * rh
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img">`, width, h, width, h)
	for i, b := range bars {
		y := i * rh
		n := total(b)
		bw := float64(n) / float64(top) * float64(width-lw-40)
		fmt.Fprintf(&s, `<text x="%d" y="%d" class="rl">%s</text>`, lw-6, y+15, template.HTMLEscapeString(b.Label))
		fmt.Fprintf(&s, `<rect class="%s" x="%d" y="%d" width="%.1f" height="%d"></rect>`, b.Parts[0].Class, lw, y+3, bw, rh-6)
		fmt.Fprintf(&s, `<text x="%.1f" y="%d" class="rn">%d</text>`, float64(lw)+bw+4, y+15, n)
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String()) // every text part escaped above
}

func total(b bar) int {
	n := 0
	for _, p := range b.Parts {
		n += p.N
	}
	return n
}
