// Package triage decides whether a chat message is a help request, how
// urgent it is, what it is about and why. It is a pure function of the text
// and the lexicon: no I/O, no clock, so it is fast, testable and fuzzable.
package triage

import (
	"fmt"
	"slices"
	"strings"
)

// Urgency orders how soon a request needs a human. The zero value is None.
type Urgency int

// Urgency levels, lowest first, so they compare with < and >.
const (
	None Urgency = iota
	Normal
	High
	Critical
)

var urgencyNames = [...]string{"none", "normal", "high", "critical"}

// String returns the lower-case name used in config, commands and TSV labels.
func (u Urgency) String() string {
	if u < None || u > Critical {
		return fmt.Sprintf("urgency(%d)", int(u))
	}
	return urgencyNames[u]
}

// ParseUrgency reads a level name ("critical", "high", "normal", "none").
func ParseUrgency(s string) (Urgency, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range urgencyNames {
		if s == n {
			return Urgency(i), nil
		}
	}
	return None, fmt.Errorf("unknown urgency %q (want critical, high, normal or none)", s)
}

// MarshalText encodes the level by name (JSON and YAML use it).
func (u Urgency) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText decodes a level name.
func (u *Urgency) UnmarshalText(b []byte) error {
	v, err := ParseUrgency(string(b))
	if err != nil {
		return err
	}
	*u = v
	return nil
}

// Category is what a request is about.
type Category string

// Categories from the design; Other is a request that fits none of them.
const (
	CatMedicalEmergency Category = "medical_emergency"
	CatDialysis         Category = "dialysis"
	CatCancer           Category = "cancer_treatment"
	CatChronicMedicine  Category = "chronic_medication"
	CatMaternalInfant   Category = "maternal_infant"
	CatMentalHealth     Category = "mental_health"
	CatElderlyAlone     Category = "elderly_disabled_alone"
	CatFoodSupplies     Category = "food_supplies"
	CatPet              Category = "pet"
	CatTransport        Category = "transport"
	CatInformation      Category = "information"
	CatRescue           Category = "rescue"
	CatMissingPerson    Category = "missing_person"
	CatShelter          Category = "shelter"
	CatOther            Category = "other"
	CatNone             Category = ""
)

// categories are every category a signal or rule may name, in the order
// people are shown them.
var categories = []Category{
	CatMedicalEmergency, CatDialysis, CatCancer, CatChronicMedicine, CatMaternalInfant,
	CatMentalHealth, CatElderlyAlone, CatRescue, CatMissingPerson, CatFoodSupplies,
	CatShelter, CatPet, CatTransport, CatInformation, CatOther,
}

// Categories lists every category (not CatNone), in display order.
func Categories() []Category { return slices.Clone(categories) }

// Assessment is the triage result for one text.
type Assessment struct {
	IsRequest bool     `json:"is_request"`
	Urgency   Urgency  `json:"urgency"`
	Category  Category `json:"category,omitempty"`
	// Score is the evidence behind Urgency; higher is more urgent: the
	// decision layer's expected level (0–3) when it decides, else the
	// hand-set gate's evidence total.
	Score float64 `json:"score"`
	// Signals are the matched cues in human words, strongest first
	// (e.g. "透析", "两周没做", "老人"); Explain joins them for volunteers.
	Signals []string `json:"signals,omitempty"`
	// Phones are normalised numbers as found (mainland mobile 11 digits,
	// landlines with area code, international with +).
	Phones []string `json:"phones,omitempty"`
	// Places are addresses and place names in text order; fragments written
	// one after the other make one place, coarsest first within it
	// ("武汉市汉阳区动物园路77号1单元"); separate mentions stay separate.
	Places []string `json:"places,omitempty"`
	// Vulnerable lists affected groups: elderly, infant, child, pregnant, disabled.
	Vulnerable []string `json:"vulnerable,omitempty"`
	// Durations are time spans as written ("两周没透析", "3 days").
	Durations []string `json:"durations,omitempty"`
	// Scam is set when the text pushes money transfers or payment codes.
	Scam bool `json:"scam,omitempty"`
	// Resolved is set when the text says the need is already met or withdrawn.
	Resolved bool `json:"resolved,omitempty"`
	// Act is what the message does by its cues (plea, relayed, offer,
	// news, ...), decided before the request decision and weighed in it.
	Act SpeechAct `json:"act,omitempty"`
	// Language is the detected language code ("zh" or "en").
	Language string `json:"language,omitempty"`
	// Fingerprint is a 64-bit SimHash of the normalised text; reposts with
	// small edits are within a few bits (see NearDuplicate).
	Fingerprint uint64 `json:"fingerprint"`
}
