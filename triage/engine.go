package triage

import (
	_ "embed"
	"fmt"
	"math/bits"
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

// kindID is a Kind compiled to a small integer (sigInfo.k), so the hot
// path compares integers, not strings.
type kindID uint8

const (
	kUnknown kindID = iota
	kNeed
	kAsk
	kLack
	kUrgent
	kSubject
	kVulnerable
	kNegation
	kPostNeg
	kOffer
	kNews
	kThanks
	kResolved
	kAd
	kJoke
	kRules
	kScam
	kDuration
	kPlace
	kAge
	kIgnore
	kContext
	kNotYet
	kHistory
	kPlaceName
	kPast
	kPresent
	kComplaint
	kNotPlace
	kRoutine
	kNotice
	kCoordination
	kOpinion
	kPrayer
	kFundraise
)

// kindIDs is also the list of kinds a lexicon may use.
var kindIDs = map[Kind]kindID{
	KindNeed: kNeed, KindAsk: kAsk, KindLack: kLack, KindUrgent: kUrgent, KindSubject: kSubject,
	KindVulnerable: kVulnerable, KindNegation: kNegation, KindPostNeg: kPostNeg, KindOffer: kOffer,
	KindNews: kNews, KindThanks: kThanks, KindResolved: kResolved, KindAd: kAd, KindJoke: kJoke,
	KindRules: kRules, KindScam: kScam, KindDuration: kDuration, KindPlace: kPlace, KindAge: kAge,
	KindIgnore: kIgnore, KindContext: kContext, KindNotYet: kNotYet, KindHistory: kHistory,
	KindPlaceName: kPlaceName, KindPast: kPast, KindPresent: kPresent, KindComplaint: kComplaint,
	KindNotPlace: kNotPlace, KindRoutine: kRoutine, KindNotice: kNotice, KindCoordination: kCoordination,
	KindOpinion: kOpinion, KindPrayer: kPrayer, KindFundraise: kFundraise,
}

var pseudoIDs = map[string]int{
	"@duration": pseudoDuration, "@phone": pseudoPhone, "@place": pseudoPlace,
	"@vulnerable": pseudoVulnerable, "@ask": pseudoAsk, "@lack": pseudoLack,
	"@urgent": pseudoUrgent, "@subject": pseudoSubject,
}

type sigInfo struct {
	id   string
	kind Kind
	// k, bit, pos and neg are kind compiled at NewEngine for the hot
	// path: an integer compare instead of a string compare, the kindBit,
	// and kind.positive() / kind.negative().
	k        kindID
	bit      uint8
	pos, neg bool
	category Category
	urgency  Urgency
	weight   float64
	group    string
	label    string
	// statement: an ask that states a need ("we need"), see Signal.
	statement bool
	// self: a subject cue naming the writer (see Signal.Self).
	self bool
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
	// gap: 0 for a pattern matched on its own; g+1 for the left part and
	// -g-1 for the right part of gap pattern g (Engine.gaps), which count
	// only as a pair.
	gap int32
}

// gapPat is a pattern written with a gap ("叫…不醒"): its parts are
// ordinary automaton patterns, and a right part paired with the latest
// left part before it inside the window makes one hit spanning both.
type gapPat struct {
	sig   int32
	units int  // most runes (or words) between the parts
	words bool // count words, not runes: the gap touches a Latin word
	// maxBytes bounds the gap in bytes, for a cheap first test and for
	// the longest-match window.
	maxBytes int32
	label    string
}

// gapLeft is a left part seen in the text, waiting for its right part.
type gapLeft struct{ g, start, end int32 }

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
	// ruleFirst is each rule's first required signal (-1: none).
	ruleFirst []int32
	// Rules indexed by their first required signal, as bit sets over
	// rule numbers of ruleWords words each: sigRules[s*ruleWords:] for
	// signal s, firstless for rules without one (always tried) and
	// freeBits for freeRules. Only the rules whose first condition is
	// present are evaluated, in rule order.
	ruleWords int
	sigRules  []uint64
	firstless []uint64
	freeBits  []uint64
	// groups are the vulnerable groups rules may name as "@group".
	groups []string
	sigs   []sigInfo
	pats   [][]patInfo // by Aho-Corasick pattern number
	trie   *automaton
	rules  []compiledRule
	pool   sync.Pool
	// maxPatLen is the longest pattern in bytes (a gap pattern counts
	// with its widest gap); it bounds how far apart two overlapping hits
	// can be.
	maxPatLen int32
	// gaps are the gap patterns; their combined hits are pattern numbers
	// nAuto+g. maxGapBytes is the widest gap in bytes.
	gaps        []gapPat
	nAuto       int32
	maxGapBytes int32
	// model is the trained decision layer (decide.go).
	model       *decisionModel
	phoneRegion phoneRegionSetting // how bare phone numbers are read (phone.go)
}

type hit struct {
	sig        int32
	pat        int32
	start, end int32
	dropped    bool
	// past: a critical need placed in the past by a history cue in the
	// same clause ("前年心梗"), counted as high.
	past bool
	// tagged: dropped as part of a #topic# tag.
	tagged bool
	// inert: a not-a-place word that begins a street name (keepStreetNames):
	// it shadows nothing.
	inert bool
}

// scratch is per-call working memory, pooled so a steady stream of
// messages allocates little beyond the Assessment itself.
type scratch struct {
	buf     []byte
	hits    []hit
	lefts   []gapLeft // left parts of gap patterns seen so far
	present []bool
	// touched lists the signals set in present, to reset only those.
	touched []int32
	kinds   uint8 // kindBit of every kind present
	// firstPat is the first pattern seen per signal (valid while present).
	firstPat []int32
	skip     []span
	needs    []int32
	others   []int32
	negs     []int32
	// fired holds the indexes of the rules that matched this message.
	fired []int32
	// cand holds the rules worth evaluating (see Engine.candidateRules);
	// candBits is its bit set.
	cand     []int32
	candBits []uint64
	// x holds the decision layer's features for this message.
	x [nFeatures]float32
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
	e := &Engine{model: compileModel(&trainedModel)}
	ids := make(map[string]int, len(sigs))
	patIndex := map[string]int{}
	var patterns []string // by pattern number
	var gaps []gapPat
	add := func(pi patInfo) {
		n, ok := patIndex[pi.label]
		if !ok {
			n = len(e.pats)
			patIndex[pi.label] = n
			e.pats = append(e.pats, nil)
			patterns = append(patterns, pi.label)
		}
		e.pats[n] = append(e.pats[n], pi)
	}
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
		case s.Statement && s.Kind != KindAsk:
			return nil, where("only an ask signal can be a statement")
		case s.Self && s.Kind != KindSubject:
			return nil, where("only a subject signal can be self")
		}
		if s.Weight == 0 {
			s.Weight = 1
		}
		idx := int32(len(e.sigs))
		ids[s.ID] = int(idx)
		e.sigs = append(e.sigs, sigInfo{id: s.ID, kind: s.Kind, category: s.Category,
			urgency: s.Urgency, weight: s.Weight, group: s.Group, label: s.Label, statement: s.Statement,
			self: s.Self,
			k:    kindIDs[s.Kind], bit: kindBit(s.Kind), pos: s.Kind.positive(), neg: s.Kind.negative()})
		langs := make([]string, 0, len(s.Patterns))
		for l := range s.Patterns {
			langs = append(langs, l)
		}
		sort.Strings(langs) // deterministic pattern numbering
		for _, l := range langs {
			for _, p := range s.Patterns[l] {
				if strings.Contains(p, gapMarker) {
					left, right, err := splitGap(p)
					if err != nil {
						return nil, where("%v", err)
					}
					g := int32(len(gaps))
					lp, err := compilePattern(left, patInfo{sig: idx, gap: g + 1})
					if err != nil {
						return nil, where("%v", err)
					}
					rp, err := compilePattern(right, patInfo{sig: idx, gap: -g - 1})
					if err != nil {
						return nil, where("%v", err)
					}
					// The gap itself lies between words: the parts' inner
					// ends are word ends whatever "*" the outer ones carry.
					lp.wordEnd, rp.wordStart = endsWord(lp.label), startsWord(rp.label)
					gp := gapPat{sig: idx, label: lp.label + gapMarker + rp.label, units: gapRunes}
					if lp.wordEnd || rp.wordStart {
						gp.words, gp.units = true, gapWords
					}
					gp.maxBytes = gapMaxBytes(gp.words, gp.units)
					gaps = append(gaps, gp)
					e.maxPatLen = max(e.maxPatLen, int32(len(lp.label)+len(rp.label))+gp.maxBytes)
					e.maxGapBytes = max(e.maxGapBytes, gp.maxBytes)
					add(lp)
					add(rp)
					continue
				}
				pi, err := compilePattern(p, patInfo{sig: idx})
				if err != nil {
					return nil, where("%v", err)
				}
				e.maxPatLen = max(e.maxPatLen, int32(len(pi.label)))
				add(pi)
			}
		}
	}
	e.trie = buildAutomaton(patterns)
	// A gap pattern's combined hits are numbered after the automaton's
	// patterns, so code indexing e.pats by hit works for them too.
	e.nAuto = int32(len(e.pats))
	for _, gp := range gaps {
		e.pats = append(e.pats, []patInfo{{sig: gp.sig, label: gp.label}})
	}
	e.gaps = gaps
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
	e.indexRules()
	n := len(e.sigs)
	e.pool.New = func() any {
		return &scratch{buf: make([]byte, 0, 1024), hits: make([]hit, 0, 64), present: make([]bool, n), firstPat: make([]int32, n)}
	}
	return e, nil
}

// indexRules builds the rule bit sets (see Engine.ruleWords).
func (e *Engine) indexRules() {
	w := (len(e.rules) + 63) / 64
	e.ruleWords = w
	e.sigRules = make([]uint64, len(e.sigs)*w)
	e.firstless = make([]uint64, w)
	e.freeBits = make([]uint64, w)
	for ri, f := range e.ruleFirst {
		bit := uint64(1) << (ri % 64)
		if f < 0 {
			e.firstless[ri/64] |= bit
		} else {
			e.sigRules[int(f)*w+ri/64] |= bit
		}
	}
	for _, ri := range e.freeRules {
		e.freeBits[ri/64] |= uint64(1) << (ri % 64)
	}
}

// candidateRules returns, in rule order, the rules whose first required
// signal is present (or that have none); without a need only the rules
// that may fire without one. It stands for a scan of every rule.
func (e *Engine) candidateRules(sc *scratch, hadNeed bool) []int32 {
	w := e.ruleWords
	set := append(sc.candBits[:0], e.firstless...)
	for _, s := range sc.touched {
		row := e.sigRules[int(s)*w : int(s)*w+w]
		for i := range set {
			set[i] |= row[i]
		}
	}
	cand := sc.cand[:0]
	for i, b := range set {
		if !hadNeed {
			b &= e.freeBits[i]
		}
		for b != 0 {
			cand = append(cand, int32(i*64+bits.TrailingZeros64(b)))
			b &= b - 1
		}
	}
	sc.candBits, sc.cand = set, cand
	return cand
}

// compilePattern normalises one literal pattern (or one part of a gap
// pattern) into pi: "^" asks for a clause start, "*" lets an end run on,
// other Latin ends must fall on word boundaries.
func compilePattern(p string, pi patInfo) (patInfo, error) {
	if strings.HasPrefix(p, "^") {
		// "^where is": only where a sentence or clause starts.
		p, pi.clauseStart = p[1:], true
	}
	norm := strings.TrimSpace(normalizeString(p))
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
		return pi, fmt.Errorf("pattern %q is empty after normalisation", p)
	}
	pi.label = norm
	return pi, nil
}

// gapMaxBytes bounds the bytes a gap of units runes or words may span, so
// pairing and longest-match stay within a fixed window: a rune is at most
// four bytes, a word is taken as at most sixteen, plus one separator each.
func gapMaxBytes(words bool, units int) int32 {
	if words {
		return int32(units*17 + 1)
	}
	return int32(units*5 + 1)
}

// gapFits reports whether the text between the two parts of a gap
// pattern (gap) holds at most gp.units runes (or words) and no clause
// break: the parts belong to one phrase.
func gapFits(gap []byte, gp *gapPat) bool {
	if int32(len(gap)) > gp.maxBytes || clauseBreak(gap) {
		return false
	}
	n, inWord := 0, false
	for _, r := range string(gap) {
		switch {
		case r == ' ':
			inWord = false
			continue
		case !gp.words || isHan(r):
			n++
			inWord = false
		case !inWord:
			n++
			inWord = isWordRune(r)
		}
		if n > gp.units {
			return false
		}
	}
	return true
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
