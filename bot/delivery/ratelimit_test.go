package delivery

import (
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot/platform"
)

func TestLimiterSlidingWindow(t *testing.T) {
	l := newLimiter()
	r := platform.Rate{N: 3, Period: time.Minute}
	t0 := time.Date(2026, 4, 10, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		now := t0.Add(time.Duration(i) * 10 * time.Second)
		if w := l.wait("c", r, now); w != 0 {
			t.Fatalf("send %d waits %v", i+1, w)
		}
		l.take("c", r, now)
	}
	// The fourth send waits until the first leaves the window, 60s after it.
	now := t0.Add(30 * time.Second)
	if w := l.wait("c", r, now); w != 30*time.Second {
		t.Errorf("fourth send waits %v, want 30s", w)
	}
	if n := l.available("c", r, now); n != 0 {
		t.Errorf("available = %d, want 0", n)
	}
	if n := l.available("c", r, t0.Add(61*time.Second)); n != 1 {
		t.Errorf("available after the first left = %d, want 1", n)
	}
	if w := l.wait("other", r, now); w != 0 {
		t.Errorf("another key waits %v", w)
	}
}

func TestLimiterPause(t *testing.T) {
	l := newLimiter()
	t0 := time.Date(2026, 4, 10, 9, 0, 0, 0, time.UTC)
	l.pause("c", t0.Add(5*time.Second))
	l.pause("c", t0.Add(2*time.Second)) // an earlier pause never shortens a later one
	if w := l.wait("c", platform.Rate{}, t0); w != 5*time.Second {
		t.Errorf("paused key waits %v, want 5s", w)
	}
	if n := l.available("c", platform.Rate{}, t0); n != 0 {
		t.Errorf("paused key has %d sends available", n)
	}
	if w := l.wait("c", platform.Rate{}, t0.Add(6*time.Second)); w != 0 {
		t.Errorf("after the pause: waits %v", w)
	}
}
