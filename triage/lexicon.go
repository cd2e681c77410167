package triage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Kind says what a matched signal means for the assessment. The engine's
// logic is written against kinds, never against words, so supporting a new
// language only needs new patterns in the lexicon.
type Kind string

// Signal kinds.
const (
	// KindNeed names a need (dialysis, insulin, food, trapped...). Its
	// Category and Urgency describe the request when it is one.
	KindNeed Kind = "need"
	// KindAsk is an explicit plea: 求助, 急需, "please help", "need".
	KindAsk Kind = "ask"
	// KindLack says something is missing or running out: 断药, 没有, "out of".
	KindLack Kind = "lack"
	// KindUrgent intensifies: 紧急, 危急, "urgent", "asap".
	KindUrgent Kind = "urgent"
	// KindSubject names the person asking or affected (我妈, 患者, "my father").
	KindSubject Kind = "subject"
	// KindVulnerable names a vulnerable group; Group is its canonical name.
	KindVulnerable Kind = "vulnerable"
	// KindNegation cancels a cue that follows it closely (不需要, "no need").
	KindNegation Kind = "negation"
	// KindPostNeg cancels the cue just before it in its clause: a
	// resolution or denial written after the symptom ("fever gone now",
	// "contractions not started yet", "烧已经退了").
	KindPostNeg Kind = "postneg"
	// KindOffer is an offer of help (可以提供, "available", "we are providing").
	KindOffer Kind = "offer"
	// KindNews is reporting about others (据报道, 通报, "according to").
	KindNews Kind = "news"
	// KindThanks is gratitude (谢谢大家, "thank you").
	KindThanks Kind = "thanks"
	// KindResolved says the need is met or withdrawn (已解决, 已经送医).
	KindResolved Kind = "resolved"
	// KindAd is advertising (包邮, 优惠, "discount").
	KindAd Kind = "ad"
	// KindJoke marks jokes and banter (哈哈, 段子, "lol").
	KindJoke Kind = "joke"
	// KindRules is a question about the group's rules (群规, "can I post").
	KindRules Kind = "rules"
	// KindScam pushes money: 转账, 收款码, 报名费, "registration fee".
	KindScam Kind = "scam"
	// KindDuration is a time unit (天, 周, "days"); a numeral before it
	// makes a duration ("两周", "3 days").
	KindDuration Kind = "duration"
	// KindPlace is an address suffix (区, 路, 小区, "district", "road").
	KindPlace Kind = "place"
	// KindAge is an age unit (岁, "years old"); the number before it can
	// make the person elderly, a child or an infant.
	KindAge Kind = "age"
	// KindIgnore matches words that contain a cue without meaning it
	// (要求 contains 求); it carries no weight and only shadows.
	KindIgnore Kind = "ignore"
	// KindContext is background (a flood, an earthquake) that rules may
	// combine with other cues; on its own it is no evidence of a plea.
	KindContext Kind = "context"
	// KindNotYet says a resolution has not happened: 没/还没/未 before
	// 联系上了, "not" before "rescued". It cancels a resolved cue right
	// after it and nothing else.
	KindNotYet Kind = "notyet"
	// KindHistory places an illness in the past (得过, "history of";
	// past cues such as 去年 act as one too): a critical cue in the same
	// clause describes a history, not a danger now, and counts as high.
	KindHistory Kind = "history"
	// KindPlaceName is a known place name without its suffix (浦东, 涿州),
	// from the generated gazetteer: the match itself is the place
	// fragment. It shadows cues inside it (望城 is not the plea 望) and
	// is no evidence of a plea: a bare name is as common in news.
	KindPlaceName Kind = "placename"
	// KindPast places an event in the past ("last year", "back in the
	// storm"): needs and lacks in its clause are a story, not a need now.
	KindPast Kind = "past"
	// KindPresent marks the present or near future (now, today,
	// tomorrow): a need in its clause stands even beside a past cue.
	KindPresent Kind = "present"
	// KindComplaint is anger at a situation ("so angry", "disgraceful"):
	// counter-evidence, and a deprivation it describes is no plea unless
	// something explicitly asks for help.
	KindComplaint Kind = "complaint"
	// KindNotPlace matches words that end in a place suffix without
	// naming a place (走投无路, 称号, 送医院) and words that never begin
	// one (联系, 通过): it cancels a place suffix inside it and a place
	// fragment does not reach back past it. It touches no other cue.
	KindNotPlace Kind = "notplace"
	// KindNotice is a notice or warning to everyone: safety tips, service
	// schedules, rumour denials (请大家, "residents should", 辟谣). It is
	// counter-evidence and makes the message's speech act a notice.
	KindNotice Kind = "notice"
	// KindCoordination is volunteers coordinating among themselves (我们组,
	// 已对接, sign-ups): counter-evidence, speech act coordination.
	KindCoordination Kind = "coordination"
	// KindOpinion is an opinion, a reaction or chatter (觉得, "why",
	// "heartbreaking"): counter-evidence, speech act opinion.
	KindOpinion Kind = "opinion"
	// KindPrayer is sympathy and prayer (加油, "pray for", "stay safe"):
	// counter-evidence, speech act thanks/prayer.
	KindPrayer Kind = "prayer"
	// KindFundraise is a plea for money for someone's treatment (众筹,
	// 水滴筹, "fundraiser for"): money help, so the request is normal by the
	// guides whatever the illness it names.
	KindFundraise Kind = "fundraise"
	// KindRoutine says a need is planned or not pressing ("need to buy",
	// "no rush", "plenty left"): it keeps a request that no rule, lack or
	// intensifier makes serious at normal; a weight of 2 or more caps it
	// even against a lack ("got 3 weeks left").
	KindRoutine Kind = "routine"
)

// positive kinds describe the plea itself (what, who, how bad, where);
// the others argue against it or only mask other matches.
func (k Kind) positive() bool {
	switch k {
	case KindNegation, KindPostNeg, KindIgnore, KindScam, KindNotYet, KindPlaceName, KindNotPlace:
		return false
	}
	return !k.negative()
}

// negative kinds argue that a text is not a request.
func (k Kind) negative() bool {
	switch k {
	case KindOffer, KindNews, KindThanks, KindResolved, KindAd, KindJoke, KindRules, KindComplaint,
		KindNotice, KindCoordination, KindOpinion, KindPrayer:
		return true
	}
	return false
}

// Lexicon is the data behind the engine: signals (cue words per language)
// and rules (combinations of signals that raise urgency). The embedded
// lexicon is one; config may name more that extend or override it.
type Lexicon struct {
	Version int      `yaml:"version"`
	Signals []Signal `yaml:"signals"`
	Rules   []Rule   `yaml:"rules"`
	// Source names where the lexicon came from, for error messages.
	Source string `yaml:"-"`
}

// Signal is one cue: a set of patterns per language with one meaning.
//
// Patterns are matched after normalisation (Simplified script, lower case,
// half width). A pattern made of Latin letters must stand as whole words;
// a trailing "*" lets the last word run on ("bleed*" matches "bleeding"),
// a leading "*" lets the first word start anywhere. One gap marker "…"
// splits a pattern into two parts that must occur in that order in one
// clause with little between them (see gapRunes, gapWords): "叫…不醒"
// matches 叫不醒, 叫了半天都不醒; "ran … out of insulin" matches "ran
// completely out of insulin". Text never holds "…" after normalisation
// (it becomes "."), so the marker cannot collide with a literal pattern.
type Signal struct {
	// ID names the signal; rules refer to it, and a later lexicon entry with
	// the same ID overrides this one. Entries in different languages may
	// share an ID on purpose: they are one cue.
	ID       string   `yaml:"id"`
	Kind     Kind     `yaml:"kind"`
	Category Category `yaml:"category,omitempty"`
	Urgency  Urgency  `yaml:"urgency,omitempty"`
	Weight   float64  `yaml:"weight,omitempty"`
	Group    string   `yaml:"group,omitempty"`
	Label    string   `yaml:"label,omitempty"`
	// Statement marks an ask that states a need rather than asking
	// anyone ("we need", 需要): in a complaint it is part of the
	// grievance unless a named person, a phone or an address says whose.
	Statement bool `yaml:"statement,omitempty"`
	// Self marks a subject cue naming the writer ("I", "we", 我): a plea
	// whose only subjects are such cues is for oneself; any other subject
	// (a relative, a neighbour, "someone") makes it relayed.
	Self     bool                `yaml:"self,omitempty"`
	Patterns map[string][]string `yaml:"patterns"`
	// Disable removes an entry of the same ID inherited from an earlier lexicon.
	Disable bool `yaml:"disable,omitempty"`

	line   int
	source string
}

// Rule raises urgency (and adds weight) when signals occur together.
// All, Any and None hold signal IDs or the pseudo IDs "@duration",
// "@phone", "@place", "@vulnerable", "@ask", "@lack", "@urgent" and
// "@subject", or "@" and a vulnerable group ("@elderly", "@infant": true
// when that group was found, by a word or by an age).
type Rule struct {
	ID   string   `yaml:"id"`
	All  []string `yaml:"all,omitempty"`
	Any  []string `yaml:"any,omitempty"`
	None []string `yaml:"none,omitempty"`
	// Min is how many of Any must hold (default 1): "two red flags of
	// any kind" is a rule about how many, not which.
	Min      int      `yaml:"min,omitempty"`
	Urgency  Urgency  `yaml:"urgency,omitempty"`
	Weight   float64  `yaml:"weight,omitempty"`
	Category Category `yaml:"category,omitempty"`
	Label    string   `yaml:"label,omitempty"`
	Disable  bool     `yaml:"disable,omitempty"`

	line   int
	source string
}

var signalFields = fieldSet("id", "kind", "category", "urgency", "weight", "group", "label", "statement", "self", "patterns", "disable")
var ruleFields = fieldSet("id", "all", "any", "none", "min", "urgency", "weight", "category", "label", "disable")

func fieldSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// UnmarshalYAML decodes a signal and remembers its line for error messages.
// Unknown keys are errors: a typo like "paterns" must not silently disable
// an entry.
func (s *Signal) UnmarshalYAML(n *yaml.Node) error {
	if err := checkFields(n, signalFields); err != nil {
		return err
	}
	type plain Signal
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*s = Signal(p)
	s.line = n.Line
	return nil
}

// UnmarshalYAML decodes a rule and remembers its line for error messages.
func (r *Rule) UnmarshalYAML(n *yaml.Node) error {
	if err := checkFields(n, ruleFields); err != nil {
		return err
	}
	type plain Rule
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*r = Rule(p)
	r.line = n.Line
	return nil
}

func checkFields(n *yaml.Node, allowed map[string]bool) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: entry must be a mapping", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !allowed[k.Value] {
			return fmt.Errorf("line %d: unknown field %q", k.Line, k.Value)
		}
		// Check urgency here so its error carries the line: the
		// TextUnmarshaler error yaml.v3 returns has none.
		if k.Value == "urgency" {
			if _, err := ParseUrgency(v.Value); err != nil {
				return fmt.Errorf("line %d: %w", v.Line, err)
			}
		}
	}
	return nil
}

// LoadLexiconFile reads and validates a lexicon file (YAML).
func LoadLexiconFile(path string) (*Lexicon, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load lexicon: %w", err)
	}
	lx, err := parseLexicon(data, path)
	if err != nil {
		return nil, err
	}
	return lx, nil
}

// ParseLexicon decodes and validates a lexicon from YAML.
func ParseLexicon(data []byte) (*Lexicon, error) {
	return parseLexicon(data, "lexicon")
}

func parseLexicon(data []byte, source string) (*Lexicon, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	lx := &Lexicon{Source: source}
	if err := dec.Decode(lx); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty lexicon", source)
		}
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	lx.Source = source
	for i := range lx.Signals {
		lx.Signals[i].source = source
	}
	for i := range lx.Rules {
		lx.Rules[i].source = source
	}
	if err := lx.validate(); err != nil {
		return nil, err
	}
	return lx, nil
}

// validate checks each entry on its own; cross-references between rules and
// signals are checked when lexicons are merged (NewEngine), because an extra
// lexicon may refer to signals of the embedded one.
func (lx *Lexicon) validate() error {
	if lx.Version != 0 && lx.Version != 1 {
		return fmt.Errorf("%s: unsupported version %d (want 1)", lx.Source, lx.Version)
	}
	if len(lx.Signals) == 0 && len(lx.Rules) == 0 {
		return fmt.Errorf("%s: no signals and no rules", lx.Source)
	}
	seen := map[string]bool{}
	for i := range lx.Signals {
		s := &lx.Signals[i]
		where := func(format string, a ...any) error {
			return fmt.Errorf("%s: line %d: signal %q: %s", lx.Source, s.line, s.ID, fmt.Sprintf(format, a...))
		}
		if s.ID == "" {
			return fmt.Errorf("%s: line %d: signal #%d has no id", lx.Source, s.line, i+1)
		}
		if strings.HasPrefix(s.ID, "@") {
			return where("ids starting with @ are reserved")
		}
		if seen[s.ID] {
			return where("duplicate id (one entry holds every language's patterns)")
		}
		seen[s.ID] = true
		if s.Disable {
			continue
		}
		// An empty kind is allowed: the entry then overrides an inherited
		// one of the same ID (NewEngine checks the merged result).
		if s.Kind != "" && kindIDs[s.Kind] == kUnknown {
			return where("unknown kind %q", s.Kind)
		}
		if s.Category != CatNone && !slices.Contains(categories, s.Category) {
			return where("unknown category %q", s.Category)
		}
		if s.Weight < 0 || s.Weight > 100 {
			return where("weight %v out of range 0..100", s.Weight)
		}
		if s.Kind == "" && len(s.Patterns) == 0 {
			return where("no kind and no patterns")
		}
		for lang, ps := range s.Patterns {
			if lang == "" || len(lang) > 8 {
				return where("bad language code %q", lang)
			}
			for j, p := range ps {
				if strings.Contains(p, gapMarker) {
					if _, _, err := splitGap(p); err != nil {
						return where("pattern %d for %s: %v", j+1, lang, err)
					}
					continue
				}
				if strings.Trim(normalizeString(p), " *") == "" {
					return where("pattern %d for %s is empty after normalisation", j+1, lang)
				}
			}
		}
	}
	seenRule := map[string]bool{}
	for i := range lx.Rules {
		r := &lx.Rules[i]
		if r.ID == "" {
			return fmt.Errorf("%s: line %d: rule #%d has no id", lx.Source, r.line, i+1)
		}
		if seenRule[r.ID] {
			return fmt.Errorf("%s: line %d: rule %q: duplicate id", lx.Source, r.line, r.ID)
		}
		seenRule[r.ID] = true
		if r.Disable {
			continue
		}
		if len(r.All) == 0 && len(r.Any) == 0 {
			return fmt.Errorf("%s: line %d: rule %q: needs all or any", lx.Source, r.line, r.ID)
		}
		if r.Min < 0 || r.Min > len(r.Any) {
			return fmt.Errorf("%s: line %d: rule %q: min %d out of range 0..%d (the number of any)", lx.Source, r.line, r.ID, r.Min, len(r.Any))
		}
		if r.Category != CatNone && !slices.Contains(categories, r.Category) {
			return fmt.Errorf("%s: line %d: rule %q: unknown category %q", lx.Source, r.line, r.ID, r.Category)
		}
		if r.Weight < 0 || r.Weight > 100 {
			return fmt.Errorf("%s: line %d: rule %q: weight %v out of range 0..100", lx.Source, r.line, r.ID, r.Weight)
		}
	}
	return nil
}

// merge overlays extra onto base by ID: a signal or rule with a known ID
// replaces the earlier one (patterns per language are replaced one language
// at a time, so an extra file can add a language to an existing cue), a new
// ID is appended, and Disable removes the entry.
func merge(base []Signal, baseRules []Rule, extra *Lexicon) ([]Signal, []Rule) {
	for _, s := range extra.Signals {
		idx := -1
		for i := range base {
			if base[i].ID == s.ID {
				idx = i
				break
			}
		}
		switch {
		case s.Disable:
			// Keep a disabled placeholder so rules naming it are told
			// apart from typos (see compile).
			if idx >= 0 {
				base[idx] = Signal{ID: s.ID, Disable: true, line: s.line, source: s.source}
			} else {
				base = append(base, s)
			}
		case idx < 0:
			base = append(base, s)
		default:
			old := base[idx]
			if s.Kind == "" {
				s.Kind = old.Kind
			}
			if s.Category == CatNone {
				s.Category = old.Category
			}
			if s.Urgency == None {
				s.Urgency = old.Urgency
			}
			if s.Weight == 0 {
				s.Weight = old.Weight
			}
			if s.Group == "" {
				s.Group = old.Group
			}
			if s.Label == "" {
				s.Label = old.Label
			}
			s.Statement = s.Statement || old.Statement
			s.Self = s.Self || old.Self
			pats := make(map[string][]string, len(old.Patterns)+len(s.Patterns))
			for l, p := range old.Patterns {
				pats[l] = p
			}
			for l, p := range s.Patterns {
				pats[l] = p
			}
			s.Patterns = pats
			base[idx] = s
		}
	}
	for _, r := range extra.Rules {
		idx := -1
		for i := range baseRules {
			if baseRules[i].ID == r.ID {
				idx = i
				break
			}
		}
		switch {
		case r.Disable:
			if idx >= 0 {
				baseRules = append(baseRules[:idx:idx], baseRules[idx+1:]...)
			}
		case idx < 0:
			baseRules = append(baseRules, r)
		default:
			baseRules[idx] = r
		}
	}
	return base, baseRules
}

// gapMarker splits a pattern into two parts with a short gap between.
const gapMarker = "…"

// Gap windows: how much may stand between the two parts of a gap
// pattern. Han text is counted in characters, space-separated scripts in
// words ("ran … out": at most three words between). Both are small on
// purpose: a gap pattern stands for one phrase with a few words inserted
// (叫了半天都不醒), not for two cues anywhere in a clause, which is what
// rules are for.
const (
	gapRunes = 5
	gapWords = 3
)

// splitGap splits a gap pattern "left…right" into its two parts, raw
// (not normalised). Exactly one marker and two parts that are not empty
// after normalisation are required; "*" may only stand at the outer ends.
func splitGap(p string) (left, right string, err error) {
	left, right, _ = strings.Cut(p, gapMarker)
	if strings.Contains(right, gapMarker) {
		return "", "", fmt.Errorf("gap pattern %q has more than one %s (one gap per pattern)", p, gapMarker)
	}
	l, r := strings.TrimSpace(normalizeString(left)), strings.TrimSpace(normalizeString(right))
	if strings.Trim(l, " *^") == "" || strings.Trim(r, " *") == "" {
		return "", "", fmt.Errorf("gap pattern %q needs text on both sides of %s", p, gapMarker)
	}
	if strings.HasSuffix(l, "*") || strings.HasPrefix(r, "*") || strings.HasPrefix(r, "^") {
		return "", "", fmt.Errorf("gap pattern %q: \"*\" and \"^\" only at its outer ends", p)
	}
	return left, right, nil
}
