package env

import "time"

// Observer counts what the engine does, for the operator's metrics. The
// engine calls it from the hot path, so implementations must be cheap and
// safe for concurrent use. Kinds are "request", "chatter", "command",
// "private", "edit", "membership" and "other".
type Observer interface {
	Message(platform, kind string)
	Request(urgency string)
	AlertSent()
	Triage(d time.Duration)
}

type nopObserver struct{}

func (nopObserver) Message(string, string) {}
func (nopObserver) Request(string)         {}
func (nopObserver) AlertSent()             {}
func (nopObserver) Triage(time.Duration)   {}

// Observe is the engine's observer; a no-op one when none was configured.
func (e *Env) Observe() Observer { return e.observer }
