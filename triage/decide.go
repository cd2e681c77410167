package triage

import (
	"math"
	"strings"
)

// The decision layer: a calibrated model over what the lexicon found.
//
// The lexicon's cues are summed by kind (needs, asks, lacks, offers,
// news, ...) and described by their context (negated, in the past,
// inside a tag or a form field name, where in the text, who is affected,
// how severe, the speech act); the hand-set gate's own verdict is one
// more input. The language is not: the training rows of one language come
// from one genre (nearly every Chinese one is an urgent Wuhan plea), and
// a language feature would learn that genre's prior instead of the cues. Three logistic models read these features: is it a
// request (≥ normal), is it urgent (≥ high), is it critical. Their
// weights are trained offline (internal/gen/decide) on guide-labelled
// messages and embedded as data (decide_model.go). Features are kinds,
// never individual patterns, so a team's own lexicon entries feed the
// same model without retraining.

// Feature indexes. The names (featureNames) are written into the
// generated model, and a test checks they still match.
const (
	fNeed = iota
	fNeeds
	fNeedCritical
	fNeedHigh
	fNeedNormal
	fRuleCritical
	fRuleHigh
	fAsk
	fAskStatement
	fAskImplied
	fAskPlace
	fLack
	fUrgent
	fSubject
	fSubjectOther
	fSubjectSelf
	fVulnerable
	fCriticalConcrete
	fOffer
	fNews
	fResolved
	fResolvedLast
	fOpinion
	fComplaint
	fCoordination
	fNotice
	fThanks
	fAd
	fTopic
	fHeadline
	fPleaInTags
	fFormFields
	fPast
	fHistory
	fNegated
	fPresent
	fRoutine
	fFundraise
	fPhone
	fAddress
	fPlaceName
	fDuration
	fLength
	fSentences
	fQuestion
	fExclaim
	fPleaPosition
	fGateRequest
	fGateHigh
	fGateCritical
	fGateScore
	fActPlea
	fActRelayed
	fActOffer
	fActNews
	fActOpinion
	fActCoordination
	fActNotice
	fActThanks
	fActAd
	fAskNoNeed
	fLink
	fMention
	fHashtags
	fUpper
	fCueHigh
	fCueCritical
	nFeatures
)

var featureNames = [nFeatures]string{
	fNeed: "need", fNeeds: "needs", fNeedCritical: "need_critical", fNeedHigh: "need_high",
	fNeedNormal: "need_normal", fRuleCritical: "rule_critical", fRuleHigh: "rule_high",
	fAsk: "ask", fAskStatement: "ask_statement", fAskImplied: "ask_implied", fAskPlace: "ask_place",
	fLack: "lack", fUrgent: "urgent", fSubject: "subject", fSubjectOther: "subject_other",
	fSubjectSelf: "subject_self", fVulnerable: "vulnerable", fCriticalConcrete: "critical_concrete",
	fOffer: "offer", fNews: "news", fResolved: "resolved", fResolvedLast: "resolved_last",
	fOpinion: "opinion", fComplaint: "complaint", fCoordination: "coordination", fNotice: "notice",
	fThanks: "thanks", fAd: "ad", fTopic: "topic", fHeadline: "headline", fPleaInTags: "plea_in_tags",
	fFormFields: "form_fields", fPast: "past", fHistory: "history", fNegated: "negated",
	fPresent: "present", fRoutine: "routine", fFundraise: "fundraise", fPhone: "phone",
	fAddress: "address", fPlaceName: "placename", fDuration: "duration", fLength: "length",
	fSentences: "sentences", fQuestion: "question", fExclaim: "exclaim",
	fPleaPosition: "plea_position", fGateRequest: "gate_request", fGateHigh: "gate_high",
	fGateCritical: "gate_critical", fGateScore: "gate_score", fActPlea: "act_plea",
	fActRelayed: "act_relayed", fActOffer: "act_offer", fActNews: "act_news",
	fActOpinion: "act_opinion", fActCoordination: "act_coordination", fActNotice: "act_notice",
	fActThanks: "act_thanks", fActAd: "act_ad", fAskNoNeed: "ask_no_need", fLink: "link",
	fMention: "mention", fHashtags: "hashtags", fUpper: "upper", fCueHigh: "cue_high",
	fCueCritical: "cue_critical",
}

// FeatureNames lists the decision layer's inputs in order (for the
// training program and for reports).
func FeatureNames() []string { return featureNames[:] }

// Heads of the decision model: cumulative questions about the level.
const (
	headRequest  = iota // urgency ≥ normal
	headUrgent          // urgency ≥ high
	headCritical        // urgency = critical
	nHeads
)

// trainedWeights is what the training program writes (decide_model.go):
// the features it was trained on, by name, and each head's weights in
// that order. Trained is false only before the first training, when the
// hand-set gate decides alone.
type trainedWeights struct {
	Trained   bool
	Features  []string
	Bias      [nHeads]float32
	Weights   [nHeads][]float32
	Threshold [2][nHeads][2]float32
}

// compileModel lays the trained weights out by feature index. A feature
// the model was not trained on weighs nothing (and TestModelMatchesFeatures
// says to retrain); one it knows but the engine no longer computes is
// dropped.
func compileModel(t *trainedWeights) *decisionModel {
	m := &decisionModel{Trained: t.Trained, Bias: t.Bias, Threshold: t.Threshold}
	for i, name := range t.Features {
		for f := range nFeatures {
			if featureNames[f] == name {
				for h := range nHeads {
					if i < len(t.Weights[h]) {
						m.Weights[h][f] = t.Weights[h][i]
					}
				}
			}
		}
	}
	return m
}

// decisionModel is a logistic model per head over the features, laid
// out for the hot path.
type decisionModel struct {
	Trained bool
	Bias    [nHeads]float32
	Weights [nHeads][nFeatures]float32
	// Threshold is each head's threshold per language ([0] Chinese, [1]
	// every other language): [h][0] where the hand-set rules already
	// answer yes to head h's question (the gate for the request head, the
	// cues' level for the others), [h][1] where they answer no. The model
	// overrides the rules only where it is surer than their record on the
	// training rows; [0, 1] leaves the rules alone.
	Threshold [2][nHeads][2]float32
}

// tally is what one pass over the cues found, summed by kind and
// context, for the features.
type tally struct {
	needW, askW, sayW, lackW, urgW, subjW, vulW float64
	actW                                        [nCounterActs]float64
	complaintW, resolvedW, routineW             float64
	needs                                       int
	base, ruleUrg                               Urgency
	askImplied, askPlace                        bool
	subjOther, subjSelf                         bool
	criticalConcrete, resolvedLast              bool
	topics, headline                            bool
	tagged, negated, formFields                 int
	past, history, present, fundraise           bool
	phone, address, placeName, duration         bool
	runes, sentences, questions, exclaims       int
	chinese                                     bool
	pleaPos                                     float64
	gate                                        Urgency
	// cue is the level the cues and rules give, were it a request (the
	// gate's level before the gate).
	cue       Urgency
	gateScore float64
	act       SpeechAct
	// Surface of the raw text: a link, an @mention or retweet opening it,
	// #hashtags, and the share of capital letters (shouting).
	link, mention bool
	hashtags      int
	upper         float64
}

func capf(v, hi float64) float32 { return float32(min(v, hi)) }

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

// features fills x from t. Weights are capped so that one long post
// cannot push a feature far outside what training saw.
func (t *tally) features(x *[nFeatures]float32) {
	x[fNeed] = capf(t.needW, 6) / 3
	x[fNeeds] = capf(float64(t.needs), 4) / 2
	x[fNeedCritical] = b2f(t.base == Critical)
	x[fNeedHigh] = b2f(t.base == High)
	x[fNeedNormal] = b2f(t.base == Normal)
	x[fRuleCritical] = b2f(t.ruleUrg == Critical)
	x[fRuleHigh] = b2f(t.ruleUrg == High)
	x[fAsk] = capf(t.askW, 6) / 2
	x[fAskStatement] = capf(t.sayW, 4) / 2
	x[fAskImplied] = b2f(t.askImplied)
	x[fAskPlace] = b2f(t.askPlace)
	x[fLack] = capf(t.lackW, 4.5) / 1.5
	x[fUrgent] = capf(t.urgW, 3)
	x[fSubject] = capf(t.subjW, 4.5) / 1.5
	x[fSubjectOther] = b2f(t.subjOther)
	x[fSubjectSelf] = b2f(t.subjSelf)
	x[fVulnerable] = capf(t.vulW, 3)
	x[fCriticalConcrete] = b2f(t.criticalConcrete)
	x[fOffer] = capf(t.actW[caOffer], 10) / 3
	x[fNews] = capf(t.actW[caNews]-t.resolvedW, 6) / 2
	x[fResolved] = capf(t.resolvedW, 10) / 5
	x[fResolvedLast] = b2f(t.resolvedLast)
	x[fOpinion] = capf(t.actW[caOpinion]-t.complaintW, 6) / 2
	x[fComplaint] = capf(t.complaintW, 4) / 2
	x[fCoordination] = capf(t.actW[caCoordination], 6) / 2
	x[fNotice] = capf(t.actW[caNotice], 8) / 2
	x[fThanks] = capf(t.actW[caThanks], 4) / 2
	x[fAd] = capf(t.actW[caAd], 6) / 3
	x[fTopic] = b2f(t.topics)
	x[fHeadline] = b2f(t.headline)
	x[fPleaInTags] = capf(float64(t.tagged), 3)
	x[fFormFields] = capf(float64(t.formFields), 10) / 5
	x[fPast] = b2f(t.past)
	x[fHistory] = b2f(t.history)
	x[fNegated] = capf(float64(t.negated), 3)
	x[fPresent] = b2f(t.present)
	x[fRoutine] = capf(t.routineW, 2)
	x[fFundraise] = b2f(t.fundraise)
	x[fPhone] = b2f(t.phone)
	x[fAddress] = b2f(t.address)
	x[fPlaceName] = b2f(t.placeName)
	x[fDuration] = b2f(t.duration)
	x[fLength] = float32(math.Log1p(float64(t.runes))) / 5
	x[fSentences] = capf(float64(t.sentences), 10) / 5
	x[fQuestion] = b2f(t.questions > 0)
	x[fExclaim] = b2f(t.exclaims > 0)
	x[fPleaPosition] = float32(t.pleaPos)
	x[fGateRequest] = b2f(t.gate >= Normal)
	x[fGateHigh] = b2f(t.gate >= High)
	x[fGateCritical] = b2f(t.gate == Critical)
	x[fGateScore] = float32(max(-5, min(t.gateScore, 10))) / 5
	x[fActPlea] = b2f(t.act == ActPlea)
	x[fActRelayed] = b2f(t.act == ActRelayed)
	x[fActOffer] = b2f(t.act == ActOffer)
	x[fActNews] = b2f(t.act == ActNews)
	x[fActOpinion] = b2f(t.act == ActOpinion)
	x[fActCoordination] = b2f(t.act == ActCoordination)
	x[fActNotice] = b2f(t.act == ActNotice)
	x[fActThanks] = b2f(t.act == ActThanks)
	x[fActAd] = b2f(t.act == ActAd)
	x[fAskNoNeed] = b2f(t.needW == 0 && t.askW >= minAsk)
	x[fLink] = b2f(t.link)
	x[fMention] = b2f(t.mention)
	x[fHashtags] = capf(float64(t.hashtags), 6) / 3
	x[fUpper] = float32(t.upper)
	x[fCueHigh] = b2f(t.cue >= High)
	x[fCueCritical] = b2f(t.cue == Critical)
}

// Byte classes for the one-pass shape and surface scans.
const (
	bcCont  = 1 << iota // a UTF-8 continuation byte
	bcEnd               // . ! ? ;
	bcQuest             // ?
	bcExcl              // !
	bcUpper
	bcLetter
	bcHash
)

var byteClass = func() (t [256]uint8) {
	for c := 0x80; c < 0xC0; c++ {
		t[c] = bcCont
	}
	for _, c := range ".!?;" {
		t[c] |= bcEnd
	}
	t['?'] |= bcQuest
	t['!'] |= bcExcl
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = bcUpper | bcLetter
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = bcLetter
	}
	t['#'] = bcHash
	return t
}()

// shape counts, in one pass over the normalised text, its runes, its
// sentences (runs of . ! ? ; and a last one left open) and whether it
// asks or exclaims.
func (t *tally) shape(buf []byte) {
	prevEnd := true
	for _, c := range buf {
		k := byteClass[c]
		if k&bcCont == 0 {
			t.runes++
		}
		if k&bcEnd != 0 {
			if !prevEnd {
				t.sentences++
			}
			t.questions += int(k&bcQuest) / bcQuest
			t.exclaims += int(k&bcExcl) / bcExcl
		}
		prevEnd = k&bcEnd != 0
	}
	if !prevEnd {
		t.sentences++
	}
}

// surface reads the raw text's surface for the tally: links, a leading
// @mention or "RT", #hashtags and capital letters. One pass over bytes.
func (t *tally) surface(text string) {
	t.link = strings.Contains(text, "http") || strings.Contains(text, "www.")
	s := strings.TrimLeft(text, " ")
	t.mention = strings.HasPrefix(s, "@") || strings.HasPrefix(s, "RT ")
	upper, letters := 0, 0
	n := min(len(text), 4*MaxRunes)
	for i := 0; i < n; i++ {
		k := byteClass[text[i]]
		if k&(bcLetter|bcHash) == 0 {
			continue
		}
		if k&bcHash != 0 {
			if i+1 < n && text[i+1] != ' ' && text[i+1] != '#' {
				t.hashtags++
			}
			continue
		}
		letters++
		upper += int(k&bcUpper) / bcUpper
	}
	if letters >= 8 {
		t.upper = float64(upper) / float64(letters)
	}
}

// consulted reports whether the model has any say for a language: it is
// trained and some head's thresholds are not [0, 1] (the rules alone).
func (m *decisionModel) consulted(zh bool) bool {
	if !m.Trained {
		return false
	}
	th := &m.Threshold[1]
	if zh {
		th = &m.Threshold[0]
	}
	for h := range nHeads {
		if th[h][0] > 0 || th[h][1] < 1 {
			return true
		}
	}
	return false
}

// probs returns each head's probability for features x.
func (m *decisionModel) probs(x *[nFeatures]float32) (p [nHeads]float64) {
	for h := range nHeads {
		z := m.Bias[h]
		w := &m.Weights[h]
		for i := range x {
			z += w[i] * x[i]
		}
		p[h] = 1 / (1 + math.Exp(-float64(z)))
	}
	return p
}

// level turns head probabilities into an urgency: the highest level
// whose head and every head below it clear their thresholds (Chinese
// text has its own).
func (m *decisionModel) level(p [nHeads]float64, zh bool, gate, cue Urgency) Urgency {
	th := &m.Threshold[1]
	if zh {
		th = &m.Threshold[0]
	}
	u := None
	for h := range nHeads {
		rules := cue
		if h == headRequest {
			rules = gate
		}
		t := th[h][1]
		if rules >= Urgency(h+1) {
			t = th[h][0]
		}
		if p[h] < float64(t) {
			break
		}
		u = Urgency(h + 1)
	}
	return u
}

// contribution is how much feature i moved head h's log-odds for x.
func (m *decisionModel) contribution(h, i int, x *[nFeatures]float32) float32 {
	return m.Weights[h][i] * x[i]
}
