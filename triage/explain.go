package triage

import "strings"

// Explain is the one-line "why" shown to volunteers: the matched signals,
// strongest first, and the verdict, e.g. "透析 + 两周没做 + 老人 → critical".
// Flags for scams and resolved pleas are appended so nobody misses them.
func (a Assessment) Explain() string {
	var sb strings.Builder
	if len(a.Signals) == 0 {
		sb.WriteString("-")
	} else {
		sb.WriteString(strings.Join(a.Signals, " + "))
	}
	sb.WriteString(" → ")
	sb.WriteString(a.Urgency.String())
	if a.Scam {
		sb.WriteString(" [scam?]")
	}
	if a.Resolved {
		sb.WriteString(" [resolved]")
	}
	return sb.String()
}
