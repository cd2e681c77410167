package env

import (
	"context"
	"time"
)

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

// Pending holds what is observed inside a transaction that may still roll
// back (a page's group commit, which is redone one message at a time when
// it fails), so that it is counted once, when it commits. One goroutine
// only, like the group it serves.
type Pending struct{ calls []pendingCall }

type pendingCall struct {
	what     byte // 'm' message, 'r' request, 'a' alert sent, 't' triage, 'h' throttled
	a, b     string
	duration time.Duration
}

func (p *Pending) Message(platform, kind string) {
	p.calls = append(p.calls, pendingCall{what: 'm', a: platform, b: kind})
}
func (p *Pending) Request(urgency string) {
	p.calls = append(p.calls, pendingCall{what: 'r', a: urgency})
}
func (p *Pending) AlertSent() { p.calls = append(p.calls, pendingCall{what: 'a'}) }
func (p *Pending) Triage(d time.Duration) {
	p.calls = append(p.calls, pendingCall{what: 't', duration: d})
}

// Throttled keeps a throttle refusal for observers that count them.
func (p *Pending) Throttled(scope string) {
	p.calls = append(p.calls, pendingCall{what: 'h', a: scope})
}

// Flush counts in o what waited, and forgets it.
func (p *Pending) Flush(o Observer) {
	for _, c := range p.calls {
		switch c.what {
		case 'm':
			o.Message(c.a, c.b)
		case 'r':
			o.Request(c.a)
		case 'a':
			o.AlertSent()
		case 't':
			o.Triage(c.duration)
		case 'h':
			if t, ok := o.(interface{ Throttled(string) }); ok {
				t.Throttled(c.a)
			}
		}
	}
	p.calls = nil
}

type pendingKey struct{}

// WithPending makes what is observed under ctx wait in p.
func WithPending(ctx context.Context, p *Pending) context.Context {
	return context.WithValue(ctx, pendingKey{}, p)
}

// ObserveIn is the observer for work done under ctx: the group commit's
// Pending when there is one, else the engine's.
func (e *Env) ObserveIn(ctx context.Context) Observer {
	if p, ok := ctx.Value(pendingKey{}).(*Pending); ok {
		return p
	}
	return e.observer
}
