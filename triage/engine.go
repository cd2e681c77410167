package triage

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

//go:embed lexicon.yaml
var embeddedLexicon []byte

// embeddedGazetteer is generated (internal/gen/gazetteer) and kept apart
// from the reviewed lexicon: thousands of place names, one signal.
//
//go:generate go run ./internal/gen/gazetteer -out gazetteer.yaml
//go:embed gazetteer.yaml
var embeddedGazetteer []byte

// maxHits bounds the matches collected for one message; beyond it extra
// matches add nothing to the decision and only cost time.
const maxHits = 512

// Pseudo signal IDs usable in rules: facts found by extraction or by kind
// rather than by one signal.
const (
	pseudoDuration = -1 - iota
	pseudoPhone
	pseudoPlace
	pseudoVulnerable
	pseudoAsk
	pseudoLack
	pseudoUrgent
	pseudoSubject
	// pseudoNever stands for a signal an extra lexicon disabled: rules
	// that need it never fire, rules that merely accept it ignore it.
	pseudoNever
	// pseudoGroup - i names vulnerable group i of Engine.groups ("@elderly").
	pseudoGroup = -1000
)

var pseudoIDs = map[string]int{
	"@duration": pseudoDuration, "@phone": pseudoPhone, "@place": pseudoPlace,
	"@vulnerable": pseudoVulnerable, "@ask": pseudoAsk, "@lack": pseudoLack,
	"@urgent": pseudoUrgent, "@subject": pseudoSubject,
}

type sigInfo struct {
	id       string
	kind     Kind
	category Category
	urgency  Urgency
	weight   float64
	group    string
	label    string
}

// patInfo is one lexicon pattern as compiled: which signal it belongs to,
// the human word shown for it, and whether its ends must fall on word
// boundaries (Latin-script patterns).
type patInfo struct {
	sig       int32
	label     string
	wordStart bool
	wordEnd   bool
	// clauseStart: the pattern was written "^…" and counts only at the
	// start of the text, a sentence or a clause.
	clauseStart bool
}

type compiledRule struct {
	id       string
	all      []int
	any      []int
	none     []int
	min      int // how many of any must hold
	urgency  Urgency
	weight   float64
	category Category
	label    string
	// needFree: the rule may fire in a text without a need (see NewEngine).
	needFree bool
}

// Engine assesses texts against a compiled lexicon. It is immutable after
// NewEngine and safe for concurrent use.
type Engine struct {
	// freeRules index the rules that may fire without a need.
	freeRules []int32
	// ruleFirst is each rule's first required signal (-1: none), kept
	// apart so the scan that skips most rules stays in one cache line.
	ruleFirst []int32
	// groups are the vulnerable groups rules may name as "@group".
	groups []string
	sigs   []sigInfo
	pats   [][]patInfo // by Aho-Corasick pattern number
	trie   *automaton
	rules  []compiledRule
	pool   sync.Pool
	// maxPatLen is the longest pattern in bytes; it bounds how far apart
	// two overlapping hits can be.
	maxPatLen int32
}

type hit struct {
	sig        int32
	pat        int32
	start, end int32
	dropped    bool
	// past: a critical need placed in the past by a history cue in the
	// same clause ("前年心梗"), counted as high.
	past bool
}

// scratch is per-call working memory, pooled so a steady stream of
// messages allocates little beyond the Assessment itself.
type scratch struct {
	buf     []byte
	hits    []hit
	present []bool
	kinds   uint8 // kindBit of every kind present
	// firstPat is the first pattern seen per signal (valid while present).
	firstPat []int32
	skip     []span
	needs    []int32
	others   []int32
	negs     []int32
	// fired holds the indexes of the rules that matched this message.
	fired []int32
}

// span is a byte range [start, end) of the normalised text.
type span struct{ start, end int32 }

var (
	defaultOnce   sync.Once
	defaultEngine *Engine
)

// Default returns the engine built from the embedded lexicon, built once.
// The embedded lexicon is tested, so failing to compile it is a programming
// error and panics.
func Default() *Engine {
	defaultOnce.Do(func() {
		e, err := NewEngine()
		if err != nil {
			panic(fmt.Sprintf("triage: embedded lexicon: %v", err))
		}
		defaultEngine = e
	})
	return defaultEngine
}

// Assess assesses text with the Default engine.
func Assess(text string) Assessment { return Default().Assess(text) }

// NewEngine compiles the embedded lexicon overlaid with extra lexicons, in
// order: entries with a known ID override it, new IDs extend it.
func NewEngine(extra ...*Lexicon) (*Engine, error) {
	base, err := parseLexicon(embeddedLexicon, "embedded lexicon")
	if err != nil {
		return nil, err
	}
	gaz, err := parseLexicon(embeddedGazetteer, "embedded gazetteer")
	if err != nil {
		return nil, err
	}
	sigs, rules := merge(base.Signals, base.Rules, gaz)
	for _, lx := range extra {
		if lx == nil {
			continue
		}
		sigs, rules = merge(sigs, rules, lx)
	}
	return compile(sigs, rules)
}

func compile(sigs []Signal, rules []Rule) (*Engine, error) {
	e := &Engine{}
	ids := make(map[string]int, len(sigs))
	patIndex := map[string]int{}
	var patterns []string // by pattern number
	disabled := map[string]bool{}
	for _, s := range sigs {
		if s.Disable {
			disabled[s.ID] = true
			continue
		}
		where := func(format string, a ...any) error {
			return fmt.Errorf("%s: line %d: signal %q: %s", s.source, s.line, s.ID, fmt.Sprintf(format, a...))
		}
		switch {
		case s.Kind == "":
			return nil, where("no kind")
		case s.Kind == KindNeed && s.Category == CatNone:
			return nil, where("need signal needs a category")
		case s.Kind == KindVulnerable && s.Group == "":
			return nil, where("vulnerable signal needs a group")
		}
		if s.Weight == 0 {
			s.Weight = 1
		}
		idx := int32(len(e.sigs))
		ids[s.ID] = int(idx)
		e.sigs = append(e.sigs, sigInfo{id: s.ID, kind: s.Kind, category: s.Category,
			urgency: s.Urgency, weight: s.Weight, group: s.Group, label: s.Label})
		langs := make([]string, 0, len(s.Patterns))
		for l := range s.Patterns {
			langs = append(langs, l)
		}
		sort.Strings(langs) // deterministic pattern numbering
		for _, l := range langs {
			for _, p := range s.Patterns[l] {
				pi := patInfo{sig: idx}
				if strings.HasPrefix(p, "^") {
					// "^where is": only where a sentence or clause starts.
					p, pi.clauseStart = p[1:], true
				}
				norm := normalizeString(p)
				if strings.HasPrefix(norm, "*") {
					norm = strings.TrimLeft(norm, "*")
				} else {
					pi.wordStart = startsWord(norm)
				}
				if strings.HasSuffix(norm, "*") {
					norm = strings.TrimRight(norm, "*")
				} else {
					pi.wordEnd = endsWord(norm)
				}
				norm = strings.TrimSpace(norm)
				if norm == "" {
					return nil, where("pattern %q is empty after normalisation", p)
				}
				pi.label = norm
				if int32(len(norm)) > e.maxPatLen {
					e.maxPatLen = int32(len(norm))
				}
				n, ok := patIndex[norm]
				if !ok {
					n = len(e.pats)
					patIndex[norm] = n
					e.pats = append(e.pats, nil)
					patterns = append(patterns, norm)
				}
				e.pats[n] = append(e.pats[n], pi)
			}
		}
	}
	e.trie = buildAutomaton(patterns)
	// Groups come from the vulnerable signals plus those ages imply.
	for _, g := range []string{"elderly", "child", "infant"} {
		e.groups = appendUnique(e.groups, g)
	}
	for _, si := range e.sigs {
		if si.kind == KindVulnerable {
			e.groups = appendUnique(e.groups, si.group)
		}
	}
	resolve := func(r Rule, names []string) ([]int, error) {
		out := make([]int, 0, len(names))
		for _, n := range names {
			if p, ok := pseudoIDs[n]; ok {
				out = append(out, p)
				continue
			}
			if g, ok := strings.CutPrefix(n, "@"); ok {
				i := indexOf(e.groups, g)
				if i < 0 {
					return nil, fmt.Errorf("%s: line %d: rule %q: unknown pseudo signal or group %q", r.source, r.line, r.ID, n)
				}
				out = append(out, pseudoGroup-i)
				continue
			}
			i, ok := ids[n]
			if !ok && disabled[n] {
				out = append(out, pseudoNever)
				continue
			}
			if !ok {
				return nil, fmt.Errorf("%s: line %d: rule %q: unknown signal %q", r.source, r.line, r.ID, n)
			}
			out = append(out, i)
		}
		return out, nil
	}
	for _, r := range rules {
		if r.Disable {
			continue
		}
		cr := compiledRule{id: r.ID, min: max(1, r.Min), urgency: r.Urgency, weight: r.Weight, category: r.Category, label: r.Label}
		var err error
		if cr.all, err = resolve(r, r.All); err != nil {
			return nil, err
		}
		if cr.any, err = resolve(r, r.Any); err != nil {
			return nil, err
		}
		if cr.none, err = resolve(r, r.None); err != nil {
			return nil, err
		}
		// A rule with a category of its own and no need among its
		// conditions can name the need itself ("swallowed" + "bleach").
		isNeed := func(id int) bool { return id >= 0 && e.sigs[id].kind == KindNeed }
		cr.needFree = cr.category != CatNone
		for _, id := range cr.all {
			if isNeed(id) {
				cr.needFree = false
			}
		}
		if len(cr.any) > 0 {
			anyFree := false
			for _, id := range cr.any {
				anyFree = anyFree || !isNeed(id)
			}
			cr.needFree = cr.needFree && anyFree
		}
		if cr.needFree {
			e.freeRules = append(e.freeRules, int32(len(e.rules)))
		}
		first := int32(-1)
		if len(cr.all) > 0 && cr.all[0] >= 0 {
			first = int32(cr.all[0])
		}
		e.ruleFirst = append(e.ruleFirst, first)
		e.rules = append(e.rules, cr)
	}
	n := len(e.sigs)
	e.pool.New = func() any {
		return &scratch{buf: make([]byte, 0, 1024), hits: make([]hit, 0, 64), present: make([]bool, n), firstPat: make([]int32, n)}
	}
	return e, nil
}

func startsWord(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return isWordRune(r) && !isHan(r)
}

func endsWord(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return isWordRune(r) && !isHan(r)
}

// isWordRune is a letter or digit of a space-separated script; Latin
// patterns must not match inside such a word ("need" in "needle").
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z'
	}
	return !isHan(r) && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
