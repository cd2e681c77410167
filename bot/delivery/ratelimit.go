package delivery

import (
	"sync"
	"time"

	"github.com/lifeline-aid/lifeline/bot/platform"
)

// limiter enforces sliding-window rates per key: a key may have at most N
// sends inside any window of length Period. A sliding log (not a token
// bucket) is used because platforms count "20 per minute" strictly, and a
// bucket's burst at a window edge could exceed it.
type limiter struct {
	mu      sync.Mutex
	windows map[string][]time.Time // sorted send times inside the current window
	paused  map[string]time.Time   // key → not before (from a 429's retry_after)
}

func newLimiter() *limiter {
	return &limiter{windows: map[string][]time.Time{}, paused: map[string]time.Time{}}
}

// wait reports how long to wait before one more send on key is allowed at
// now; zero means now.
func (l *limiter) wait(key string, r platform.Rate, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waitLocked(key, r, now)
}

func (l *limiter) waitLocked(key string, r platform.Rate, now time.Time) time.Duration {
	var d time.Duration
	if until, ok := l.paused[key]; ok {
		if until.After(now) {
			d = until.Sub(now)
		} else {
			delete(l.paused, key)
		}
	}
	if r.N <= 0 || r.Period <= 0 {
		return d
	}
	w := l.prune(key, r, now)
	if len(w) >= r.N {
		// The oldest send inside the window must leave it first.
		if free := w[len(w)-r.N].Add(r.Period).Sub(now); free > d {
			d = free
		}
	}
	return d
}

// available reports how many sends key could make right now.
func (l *limiter) available(key string, r platform.Rate, now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until, ok := l.paused[key]; ok && until.After(now) {
		return 0
	}
	if r.N <= 0 || r.Period <= 0 {
		return int(^uint(0) >> 1)
	}
	return max(0, r.N-len(l.prune(key, r, now)))
}

// take records a send on key at now.
func (l *limiter) take(key string, r platform.Rate, now time.Time) {
	if r.N <= 0 || r.Period <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.windows[key] = append(l.prune(key, r, now), now)
}

// pause blocks key until t (a platform said "retry after").
func (l *limiter) pause(key string, t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.paused[key]) {
		l.paused[key] = t
	}
}

func (l *limiter) prune(key string, r platform.Rate, now time.Time) []time.Time {
	w := l.windows[key]
	cut := 0
	for cut < len(w) && !w[cut].After(now.Add(-r.Period)) {
		cut++
	}
	if cut > 0 {
		w = append(w[:0], w[cut:]...)
		l.windows[key] = w
	}
	if len(w) == 0 {
		delete(l.windows, key)
	}
	return w
}
