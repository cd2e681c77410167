package commands

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lifeline-aid/lifeline/bot/actions"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// caseFilter is what `/cases` was asked for.
type caseFilter struct {
	urgencies []triage.Urgency
	statuses  []store.Status
	cats      []triage.Category
	places    []string
	mine      bool
	stale     bool
	// finished lists resolved and closed cases (statuses say which);
	// every lists all cases, open or not.
	finished, every bool
	period          string // today, 24h, 7d, all; "" for all
	page            int
}

// filterWord is one word /cases understands and what it sets.
type filterWord struct {
	urgencies []triage.Urgency
	status    store.Status
	cat       triage.Category
	mine      bool
	stale     bool
	finished  bool // resolved, closed
	every     bool // all
	period    string
}

// filterWords maps every word /cases understands — the level, status and
// category names in English, the bot's own Chinese words for them (危急,
// 紧急, 已核实…) and a few synonyms — to what it selects.
var filterWords = func() map[string]filterWord {
	w := map[string]filterWord{}
	urg := map[string][]triage.Urgency{
		"critical": {triage.Critical}, "high": {triage.High}, "normal": {triage.Normal},
		"urgent": {triage.Critical, triage.High}, "crit": {triage.Critical}, "low": {triage.Normal},
	}
	for _, lang := range []string{"zh", "en"} {
		for _, u := range []triage.Urgency{triage.Critical, triage.High, triage.Normal} {
			label := strings.ToLower(strings.TrimFunc(i18n.Urgency(lang, u), func(r rune) bool { return !unicode.IsLetter(r) }))
			label = strings.TrimSpace(strings.TrimLeftFunc(label, func(r rune) bool { return !unicode.IsLetter(r) }))
			urg[label] = []triage.Urgency{u}
		}
	}
	for k, v := range urg {
		w[k] = filterWord{urgencies: v}
	}
	for _, st := range actions.Statuses {
		fw := filterWord{status: st, finished: !st.Open()}
		w[string(st)] = fw
		w[strings.ReplaceAll(string(st), "_", "-")] = fw
		w[strings.ReplaceAll(string(st), "_", "")] = fw
		w[i18n.Status("zh", st)] = fw
	}
	for _, c := range i18n.Categories {
		fw := filterWord{cat: c}
		w[string(c)] = fw
		if head, _, ok := strings.Cut(string(c), "_"); ok {
			if _, taken := w[head]; !taken {
				w[head] = fw
			}
		}
		w[i18n.Category("zh", c)] = fw
		if en := i18n.Category("en", c); !strings.ContainsAny(en, " &") {
			w[en] = fw
		}
	}
	for _, s := range []string{"mine", "我的"} {
		w[s] = filterWord{mine: true}
	}
	for _, s := range []string{"stale", "久未更新"} {
		w[s] = filterWord{stale: true}
	}
	for _, s := range []string{"done", "finished", "已结束"} {
		w[s] = filterWord{finished: true}
	}
	for _, s := range []string{"all", "全部"} {
		w[s] = filterWord{every: true}
	}
	for _, s := range []string{"today", "24h", "day", "7d", "week", "今天"} {
		w[s] = filterWord{period: s}
	}
	return w
}()

// parseCaseFilter reads /cases arguments. A word it does not know is a
// place when triage reads a place in it or isPlace says a case mentions
// it; otherwise the answer is the usage, with the nearest known word when
// it looks like a typo ("critcal": did you mean critical?).
func parseCaseFilter(lang string, args []string, isPlace func(string) bool) (caseFilter, error) {
	f := caseFilter{page: 1}
	for i := 0; i < len(args); i++ {
		a := args[i]
		la := strings.ToLower(a)
		if la == "page" || la == "p" || la == "页" {
			if i+1 >= len(args) {
				return f, usageError{i18n.T(lang, "Which page? For example: /cases page 2")}
			}
			n, err := strconv.Atoi(args[i+1])
			if err != nil || n < 1 {
				return f, usageError{i18n.T(lang, "%q is not a page number.", args[i+1])}
			}
			f.page, i = n, i+1
			continue
		}
		fw, ok := filterWords[la]
		if !ok {
			if u, err := triage.ParseUrgency(la); err == nil && u > triage.None {
				fw, ok = filterWord{urgencies: []triage.Urgency{u}}, true
			} else if st, found := actions.ParseStatus(la); found {
				fw, ok = filterWord{status: st, finished: !st.Open()}, true
			} else if cat, found := i18n.ParseCategory(la); found {
				fw, ok = filterWord{cat: cat}, true
			}
		}
		if !ok {
			if near := nearestFilter(la); near != "" {
				return f, usageError{i18n.T(lang, "Unknown filter %q. Did you mean %s?", a, near)}
			}
			if !isPlace(a) {
				return f, usageError{i18n.T(lang, "Unknown filter %q, and no open case mentions it as a place.", a)}
			}
			f.places = append(f.places, a)
			continue
		}
		switch {
		case len(fw.urgencies) > 0:
			f.urgencies = append(f.urgencies, fw.urgencies...)
		case fw.status != "":
			f.statuses = append(f.statuses, fw.status)
			f.finished = f.finished || fw.finished
		case fw.cat != "":
			f.cats = append(f.cats, fw.cat)
		case fw.mine:
			f.mine = true
		case fw.stale:
			f.stale = true
		case fw.finished:
			f.finished = true
		case fw.every && (f.finished || f.every):
			f.period = "all" // "/cases resolved all": of all time
		case fw.every:
			f.every = true
		case fw.period != "":
			f.period = fw.period
		}
	}
	if f.finished {
		for _, st := range f.statuses {
			if st.Open() {
				return f, usageError{i18n.T(lang, "%s cases are open; list them without resolved or closed.", i18n.Status(lang, st))}
			}
		}
	}
	return f, nil
}

// nearestFilter is the known word a typo most likely meant, or "".
func nearestFilter(w string) string {
	n := utf8.RuneCountInString(w)
	if n < 3 {
		return ""
	}
	limit := 1
	if n >= 6 {
		limit = 2
	}
	best, bestD := "", limit+1
	for k := range filterWords {
		if d := triage.EditDistance(w, k); d < bestD || d == bestD && k < best {
			best, bestD = k, d
		}
	}
	if bestD > limit {
		return ""
	}
	return best
}
