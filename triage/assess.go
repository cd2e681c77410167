package triage

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// Decision thresholds. They are code rather than lexicon data because they
// define how the kinds combine, not what any word means.
const (
	// negationGap is how far (bytes) after a negation a cue is still
	// cancelled: "不需要 胰岛素", "no need for food".
	negationGap = 7
	// criticalAsk is how much a life-threatening cue counts as a plea on
	// its own: "我爸昏迷了" in a mutual-aid group is a call for help even
	// without the word 求助.
	criticalAsk = 1.5
	// minAsk is the plea evidence a request needs: one real ask word, or
	// two weak cues together.
	minAsk = 1.5
	// maxNegRepeat bounds how many repeated counter-evidence phrases
	// count, so a long news article does not outweigh everything.
	maxNegRepeat = 3
	// kinWeight is the subject evidence of a named relative or neighbour
	// (the lexicon's "kin" signal); a bare "I" or "we" is less.
	kinWeight = 1.5
	// topicWeight is the counter-evidence of a #topic# tag or a headline.
	topicWeight = 1
	// headlineRunes is the shortest bracketed opening taken as a headline.
	headlineRunes = 8
	// notYetGap is how far (bytes) after 没/未/"not" a resolution cue is
	// still denied: "还没联系上了", "not yet rescued".
	notYetGap = 6
	// postNegGap is how far (bytes) before a postposed negation its cue
	// may end: "contractions started but they stopped".
	postNegGap = 24
	// critTolerance is the counter-evidence a life-threatening need of a
	// named relative still outweighs: "my sister said goodbye" is not
	// news because of "said".
	critTolerance = 2
	// askNeedWeight is the need evidence of an ask that names no need
	// but implies one: "我们需要抽水泵", "does anyone know if…", "谁能借我…".
	askNeedWeight = 1
	// historyGap is how far (bytes) from a history cue a critical cue in
	// its clause is still its history: "去年心梗过".
	historyGap = 24
	// pastGap is how far (bytes) from a past-event cue a need in the same
	// clause is still part of the story: "back in the snowstorm my
	// diabetic uncle ran out of insulin".
	pastGap = 64
	// clauseOpeningBytes is how far into its clause a past cue still
	// opens it: "two years ago we were trapped".
	clauseOpeningBytes = 8
	// sentencePastBytes is how far a past cue opening a sentence covers
	// it across commas (about fifty Han characters).
	sentencePastBytes = 150
)

// Assess reads one message and returns its triage. It never fails: odd or
// huge input is truncated to MaxRunes and assessed as far as it goes.
//
// How it decides:
//  1. The text is normalised (Simplified script, half width, lower case,
//     emoji and spacing noise removed) and every lexicon pattern is found
//     in one Aho-Corasick pass; a match inside a longer match is dropped,
//     as are cues right after a negation and pleas inside #topic# tags.
//  2. Each signal counts once: needs give a category and an urgency floor,
//     asks / lacks / intensifiers are the plea, offers / news / thanks /
//     resolved / ads / jokes / rule questions are counter-evidence.
//  3. A request needs a need, enough plea, and more evidence than
//     counter-evidence; a resolution stated after the last plea withdraws
//     it. Rules (signal combinations such as dialysis + missed) then raise
//     the urgency.
//
// Extracted text (places, durations, signals) is in the normalised form:
// Simplified characters, lower-case Latin.
func (e *Engine) Assess(text string) Assessment {
	a, _ := e.assess(text, nil, false)
	return a
}

// DecisionInputs assesses text and also appends the decision layer's
// features (in FeatureNames order) to dst: the training program's view
// of a message.
func (e *Engine) DecisionInputs(text string, dst []float32) (Assessment, []float32) {
	return e.assess(text, dst, true)
}

func (e *Engine) assess(text string, features []float32, wantFeatures bool) (Assessment, []float32) {
	sc := e.pool.Get().(*scratch)
	defer e.pool.Put(sc)
	var han, latin int
	sc.buf, han, latin = normalizeCount(sc.buf[:0], text)
	buf := sc.buf
	sc.hits = sc.hits[:0]
	sc.lefts = sc.lefts[:0]
	for _, id := range sc.touched { // reset only what the last text set
		sc.present[id] = false
	}
	sc.touched = sc.touched[:0]
	sc.kinds = 0

	e.trie.Walk(buf, func(end, n, pat int64) bool {
		start := end - n + 1
		stop := end + 1
		ps := e.pats[pat]
		for k := range ps {
			pi := &ps[k] // no copy: this loop runs for every match
			if pi.wordStart && start > 0 {
				r, _ := utf8.DecodeLastRune(buf[:start])
				if isWordRune(r) {
					continue
				}
			}
			if pi.clauseStart && !atClauseStart(buf, int(start)) {
				continue
			}
			if pi.wordEnd && int(stop) < len(buf) {
				r, _ := utf8.DecodeRune(buf[stop:])
				if isWordRune(r) {
					continue
				}
			}
			if pi.gap != 0 {
				e.gapPart(sc, buf, pi.sig, pi.gap, int32(start), int32(stop))
				continue
			}
			sc.hits = append(sc.hits, hit{sig: pi.sig, pat: int32(pat), start: int32(start), end: int32(stop)})
		}
		return len(sc.hits) < maxHits
	})
	hits := sc.hits
	e.keepStreetNames(buf, hits)
	e.dropShadowed(hits)
	var t tally
	var formPeople, formUnresolved bool
	t.formFields, formPeople, formUnresolved = e.dropFormFieldNames(buf, hits)
	topics, tagged, negated := e.dropNegatedAndTopics(buf, hits)
	t.tagged, t.negated = tagged, negated

	var a Assessment
	a.Language = language(han, latin)
	// Reposts get re-edited to stress urgency ("急急急", "URGENT",
	// "thanks all"): such cues stay out of the fingerprint so the edited
	// repost still matches the original.
	sc.skip = sc.skip[:0]
	for i := range hits {
		switch e.sigs[hits[i].sig].k {
		case kUrgent, kThanks:
			sc.skip = append(sc.skip, span{hits[i].start, hits[i].end})
		}
	}
	sc.skip = wrapperSpans(buf, sc.skip)
	for i := 1; i < len(sc.skip); i++ { // insertion sort: a handful of spans
		for j := i; j > 0 && sc.skip[j].start < sc.skip[j-1].start; j-- {
			sc.skip[j], sc.skip[j-1] = sc.skip[j-1], sc.skip[j]
		}
	}
	a.Fingerprint = fingerprint(buf, sc.skip)

	var (
		needW, askW, lackW, urgW, subjW, vulW, negW, thanksW float64
		sayW                                                 float64 // asks that only state a need
		base                                                 Urgency
		cat                                                  Category
		catW                                                 float64
		lastResolved, lastPlea, askCatHit                    int32 = -1, -1, -1
		firstPlea                                            int32 = -1
		negSeen                                              int
		complaint                                            bool
		routineW                                             float64
		// hit indexes of distinct needs, other shown cues, and cues
		// against a request; backed by pooled scratch memory
		needLabel, otherLabel, negLabel = sc.needs[:0], sc.others[:0], sc.negs[:0]
	)
	for i := range hits {
		h := &hits[i]
		if h.dropped {
			continue
		}
		s := &e.sigs[h.sig]
		switch s.k {
		case kNeed, kAsk, kLack, kUrgent:
			if h.start > lastPlea {
				lastPlea = h.start
			}
			if firstPlea < 0 {
				firstPlea = h.start
			}
		case kResolved:
			if h.start > lastResolved {
				lastResolved = h.start
			}
		}
		if sc.present[h.sig] {
			// Counter-evidence adds up per distinct phrase, once more at
			// most: an offer that says "free", "have some" and "can
			// donate" is surer than one that says "free" twice.
			if s.neg && negSeen < maxNegRepeat && h.pat != sc.firstPat[h.sig] {
				negSeen++
				negW += s.weight / 2
			}
			continue
		}
		sc.present[h.sig] = true
		sc.touched = append(sc.touched, h.sig)
		sc.firstPat[h.sig] = h.pat
		sc.kinds |= s.bit
		w := s.weight
		switch s.k {
		case kNeed:
			needW += w
			u, cw := s.urgency, w
			if h.past && u == Critical {
				// "前年心梗", "heart attack last year": a history, and
				// not what the request is about either
				u, cw = High, w/2
			}
			if u > base || u == base && cw > catW {
				base, cat, catW = u, s.category, cw
			}
			needLabel = append(needLabel, int32(i))
		case kAsk:
			askW += w
			if s.statement {
				sayW += w
			}
			if s.category != CatNone && askCatHit < 0 {
				askCatHit = int32(i)
			}
		case kLack:
			lackW += w
			otherLabel = append(otherLabel, int32(i))
		case kUrgent:
			urgW += w
		case kSubject:
			subjW += w
			if s.self {
				t.subjSelf = true
			} else {
				t.subjOther = true
			}
		case kVulnerable:
			vulW += w
			a.Vulnerable = appendUnique(a.Vulnerable, s.group)
			otherLabel = append(otherLabel, int32(i))
		case kScam:
			a.Scam = true
			t.actW[caAd] += 1
			negLabel = append(negLabel, int32(i))
		case kResolved:
			a.Resolved = true
			negW += w
			t.resolvedW += w
			t.actW[caNews] += w
			negLabel = append(negLabel, int32(i))
		case kThanks:
			negW += w
			thanksW += w
			t.actW[caThanks] += w
			negLabel = append(negLabel, int32(i))
		default:
			if s.neg {
				negW += w
				t.actW[actOf(s.k)] += w
				negLabel = append(negLabel, int32(i))
			}
			complaint = complaint || s.k == kComplaint
			switch s.k {
			case kComplaint:
				t.complaintW += w
			case kFundraise:
				t.fundraise = true
			case kHistory:
				t.history = true
			case kPresent:
				t.present = true
			case kRoutine:
				routineW = max(routineW, w)
			case kPast:
				t.past = true
				// A how-to question ("应该打哪个电话") is an ask of its
				// category: an information request once its clause's
				// needs are a hypothetical.
				if s.category != CatNone {
					askW += w
					if askCatHit < 0 {
						askCatHit = int32(i)
					}
				}
			}
		}
	}

	// A form's values speak for the writer: people counted as waiting
	// are someone concrete, a rescue not yet made is something missing.
	if formPeople {
		subjW += kinWeight
	}
	if formUnresolved {
		lackW += 1.5
	}

	// Social-media framing is counter-evidence of its own: a post that
	// tags a discussion topic or opens with a headline is sharing, not
	// asking (a real plea there still outweighs it).
	// It is kept apart from negW: a tagged plea ("#暴雨互助# 村里被困
	// 三十多人") must still count as one without an explicit ask.
	var frameW float64
	if topics > 0 {
		frameW += topicWeight
	}
	if headline(buf) {
		frameW += topicWeight
	}
	for i := 0; i < len(hits) && sc.kinds&kindBit(KindAge) != 0; i++ {
		if !hits[i].dropped && e.sigs[hits[i].sig].k == kAge {
			if g := ageGroup(buf, int(hits[i].start)); g != "" {
				a.Vulnerable = appendUnique(a.Vulnerable, g)
				vulW++
			}
		}
	}
	// "my nan, 91," / "neighbour is 86": an age without its unit, read
	// after a person word in space-separated scripts.
	if a.Language != "zh" && sc.kinds&(kindBit(KindSubject)|kindBit(KindVulnerable)) != 0 && !inAny(a.Vulnerable, "elderly") {
		for i := range hits {
			if k := e.sigs[hits[i].sig].k; !hits[i].dropped && (k == kSubject || k == kVulnerable) &&
				e.ageAfter(buf, hits, int(hits[i].end)) {
				a.Vulnerable = append(a.Vulnerable, "elderly")
				vulW++
				break
			}
		}
	}
	a.Phones = extractPhones(buf, e.phoneRegion.v.Load(), a.Phones)
	if sc.kinds&kindBit(KindDuration) != 0 { // else no duration to find
		a.Durations = e.extractDurations(buf, hits, a.Durations)
	}
	if sc.kinds&(kindBit(KindPlace)|kindBit(KindPlaceName)) != 0 { // else no place to find
		a.Places = e.extractPlaces(buf, hits, a.Places)
		restorePlaceCase(text, a.Places)
	}

	// An ask that implies a need without naming one ("我们小区需要抽水泵",
	// "does anyone know if the pharmacy is open", "谁能借我…") stands for
	// a need of the ask's category, when nothing argues against it:
	// "volunteers needed" and "we need your donations" are appeals and
	// carry their own counter-evidence.
	if needW == 0 && askCatHit >= 0 && negW-thanksW == 0 && frameW == 0 {
		needW = askNeedWeight
		base, cat = Normal, e.sigs[hits[askCatHit].sig].category
		needLabel = append(needLabel, askCatHit)
		t.askImplied = true
	}
	// "We need help" with a place and nothing against it is a request by
	// the guides (normal unless a danger is stated), though it names no
	// need: the place says where help should go.
	if needW == 0 && askW-sayW >= minAsk && negW-thanksW == 0 && frameW == 0 &&
		(len(a.Places) > 0 || a.Language == "en" && namedPlace(text)) {
		if k := firstOfKind(e, hits, kAsk); k >= 0 {
			needW = askNeedWeight
			base, cat = Normal, CatOther
			needLabel = append(needLabel, int32(k))
			t.askPlace = true
		}
	}

	// Rules are evaluated before the gate: a combination such as high
	// fever + infant or pregnancy + cut off is evidence that someone
	// concrete is in trouble, not only a way to raise the urgency of
	// what is already a request. Without a need only rules that name a
	// category of their own apply: they are the need ("swallowed" +
	// "bleach").
	ruleUrg, ruleW := None, 0.0
	fired := sc.fired[:0]
	ruleCat, hadNeed := CatNone, needW > 0
	// Only rules whose first condition is present, and without a need
	// only the free ones (no need, no request: nothing to raise).
	for _, ri := range e.candidateRules(sc, hadNeed) {
		r := &e.rules[ri]
		if !e.ruleMatches(r, sc, &a) {
			continue
		}
		fired = append(fired, ri)
		ruleW += r.weight
		if r.urgency > ruleUrg {
			ruleUrg, ruleCat = r.urgency, r.category
		}
	}
	sc.fired = fired
	if !hadNeed && len(fired) > 0 {
		needW, base, cat = ruleW+1, Normal, ruleCat
		for i := range hits { // the cues that made the rule are the "why"
			if !hits[i].dropped && e.sigs[hits[i].sig].k == kContext {
				otherLabel = append(otherLabel, int32(i))
			}
		}
	}
	// What the evidence suggests before the gate: the strongest need or
	// rule.
	eff := max(base, ruleUrg)
	// Thanks said in advance ("先谢谢大家") go with pleas as often as with
	// resolutions, which say so themselves: they do not count against
	// "nothing else is going on".
	against := negW - thanksW

	// Only an address counts as "located" for the plea: a bare place name
	// from the gazetteer (涿州, 门头沟) is as common in news as in pleas.
	located := len(a.Places) > 0 && sc.kinds&kindBit(KindPlace) != 0
	// In a complaint a need merely stated ("every year we need rescue
	// boats") is part of the grievance, unless a named person, a phone or
	// an address says whose it is.
	if complaint && subjW < kinWeight && len(a.Phones) == 0 && !located {
		askW -= sayW
	}
	askEq := askW + urgW
	// A complaint ("4 days without power, disgraceful") describes a
	// deprivation without asking anything: no plea is read into it unless
	// something asks for help or a life is at risk of someone the writer
	// speaks for or locates ("how can the mayor sleep while old people are
	// dying" is anger about others).
	implied := !complaint || askW > 0 || urgW >= 1 ||
		base == Critical && (subjW > 0 || len(a.Phones) > 0 || located)
	if implied && (subjW > 0 || against+frameW == 0) {
		// "没有吃的了" / "we have no food" is a plea when the writer speaks
		// or nothing else is going on; "cities without power" or "独居老人
		// 没有人照顾" in a news line is not.
		askEq += lackW
	}
	if implied && against == 0 && (len(a.Phones) > 0 || located) {
		// A need with a contact or an address and nothing against it is
		// a posted request: "Baby formula please, Block 5".
		askEq += 0.5
	}
	// Someone concrete is affected: a named relative or neighbour, or a
	// vulnerable person (an infant, an elderly or pregnant woman, an age).
	concrete := subjW >= kinWeight || vulW > 0
	if implied && (against == 0 || eff == Critical && subjW >= kinWeight && against <= critTolerance) {
		switch {
		case eff == Critical && (subjW > 0 || vulW > 0 || len(a.Phones) > 0 || located):
			// Only when someone concrete is affected, reachable or located:
			// "5人被困" in a news item is not a plea, "我爸昏迷了" and "孕妇
			// 破水了，在徐汇区" are.
			askEq += criticalAsk
		case base == High && (concrete || subjW > 0 && lackW > 0),
			ruleUrg >= High && (concrete && (subjW > 0 || vulW >= 1.5 || len(a.Phones) > 0 || located) ||
				subjW > 0 && len(a.Durations) > 0):
			// "我爸的降压药吃完了" or "老人摔倒了起不来" posted in a mutual-aid
			// group asks for help without saying so: a serious need of a
			// relative or a vulnerable person, with nothing against it.
			// Urgency that only a rule gives (fever + infant, pregnancy +
			// cut off) also needs the writer or a contact in the text:
			// "girls stranded in Nepal" in a news line is not a plea; the
			// writer's own trouble for days ("covid, fever 5 days now, no
			// doctor will see me") is.
			askEq += criticalAsk
		case eff >= Normal && (subjW >= kinWeight || vulW > 0 && subjW > 0) && (lackW > 0 || urgW > 0 || askW > 0):
			// "宝宝的奶粉没有了": a need of a concrete person with
			// something missing or pressing is a plea too; a relative
			// merely mentioned next to a need word ("我妈爱吃菜") is not.
			askEq += criticalAsk
		}
	}
	evidence := needW + askEq + 0.5*vulW + 0.5*subjW
	if len(a.Phones) > 0 {
		evidence += 0.5
	}
	gate := needW > 0 && askEq >= minAsk && evidence > negW+frameW
	// The latest statement wins: "已入院，谢谢大家" after a plea withdraws
	// it, but a fresh plea after a resolved one ("父亲已入院，母亲还在发烧
	// 求助") stands.
	if a.Resolved && lastResolved > lastPlea {
		gate = false
		t.resolvedLast = true
	}

	// The level and category the cues give, were it a request: the
	// strongest need, raised by the rules that fired.
	level, category := max(Normal, base), cat
	if category == CatNone {
		category = CatOther
	}
	nRuleLabels := 0
	for _, ri := range fired {
		r := &e.rules[ri]
		if r.urgency > level {
			level = r.urgency
			if r.category != CatNone {
				category = r.category
			}
		}
		if r.label != "" {
			nRuleLabels++
		}
	}
	// A planned purchase or a need with plenty left ("need to buy BP
	// tablets", "no rush") is not serious within a day or two unless
	// something pressing is said; a life at risk is never capped.
	if level == High && routineW > 0 && urgW == 0 && (lackW == 0 || routineW >= 2) {
		level = Normal
	}
	// Money for someone's treatment is money help: normal by the guides,
	// however grave the illness it names.
	if t.fundraise {
		level = Normal
	}
	t.gate, t.gateScore, t.cue = None, evidence-negW-frameW, level
	if gate {
		t.gate = level
	}

	// The speech act: the plea's evidence against each counter-act's.
	// An ask that names no need ("please someone help us") is still a
	// plea; what it lacks is for the decision to weigh.
	pleaW := askEq
	if gate {
		pleaW = evidence
	}
	t.act = decideAct(pleaW, &t.actW, t.subjOther || vulW > 0)
	a.Act = t.act

	// The decision: the trained model over the tally where its
	// thresholds give it any say for this language, else the gate alone
	// (then the features are not even computed: they would change
	// nothing).
	a.Urgency = t.gate
	t.chinese = a.Language == "zh"
	m := e.model
	consult := m.consulted(t.chinese)
	if consult || wantFeatures {
		t.needW, t.askW, t.sayW, t.lackW, t.urgW, t.subjW, t.vulW = needW, askW, sayW, lackW, urgW, subjW, vulW
		t.routineW, t.needs, t.base, t.ruleUrg = routineW, len(needLabel), base, ruleUrg
		t.criticalConcrete = eff == Critical && (subjW > 0 || vulW > 0 || len(a.Phones) > 0 || located)
		t.topics, t.headline = topics > 0, frameW > topicWeight || frameW > 0 && topics == 0
		t.phone, t.address, t.duration = len(a.Phones) > 0, located, len(a.Durations) > 0
		t.placeName = len(a.Places) > 0 && !located
		t.shape(buf)
		t.surface(text)
		t.pleaPos = 1
		if firstPlea >= 0 && len(buf) > 0 {
			t.pleaPos = float64(firstPlea) / float64(len(buf))
		}
		x := &sc.x
		t.features(x)
		if wantFeatures {
			features = append(features, x[:]...)
		}
	}
	if consult {
		p := m.probs(&sc.x)
		a.Urgency = m.level(p, t.chinese, t.gate, t.cue)
		// A life at risk by the reviewed lexicon, in a message the model
		// also takes for a request, is never rated below high: the model
		// moves such a plea one level at most (critical ↔ high is where
		// the cues and the guide disagree most), it does not bury it.
		if t.gate == Critical && a.Urgency > None && a.Urgency < High {
			a.Urgency = High
		}
		if a.Urgency > Normal && t.fundraise {
			a.Urgency = Normal
		}
		a.Score = round2(p[headRequest] + p[headUrgent] + p[headCritical])
	} else {
		a.Score = round2(t.gateScore)
		if gate {
			a.Score = round2(evidence + ruleW - negW - frameW + 2*float64(t.gate))
		}
	}
	a.IsRequest = a.Urgency > None
	if a.IsRequest {
		a.Category = category
		if needW == 0 && askCatHit >= 0 {
			a.Category = e.sigs[hits[askCatHit].sig].category
		}
	} else {
		nRuleLabels = 0
	}

	// Signals, strongest first: needs by urgency and weight, then rule
	// labels, durations, vulnerable groups and lacks; for non-requests the
	// cues that argued against.
	stronger := func(i, j int32) bool {
		si, sj := &e.sigs[hits[i].sig], &e.sigs[hits[j].sig]
		if si.urgency != sj.urgency {
			return si.urgency > sj.urgency
		}
		return si.weight > sj.weight
	}
	for i := 1; i < len(needLabel); i++ { // stable insertion sort, few items
		for j := i; j > 0 && stronger(needLabel[j], needLabel[j-1]); j-- {
			needLabel[j], needLabel[j-1] = needLabel[j-1], needLabel[j]
		}
	}
	sc.needs, sc.others, sc.negs = needLabel, otherLabel, negLabel
	a.Signals = make([]string, 0, min(maxSignals, len(needLabel)+nRuleLabels+len(a.Durations)+len(otherLabel)+len(negLabel)))
	for _, i := range needLabel {
		a.Signals = appendUnique(a.Signals, e.label(buf, &hits[i]))
	}
	for _, ri := range fired {
		if l := e.rules[ri].label; l != "" && nRuleLabels > 0 {
			a.Signals = appendUnique(a.Signals, l)
		}
	}
	for _, d := range a.Durations {
		a.Signals = appendUnique(a.Signals, d)
	}
	for _, i := range otherLabel {
		l := e.label(buf, &hits[i])
		if e.sigs[hits[i].sig].k == kLack && (inAny(a.Durations, l) || inAny(a.Signals, l)) {
			continue // "没做" adds nothing next to "两周没做", nor "断" next to "猫快断粮"
		}
		a.Signals = appendUnique(a.Signals, l)
	}
	if !a.IsRequest || a.Scam || a.Resolved {
		for _, i := range negLabel {
			a.Signals = appendUnique(a.Signals, e.label(buf, &hits[i]))
		}
	}
	if len(a.Signals) > maxSignals {
		a.Signals = a.Signals[:maxSignals]
	}
	return a, features
}

// maxSignals keeps the explanation readable.
const maxSignals = 8

// label is the word shown for hit h: its signal's label, the pattern it
// matched, or for a gap pattern the words it spans ("叫了半天都不醒").
func (e *Engine) label(buf []byte, h *hit) string {
	if l := e.sigs[h.sig].label; l != "" {
		return l
	}
	if h.pat >= e.nAuto {
		return string(buf[h.start:h.end])
	}
	return e.pats[h.pat][0].label
}

// gapPart handles a match of one part of a gap pattern. A left part is
// remembered; a right part pairs with the latest left part of the same
// pattern that ends before it, and when the gap between them fits, the
// pair is one hit spanning both. Left parts are scanned back only as far
// as the widest gap reaches, so the cost stays linear in the text.
func (e *Engine) gapPart(sc *scratch, buf []byte, sig, gap, start, end int32) {
	if gap > 0 {
		if len(sc.lefts) < maxHits {
			sc.lefts = append(sc.lefts, gapLeft{g: gap - 1, start: start, end: end})
		}
		return
	}
	g := -gap - 1
	for k := len(sc.lefts) - 1; k >= 0; k-- {
		l := &sc.lefts[k]
		if l.end+e.maxGapBytes < start {
			return // left parts come in order of their end: none nearer
		}
		if l.g != g || l.end > start {
			continue
		}
		if gapFits(buf[l.end:start], &e.gaps[g]) {
			sc.hits = append(sc.hits, hit{sig: sig, pat: e.nAuto + g, start: l.start, end: end})
		}
		return
	}
}

func (e *Engine) ruleMatches(r *compiledRule, sc *scratch, a *Assessment) bool {
	// has is inlined for signals, the common case; pseudo signals
	// (negative ids) take the call.
	has := func(id int) bool { return id >= 0 && sc.present[id] || id < 0 && e.hasPseudo(id, sc, a) }
	for _, id := range r.all {
		if !has(id) {
			return false
		}
	}
	if len(r.any) > 0 {
		n := 0
		for _, id := range r.any {
			if has(id) {
				if n++; n >= r.min {
					break
				}
			}
		}
		if n < r.min {
			return false
		}
	}
	for _, id := range r.none {
		if has(id) {
			return false
		}
	}
	return true
}

// hasPseudo reports whether pseudo signal id (a fact such as @phone or
// @elderly) holds for the text.
func (e *Engine) hasPseudo(id int, sc *scratch, a *Assessment) bool {
	if id <= pseudoGroup {
		g := e.groups[pseudoGroup-id]
		for _, v := range a.Vulnerable {
			if v == g {
				return true
			}
		}
		return false
	}
	switch id {
	case pseudoDuration:
		return len(a.Durations) > 0
	case pseudoPhone:
		return len(a.Phones) > 0
	case pseudoPlace:
		return len(a.Places) > 0
	case pseudoVulnerable:
		return len(a.Vulnerable) > 0
	}
	switch id {
	case pseudoAsk:
		return sc.kinds&kindBit(KindAsk) != 0
	case pseudoLack:
		return sc.kinds&kindBit(KindLack) != 0
	case pseudoUrgent:
		return sc.kinds&kindBit(KindUrgent) != 0
	case pseudoSubject:
		return sc.kinds&kindBit(KindSubject) != 0
	}
	return false
}

// dropShadowed applies longest-match-wins: a hit lying inside a longer hit
// is dropped, so "不需要" is a negation and not the plea "需要", "in need"
// (an offer) is not "need" (a plea), and "高烧不退" counts once, not also
// as "高烧". Two cues of different positive kinds both stand: "没透析" is a
// lack that still names dialysis, "断药" still names medicine.
//
// Walk reports hits in order of their end, so a container of hit i ends at
// or after it and no later than i.start+maxLen: only that window is
// scanned.
func (e *Engine) dropShadowed(hits []hit) {
	for i := range hits {
		hi := &hits[i]
		// Same end, reported earlier (longer patterns come first).
		for j := i - 1; j >= 0 && hits[j].end == hi.end; j-- {
			if e.shadows(&hits[j], hi) {
				hi.dropped = true
				break
			}
		}
		if hi.dropped {
			continue
		}
		for j := i + 1; j < len(hits) && hits[j].end <= hi.start+e.maxPatLen; j++ {
			if e.shadows(&hits[j], hi) {
				hi.dropped = true
				break
			}
		}
	}
}

// shadows reports whether hit o strictly covers hit h and overrides it:
// same kind, or either of them is not a positive cue.
func (e *Engine) shadows(o, h *hit) bool {
	if o.inert || !(o.start <= h.start && o.end >= h.end && o.end-o.start > h.end-h.start) {
		return false
	}
	so, sh := &e.sigs[o.sig], &e.sigs[h.sig]
	ko, kh := so.k, sh.k
	if ko == kNotPlace || kh == kNotPlace {
		return ko == kNotPlace && (kh == kPlace || kh == kPlaceName)
	}
	// "不急" / "not urgent": the routine cue overrides the intensifier
	// inside it.
	return ko == kh || !so.pos || !sh.pos || ko == kRoutine && kh == kUrgent
}

// dropNegatedAndTopics drops cues cancelled by a negation just before them
// and pleas inside Weibo-style #topic# tags, which name a discussion
// ("#武汉求助#") rather than make a request. When the tags are the only
// place a need is named ("#郑州暴雨被困老人#" and nothing else), it counts
// the needs and lacks in them for the decision layer. It returns how many
// topic tags it saw, that count, and how many cues a negation cancelled.
func (e *Engine) dropNegatedAndTopics(buf []byte, hits []hit) (topics, tagged, negated int) {
	var hasDeniable, hasCritical, hasPast bool
	for i := range hits {
		if s := &e.sigs[hits[i].sig]; s.k == kResolved || s.k == kOffer {
			hasDeniable = true // something a "not" before it may deny
		} else if s.k == kNeed && s.urgency == Critical {
			hasCritical = true
		}
	}
	for i := range hits {
		h := &hits[i]
		if h.dropped {
			continue
		}
		switch e.sigs[h.sig].k {
		case kNotYet:
			if !hasDeniable {
				continue
			}
			// "还没联系上了", "not yet rescued": a denied resolution is
			// no resolution, and the plea stands; nor is a denied
			// delivery an offer ("the ambulance still hasn't arrived").
			for j := range hits {
				o := &hits[j]
				if k := e.sigs[o.sig].k; !o.dropped && (k == kResolved || k == kOffer) &&
					o.start >= h.end && o.start <= h.end+notYetGap && !sentenceBreak(buf[h.end:o.start]) {
					o.dropped = true
				}
			}
			continue
		case kHistory, kPast:
			// A past cue (那年, "last year") is read as a history too: one
			// hit per word, not one of each kind.
			hasPast = hasPast || e.sigs[h.sig].k == kPast
			if !hasCritical {
				continue
			}
			// A critical cue in the same clause as "去年" / "last year"
			// is a history, not a danger now.
			for j := range hits {
				o := &hits[j]
				if o.dropped || e.sigs[o.sig].k != kNeed || e.sigs[o.sig].urgency != Critical {
					continue
				}
				if near(buf, h, o, historyGap) {
					o.past = true
				}
			}
			continue
		case kPostNeg:
			// "fever gone now", "bleeding has stopped": the nearest
			// symptom before it in the same clause is over (the
			// negation only looks forwards).
			best := -1
			for j := range hits {
				o := &hits[j]
				if o.start >= h.start && o.start < h.end && e.sigs[o.sig].k == kNeed {
					best = -1 // "has stopped breathing": a need, not its end
					break
				}
				if o.dropped || o.end > h.start || h.start-o.end > postNegGap {
					continue
				}
				// Only a symptom ends this way: "the formula is gone"
				// is a lack, not a recovery.
				switch e.sigs[o.sig].category {
				case CatMedicalEmergency, CatMaternalInfant, CatMentalHealth:
					if e.sigs[o.sig].k == kNeed && (best < 0 || o.end > hits[best].end) &&
						!clauseBreak(buf[o.end:h.start]) {
						best = j
					}
				}
			}
			if best >= 0 {
				hits[best].dropped = true
			}
			continue
		case kNegation:
		default:
			continue
		}
		for j := range hits {
			o := &hits[j]
			if o.dropped || j == i || e.sigs[o.sig].k == kNegation {
				continue
			}
			switch e.sigs[o.sig].k {
			case kNeed, kAsk, kLack, kUrgent, kVulnerable:
			default:
				continue
			}
			if o.start >= h.start && o.start <= h.end+negationGap &&
				(o.start <= h.end || !sentenceBreak(buf[h.end:o.start])) {
				o.dropped = true
				negated++
			}
		}
	}
	if hasPast {
		e.dropPast(buf, hits)
	}
	// Topic tags: #...# with no space or sentence punctuation inside, as
	// Weibo writes them. Twitter's #word hashtags have no closing # and are
	// single words, which word-boundary patterns already ignore.
	for i := 0; i < len(buf); i++ {
		if buf[i] != '#' {
			k := bytes.IndexByte(buf[i:], '#') // to the next '#' at once
			if k < 0 {
				break
			}
			i += k
		}
		j := i + 1
		for j < len(buf) && j-i < 120 && buf[j] != '#' && buf[j] != ' ' && buf[j] != '\n' {
			j++
		}
		if j >= len(buf) || buf[j] != '#' || j == i+1 {
			continue
		}
		topics++
		for k := range hits {
			h := &hits[k]
			if int(h.start) > i && int(h.end) <= j && !h.dropped {
				switch e.sigs[h.sig].k {
				case kNeed, kAsk, kLack, kUrgent, kSubject, kVulnerable:
					h.dropped, h.tagged = true, true
				}
			}
		}
		i = j
	}
	if topics == 0 {
		return topics, 0, negated
	}
	// A need named outside the tags: the tags are topics. Otherwise the
	// needs, lacks and people in the tags are all the text names, counted
	// once for the decision layer (a tag is as often a news headline, so
	// they stay out of the gate).
	for k := range hits {
		if !hits[k].dropped && e.sigs[hits[k].sig].k == kNeed {
			return topics, 0, negated
		}
	}
	for k := range hits {
		if h := &hits[k]; h.tagged {
			switch e.sigs[h.sig].k {
			case kNeed, kLack:
				tagged++
			}
		}
	}
	return topics, tagged, negated
}

// dropPast drops the needs and lacks told as a past event ("last year
// my dad ran out of insulin"): they are a story, not a need now. The
// needs stand when a lack outside the story says the trouble is back
// ("…this time he's down to 2 pens"): the story names what is short.
func (e *Engine) dropPast(buf []byte, hits []hit) {
	lackNow := false
	for i := range hits {
		o := &hits[i]
		if o.dropped || e.sigs[o.sig].k != kLack {
			continue
		}
		if e.inPast(buf, hits, o) {
			o.dropped = true
		} else {
			lackNow = true
		}
	}
	if lackNow {
		return
	}
	for i := range hits {
		o := &hits[i]
		if !o.dropped && e.sigs[o.sig].k == kNeed && e.inPast(buf, hits, o) {
			o.dropped = true
		}
	}
}

// inPast reports whether hit o is in the clause of a past-event cue and
// no present-time cue stands in its own clause.
func (e *Engine) inPast(buf []byte, hits []hit, o *hit) bool {
	for i := range hits {
		h := &hits[i]
		if h.dropped || e.sigs[h.sig].k != kPast {
			continue
		}
		// "Last year my dad ran out of insulin" tells what follows;
		// "had a stroke years ago and her pills run out" only what came
		// before it in the clause.
		hh := *h
		if int(hh.end) < len(buf) && buf[hh.end] == ',' {
			hh.end++ // "last year, my mum ran out…"
		}
		// A cue inside the past cue ("怎么急救") is part of it.
		inside := o.start >= h.start && o.end <= h.end
		if (o.end <= h.start || inside || clauseOpening(buf, int(h.start))) && near(buf, &hh, o, pastGap) {
			return !e.presentNear(buf, hits, o)
		}
		// A past cue opening its sentence ("那年发大水，我们全村都被困了
		// 半个月") sets the time of the whole sentence, across commas,
		// until a present cue says the story has reached now ("…，现在水
		// 又上来了").
		if h.end <= o.start && o.start-h.end <= sentencePastBytes && sentenceOpening(buf, int(h.start)) &&
			!sentenceBreak(buf[h.end:o.start]) && !e.presentAfter(hits, h.end, o.end) {
			return !e.presentNear(buf, hits, o)
		}
	}
	return false
}

// sentenceOpening reports whether only spaces separate position i from
// the start of the text or of a sentence.
func sentenceOpening(buf []byte, i int) bool {
	for i > 0 && buf[i-1] == ' ' {
		i--
	}
	return i == 0 || sentenceBreak(buf[i-1:i])
}

// presentAfter reports a present-time cue starting in [from, to).
func (e *Engine) presentAfter(hits []hit, from, to int32) bool {
	for i := range hits {
		p := &hits[i]
		if !p.dropped && e.sigs[p.sig].k == kPresent && p.start >= from && p.start < to {
			return true
		}
	}
	return false
}

// clauseOpening reports whether position i is within the first few
// bytes of its clause ("two years ago we…", "so last year…").
func clauseOpening(buf []byte, i int) bool {
	lo := max(0, i-clauseOpeningBytes)
	return i-lo < clauseOpeningBytes || clauseBreak(buf[lo:i])
}

// near reports whether hits h and o overlap or lie within gap bytes of
// each other with no clause break between them.
func near(buf []byte, h, o *hit, gap int32) bool {
	lo, hi := o.end, h.start
	if h.end <= o.start {
		lo, hi = h.end, o.start
	} else if o.end > h.start {
		return true // overlapping
	}
	return hi-lo <= gap && !clauseBreak(buf[lo:hi])
}

// presentNear reports a present-time cue in the clause of hit o: "had a
// transplant 2 years ago and his meds run out tomorrow" is a need now.
func (e *Engine) presentNear(buf []byte, hits []hit, o *hit) bool {
	for i := range hits {
		p := &hits[i]
		if p.dropped || e.sigs[p.sig].k != kPresent {
			continue
		}
		if near(buf, p, o, pastGap) {
			return true
		}
	}
	return false
}

// headline reports a text that opens with a bracketed title of eight or
// more characters ("【市长回应…】"), the way news posts start; form
// fields such as "【姓名】" are shorter.
func headline(buf []byte) bool {
	if len(buf) == 0 || buf[0] != '[' {
		return false
	}
	n := 0
	for _, r := range string(buf[1:min(len(buf), 400)]) {
		if r == ']' {
			return n >= headlineRunes
		}
		n++
	}
	return false
}

// atClauseStart reports whether only spaces separate position i from the
// start of the text or a sentence or clause mark.
func atClauseStart(buf []byte, i int) bool {
	for i > 0 && buf[i-1] == ' ' {
		i--
	}
	if i == 0 {
		return true
	}
	switch buf[i-1] {
	case '.', '!', '?', ';', '\n', ',', ':':
		return true
	}
	return false
}

// clauseBreak is sentenceBreak or a comma: the end of a clause.
func clauseBreak(b []byte) bool {
	return sentenceBreak(b) || bytes.IndexByte(b, ',') >= 0
}

func sentenceBreak(b []byte) bool {
	for _, c := range b {
		switch c {
		case '.', '!', '?', ';', '\n':
			return true
		}
	}
	return false
}

// language picks "zh" when Han characters outnumber Latin letters
// (weighting Han x3: one character carries about a word), else "en".
func language(han, latin int) string {
	switch {
	case han == 0 && latin == 0:
		return ""
	case han*3 >= latin:
		return "zh"
	}
	return "en"
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func round2(f float64) float64 {
	if f < 0 {
		return -round2(-f)
	}
	return float64(int64(f*100+0.5)) / 100
}

func inAny(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

// kindBit is a bit per kind that rules ask about, so "@ask" and friends
// are one AND instead of a scan over every signal (and places, durations
// and ages are looked for only when such a cue is present).
func kindBit(k Kind) uint8 {
	switch k {
	case KindAsk:
		return 1
	case KindLack:
		return 2
	case KindUrgent:
		return 4
	case KindSubject:
		return 8
	case KindPlace:
		return 16
	case KindPlaceName:
		return 32
	case KindDuration:
		return 64
	case KindAge:
		return 128
	}
	return 0
}

// firstOfKind returns the index of the first standing hit of kind k, or -1.
func firstOfKind(e *Engine, hits []hit, k kindID) int {
	for i := range hits {
		if !hits[i].dropped && e.sigs[hits[i].sig].k == k {
			return i
		}
	}
	return -1
}

// namedPlace reports an English place name written as one: "in", "at",
// "near" or "from" followed by a capitalised word that does not open a
// sentence ("we need help in Gorkha", "stuck at Bhaktapur"). Gazetteers
// cannot list every village; the capital letter is in the original text
// only, which is why this reads text rather than the normalised buffer.
func namedPlace(text string) bool {
	for _, prep := range [...]string{" in ", " at ", " near ", " from "} {
		for i := 0; i < len(text); {
			k := strings.Index(text[i:], prep)
			if k < 0 {
				break
			}
			j := i + k + len(prep)
			if j < len(text) && text[j] >= 'A' && text[j] <= 'Z' && !commonCapital(text[j:]) {
				return true
			}
			i = j
		}
	}
	return false
}

// commonCapital reports capitalised words after a preposition that are no
// place: pronouns, days, months and the like ("in The morning" is rare,
// "at I" is noise).
func commonCapital(s string) bool {
	end := 0
	for end < len(s) && (s[end] >= 'a' && s[end] <= 'z' || s[end] >= 'A' && s[end] <= 'Z') {
		end++
	}
	switch s[:end] {
	case "I", "The", "A", "An", "This", "That", "My", "Our", "Your", "His", "Her", "Their",
		"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
		"January", "February", "March", "April", "May", "June", "July", "August",
		"September", "October", "November", "December", "Christmas", "God", "RT":
		return true
	}
	return false
}

// Form fields. A template post names its fields ("[姓名]", "[其他紧急联系
// 人]", "是否获救:"); the words of a field name are the form's, not the
// writer's, so they never count as cues by themselves. What the writer
// filled in does: a name's cues stand only when its value affirms them
// (a count above zero, 是/有/yes), "受困人数:3" is three people trapped,
// "是否已获救:否" is nobody rescued yet.
const (
	// maxFieldNameBytes bounds a field name (about seven Han characters,
	// the length headline() takes as a title instead).
	maxFieldNameBytes = 3 * (headlineRunes - 1)
	// minFormFields is how many field names make a form: one bracketed
	// word ("[求助]") is a tag on a plea, not a template.
	minFormFields = 2
	// maxFields bounds the fields looked at in one message.
	maxFields = 32
)

// dropFormFieldNames drops the cues inside the field names of a form
// post whose values do not affirm them. It returns how many field names
// it found, whether a field names a need with a count of people above
// zero ("受困人数:3": people are waiting), and whether a field denies a
// resolution ("是否已获救:否": nobody rescued yet).
func (e *Engine) dropFormFieldNames(buf []byte, hits []hit) (fields int, people, unresolved bool) {
	if bytes.IndexByte(buf, '[') < 0 && bytes.IndexByte(buf, ':') < 0 {
		return 0, false, false
	}
	var names [maxFields]span
	n := 0
	for i := 0; i < len(buf) && n < maxFields; i++ {
		switch buf[i] {
		case '[':
			j := bytes.IndexByte(buf[i+1:min(len(buf), i+2+maxFieldNameBytes)], ']')
			if j > 0 && fieldName(buf[i+1:i+1+j]) {
				names[n] = span{int32(i + 1), int32(i + 1 + j)}
				n++
				i += j + 1
			}
		case ':':
			// "name:" after a clause start, a space or a closing bracket;
			// not the scheme of a link ("http://").
			k := i
			for k > 0 && i-k < maxFieldNameBytes && !fieldStop(buf[k-1]) {
				k--
			}
			if k < i && (k == 0 || fieldStop(buf[k-1])) && fieldName(buf[k:i]) && !bytes.HasPrefix(buf[i+1:], []byte("//")) {
				names[n] = span{int32(k), int32(i)}
				n++
			}
		}
	}
	if n < minFormFields {
		return n, false, false
	}
	for f := range n {
		nm := names[f]
		vStart := int(nm.end) + 1 // past "]" or ":"
		vEnd := len(buf)
		if f+1 < n {
			vEnd = max(vStart, int(names[f+1].start)-1)
		}
		value := buf[min(vStart, len(buf)):vEnd]
		if affirms(value) {
			for k := range hits {
				if h := &hits[k]; h.start >= nm.start && h.end <= nm.end && e.sigs[h.sig].k == kNeed {
					people = people || bytes.TrimLeft(value, " ")[0] >= '1' && bytes.TrimLeft(value, " ")[0] <= '9'
				}
			}
			continue
		}
		for k := range hits {
			if h := &hits[k]; h.start >= nm.start && h.end <= nm.end {
				unresolved = unresolved || e.sigs[h.sig].k == kResolved && denies(value)
				h.dropped = true
			}
		}
	}
	return n, people, unresolved
}

// denies reports whether a field's value says no: 否, 无, 没, 未, "no".
func denies(v []byte) bool {
	v = bytes.TrimLeft(v, " ")
	for _, n := range [...]string{"否", "无", "没", "未", "no"} {
		if bytes.HasPrefix(v, []byte(n)) {
			return true
		}
	}
	return false
}

// fieldStop ends a field name when scanning back from its colon.
func fieldStop(c byte) bool {
	switch c {
	case ' ', ',', '.', ';', '!', '?', ']', '[', ':', '\n', '(', ')':
		return true
	}
	return false
}

// fieldName reports whether b can be a field name: short, letters only.
func fieldName(b []byte) bool {
	if len(b) == 0 || len(b) > maxFieldNameBytes {
		return false
	}
	for _, r := range string(b) {
		if !isHan(r) && !(r >= 'a' && r <= 'z') && r != ' ' && r != '/' {
			return false
		}
	}
	return true
}

// affirms reports whether a field's value says yes: a count above zero
// or 是 / 有 / "yes" first.
func affirms(v []byte) bool {
	v = bytes.TrimLeft(v, " ")
	if len(v) == 0 {
		return false
	}
	if v[0] >= '1' && v[0] <= '9' {
		return true
	}
	for _, y := range [...]string{"是", "有", "yes", "需要"} {
		if bytes.HasPrefix(v, []byte(y)) {
			return true
		}
	}
	return false
}
