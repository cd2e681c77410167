package throttle

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 4, 10, 9, 0, 0, 0, time.UTC)

func TestSenderLimitNoticeOncePerPeriod(t *testing.T) {
	th := New(Options{SenderPerMinute: 5, ChatPerMinute: 1000, NoticeEvery: 10 * time.Minute})
	allowed, notices := 0, 0
	now := t0
	// 1,000 messages in one minute from one sender.
	for range 1000 {
		v := th.Allow("spammer", "g", now)
		if v.Allowed {
			allowed++
		} else if v.Scope != ScopeSender {
			t.Fatalf("refused by %q, want sender", v.Scope)
		}
		if v.Notice {
			notices++
		}
		now = now.Add(60 * time.Millisecond)
	}
	// Burst of 5, then 5/min over the 60 s: about 10.
	if allowed < 5 || allowed > 11 {
		t.Errorf("%d answers in a minute at 5/min", allowed)
	}
	if notices != 1 {
		t.Errorf("%d notices in a minute, want 1", notices)
	}
	// Another person in the same chat is unaffected.
	if v := th.Allow("other", "g", now); !v.Allowed {
		t.Errorf("another sender refused: %+v", v)
	}
	// After the notice period, one more notice.
	now = now.Add(10 * time.Minute)
	for range 10 {
		th.Allow("spammer", "g", now)
	}
	if v := th.Allow("spammer", "g", now); v.Allowed || v.Notice {
		t.Errorf("spammer still flooding: %+v, want refused without a second notice", v)
	}
}

func TestChatLimitAcrossSenders(t *testing.T) {
	th := New(Options{SenderPerMinute: 100, ChatPerMinute: 3})
	var got []Verdict
	for i := range 5 {
		got = append(got, th.Allow(fmt.Sprint("p", i), "g", t0))
	}
	for i, v := range got {
		if want := i < 3; v.Allowed != want {
			t.Errorf("message %d allowed=%v, want %v", i, v.Allowed, want)
		}
		if !v.Allowed && (v.Scope != ScopeChat || !v.Notice) {
			t.Errorf("message %d: %+v, want chat scope with a notice to its sender", i, v)
		}
	}
	// Private chats (chat "") have only the sender limit.
	if v := th.Allow("p9", "", t0); !v.Allowed {
		t.Errorf("private message refused by a chat limit: %+v", v)
	}
}

func TestDisabledAndNilAllowEverything(t *testing.T) {
	var nilT *Throttle
	th := New(Options{Disabled: true, SenderPerMinute: 1})
	for range 100 {
		if !th.Allow("a", "g", t0).Allowed || !nilT.Allow("a", "g", t0).Allowed {
			t.Fatal("refused while disabled")
		}
	}
}

func TestSweepForgetsIdlePeople(t *testing.T) {
	th := New(Options{SenderPerMinute: 2, NoticeEvery: time.Minute})
	for i := range 1000 {
		th.Allow(fmt.Sprint("p", i), "", t0)
	}
	if th.Size() < 1000 {
		t.Fatalf("tracking %d, want 1000", th.Size())
	}
	th.Allow("late", "", t0.Add(2*time.Minute))
	if n := th.Size(); n > 1 {
		t.Errorf("still tracking %d after everyone went quiet", n)
	}
}

func BenchmarkAllow(b *testing.B) {
	th := New(Options{})
	now := t0
	for i := range b.N {
		th.Allow(fmt.Sprint("p", i%5000), "g", now)
		now = now.Add(time.Millisecond)
	}
}
