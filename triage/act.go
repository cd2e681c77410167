package triage

// SpeechAct is what a message does: ask for help (for the writer or for
// someone else), offer it, report, give an opinion, coordinate
// volunteers, warn, thank or pray, advertise — or none of these (chat).
// It is decided from the kinds of the cues found, before the request
// decision, and is one of that decision's inputs: a counter-act weighs
// against a plea, it does not veto one ("a request mixed with other
// content is the request").
type SpeechAct string

// Speech acts. ActPlea is a plea for the writer (or the writer's own
// household); ActRelayed is a plea for someone else (a relative, a
// neighbour, "someone trapped").
const (
	ActChat         SpeechAct = "chat"
	ActPlea         SpeechAct = "plea"
	ActRelayed      SpeechAct = "relayed"
	ActOffer        SpeechAct = "offer"
	ActNews         SpeechAct = "news"
	ActOpinion      SpeechAct = "opinion"
	ActCoordination SpeechAct = "coordination"
	ActNotice       SpeechAct = "notice"
	ActThanks       SpeechAct = "thanks"
	ActAd           SpeechAct = "ad"
)

// Acts lists every speech act, in the order reports show them.
var Acts = []SpeechAct{ActPlea, ActRelayed, ActOffer, ActNews, ActOpinion, ActCoordination, ActNotice, ActThanks, ActAd, ActChat}

// counterAct indexes the acts that argue against a plea (actW in Assess).
type counterAct uint8

const (
	caNone counterAct = iota
	caOffer
	caNews
	caOpinion
	caCoordination
	caNotice
	caThanks
	caAd
	nCounterActs
)

var counterActs = [nCounterActs]SpeechAct{caNone: ActChat, caOffer: ActOffer, caNews: ActNews,
	caOpinion: ActOpinion, caCoordination: ActCoordination, caNotice: ActNotice, caThanks: ActThanks, caAd: ActAd}

// actOf is the counter-act a cue kind supports; caNone for kinds that
// support none (needs, asks, grammar).
func actOf(k kindID) counterAct {
	switch k {
	case kOffer:
		return caOffer
	case kNews, kResolved:
		return caNews
	case kComplaint, kOpinion, kJoke:
		return caOpinion
	case kCoordination, kRules:
		return caCoordination
	case kNotice:
		return caNotice
	case kThanks, kPrayer:
		return caThanks
	case kAd, kScam:
		return caAd
	}
	return caNone
}

// decideAct picks the act with the most evidence: the plea's own
// (pleaW) against each counter-act's. A plea is relayed when it names
// someone other than the writer.
func decideAct(pleaW float64, actW *[nCounterActs]float64, other bool) SpeechAct {
	best, bestW := caNone, 0.0
	for c := caOffer; c < nCounterActs; c++ {
		if actW[c] > bestW {
			best, bestW = c, actW[c]
		}
	}
	if pleaW > 0 && pleaW >= bestW {
		if other {
			return ActRelayed
		}
		return ActPlea
	}
	return counterActs[best]
}
