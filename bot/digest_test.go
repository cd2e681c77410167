package bot_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lifeline-aid/lifeline/adapters/console"
	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// Pleas the triage ranks critical, high and normal.
const (
	criticalPlea = "求助！我父亲需要透析，已经两周没透析了，浦东川沙，电话13812345678"
	normalPlea   = "求助：家里猫粮没了，徐汇区，有没有人能帮忙送点猫粮"
)

// withDigests configures the digests of config.example.yaml plus a
// public line for intake groups.
func withDigests(o *bot.Options) {
	o.Workflow.StaleAfter = 2 * time.Hour
	o.Workflow.Digests = []bot.DigestSpec{
		{Name: "summary", Schedule: "0 8,20 * * *", To: "coordination"},
		{Name: "stale", Schedule: "*/30 * * * *", Kind: "stale"},
		{Name: "thanks", Schedule: "0 20 * * *", Kind: "public"},
	}
}

// runDigests runs what is due at the harness clock and returns how many
// digests ran and what the bot printed.
func runDigests(h *harness) (int, string) {
	h.t.Helper()
	n, err := h.e.RunDueDigests(context.Background())
	if err != nil {
		h.t.Fatalf("run digests: %v", err)
	}
	return n, h.flush()
}

// at moves the harness clock forward to the given time of its day.
func at(h *harness, hour, minute int) {
	h.t.Helper()
	now := h.now()
	target := time.Date(now.Year(), now.Month(), now.Day(), hour, minute, 0, 0, time.UTC)
	if target.Before(now) {
		h.t.Fatalf("at %02d:%02d is before the clock %s", hour, minute, now)
	}
	h.advance(target.Sub(now))
}

func TestSummaryStaleAndPublicDigestsAtControlledClock(t *testing.T) {
	h := newHarness(t, withDigests)
	// The first start only starts the schedules' clocks: nothing is sent.
	if n, out := runDigests(h); n != 0 || out != "" {
		t.Fatalf("first start ran %d digests: %q", n, out)
	}
	h.advance(time.Minute)
	mustContain(t, h.say("[intake] 王阿姨: "+criticalPlea), "case #1")
	h.say("[intake2] 小李: " + normalPlea) // case #2, normal: no alert
	h.say("[volunteers] carol: /volunteer verify")
	h.advance(10 * time.Minute)
	mustContain(t, h.say("[volunteers] carol: /claim 2"), "✓ Case #2 is yours") // first response after 10m

	// 09:30: the stale check runs, but nothing is stale yet: no message.
	at(h, 9, 30)
	if n, out := runDigests(h); n != 1 || out != "" {
		t.Fatalf("09:30: %d digests ran, output %q; want the stale check to run silently", n, out)
	}
	// 11:30: the critical case has gone 2h29m without an update and nobody
	// holds it; the normal case is not urgent, so it is not named.
	at(h, 11, 30)
	n, out := runDigests(h)
	if n != 1 {
		t.Errorf("11:30: %d digests ran, want 1 (stale)", n)
	}
	mustContain(t, out, "[volunteers] lifeline: ⏰ 1 urgent cases with no update for over 2h00m", "#1 🔴 CRITICAL", "held by nobody", "no update for 2h29m")
	mustNotContain(t, out, "#2", "[intake]")
	// Once someone holds it, the reminder names them.
	at(h, 11, 31)
	h.say("[volunteers] carol: /claim 1")
	at(h, 14, 0)
	_, out = runDigests(h)
	mustContain(t, out, "#1", "held by @carol", "no update for 2h29m")
	h.say("[volunteers] admin: /resolve 1 dialysis arranged")

	// 20:00: summary to coordination, thanks to intake groups, and the
	// stale check (silent: the only urgent case is resolved).
	at(h, 20, 0)
	n, out = runDigests(h)
	if n != 3 {
		t.Errorf("20:00: %d digests ran, want 3", n)
	}
	mustContain(t, out, "📋 Summary 04-10 20:00 (since 04-10 09:00)", "New: 2 · Resolved: 1 · Closed: 0",
		"Open: 1 — 🔴 CRITICAL 0 · 🟠 HIGH 0 · 🟢 normal 1", "Open by category: pet 1",
		"Median time to first response: 1h20m (2 cases)", "to resolution: 4h59m (1 cases)")
	mustContain(t, out, "[intake] lifeline: 🙏 Thank you, everyone. Since 04-10 09:00: 2 requests received, 1 resolved; 1 are being followed up",
		"[intake2] lifeline: 🙏 Thank you")
	mustNotContain(t, out, "⏰", "13812345678", "猫粮")

	// The next morning's summary covers only what happened since 20:00.
	at(h, 23, 0)
	h.advance(9 * time.Hour) // 08:00
	_, out = runDigests(h)
	mustContain(t, out, "📋 Summary 04-11 08:00 (since 04-10 20:00)", "New: 0 · Resolved: 0", "Median time to first response: n/a")
	// A quiet day: the public line says nothing rather than "0 requests".
	at(h, 20, 0)
	n, out = runDigests(h)
	if n != 3 {
		t.Errorf("04-11 20:00: %d digests ran, want 3", n)
	}
	mustContain(t, out, "📋 Summary 04-11 20:00")
	mustNotContain(t, out, "🙏", "⏰")
}

func TestDigestCatchesUpOnceAfterDowntime(t *testing.T) {
	h := newHarness(t, func(o *bot.Options) {
		o.Workflow.Digests = []bot.DigestSpec{{Name: "summary", Schedule: "0 8,20 * * *"}}
	})
	runDigests(h)
	at(h, 20, 0)
	if n, out := runDigests(h); n != 1 || strings.Count(out, "📋 Summary") != 1 {
		t.Fatalf("20:00: %d ran, output %q", n, out)
	}
	// The bot is down for three days (six summaries missed) and restarts:
	// one summary catches up, not six.
	h.advance(72*time.Hour + 5*time.Minute)
	e2, err := reopen(h, func(o *bot.Options) {
		o.Workflow.Digests = []bot.DigestSpec{{Name: "summary", Schedule: "0 8,20 * * *"}}
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := e2.RunDueDigests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := h.flush()
	if n != 1 || strings.Count(out, "📋 Summary") != 1 {
		t.Fatalf("after downtime: %d ran, output:\n%s", n, out)
	}
	mustContain(t, out, "📋 Summary 04-13 20:05 (since 04-10 20:00)")
	if n, err := e2.RunDueDigests(context.Background()); n != 0 || err != nil {
		t.Fatalf("caught up twice: %d, %v", n, err)
	}
	// And the schedule goes on from there.
	h.advance(12 * time.Hour)
	if n, err := e2.RunDueDigests(context.Background()); n != 1 || err != nil {
		t.Fatalf("next morning: %d, %v", n, err)
	}
}

// waitState polls a state key until it holds want or the deadline passes.
func waitState(t *testing.T, st *store.Store, key, want string) bool {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		v, err := st.GetState(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		if string(v) == want {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// startRun runs the engine's workers (outbox and schedules) in the
// background; the returned stop ends them and waits. The test reads the
// console output only after stop, when no worker writes to it any more.
func startRun(h *harness) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.e.Run(ctx) }()
	var once bool
	stop = func() {
		if once {
			return
		}
		once = true
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("run: %v", err)
		}
	}
	h.t.Cleanup(stop)
	return stop
}

func TestRunCatchesUpAtStartAndFiresOnTime(t *testing.T) {
	h := newHarness(t, func(o *bot.Options) {
		o.Workflow.Digests = []bot.DigestSpec{{Name: "summary", Schedule: "0 8,20 * * *"}}
	})
	runDigests(h) // 09:00: the schedule's clock starts
	at(h, 20, 10) // the bot was down at 20:00

	stop := startRun(h)
	if !waitState(t, h.st, "digest:summary", h.now().Format(time.RFC3339Nano)) {
		t.Fatal("Run did not catch up the missed summary at start")
	}
	stop()
	if got := strings.Count(h.flush(), "📋 Summary"); got != 1 {
		t.Errorf("catch-up printed %d summaries, want 1", got)
	}

	// Restart a moment before 08:00: the loop sleeps until the slot, and
	// when the clock reaches it the summary goes out.
	h.advance(11*time.Hour + 49*time.Minute + 59*time.Second + 800*time.Millisecond)
	stop = startRun(h)
	time.Sleep(100 * time.Millisecond)
	if v, _ := h.st.GetState(context.Background(), "digest:summary"); !strings.Contains(string(v), "T20:10:00") {
		t.Fatalf("summary ran before its time: last run %s", v)
	}
	h.advance(200 * time.Millisecond)
	if !waitState(t, h.st, "digest:summary", "2026-04-11T08:00:00Z") {
		t.Fatal("Run did not send the 08:00 summary")
	}
	stop()
	if got := strings.Count(h.flush(), "📋 Summary 04-11 08:00"); got != 1 {
		t.Errorf("%d summaries at 08:00, want 1", got)
	}
}

func TestBadDigestConfigFailsStart(t *testing.T) {
	h := newHarness(t)
	for name, tc := range map[string]struct {
		spec bot.DigestSpec
		want string
	}{
		"schedule": {bot.DigestSpec{Name: "daily", Schedule: "at eight"}, `digest "daily": schedule "at eight"`},
		"kind":     {bot.DigestSpec{Name: "x", Schedule: "@daily", Kind: "weekly"}, `unknown kind "weekly"`},
		"to":       {bot.DigestSpec{Name: "x", Schedule: "@daily", To: "volunteers"}, `to "volunteers"`},
		"name":     {bot.DigestSpec{Schedule: "@daily"}, "no name"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := reopen(h, func(o *bot.Options) { o.Workflow.Digests = []bot.DigestSpec{tc.spec} })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestDigestToOneChatInItsLanguage(t *testing.T) {
	h := newHarness(t, func(o *bot.Options) {
		o.Groups = append([]bot.GroupBinding{}, defaultGroups...)
		o.Groups = append(o.Groups, bot.GroupBinding{Chat: "console:leads", Role: store.RoleCoordination, Language: "zh"})
		o.Workflow.Digests = []bot.DigestSpec{{Name: "leads", Schedule: "@hourly", To: "console:leads"}}
	})
	runDigests(h)
	h.advance(time.Minute)
	h.say("[intake] 王阿姨: " + criticalPlea)
	h.advance(59 * time.Minute)
	_, out := runDigests(h)
	mustContain(t, out, "[leads] lifeline: 📋 汇总 04-10 10:00（自 04-10 09:00 起）", "新增：1", "未结：1 — 🔴 危急 1", "首次响应时间中位数：暂无")
	mustNotContain(t, out, "[volunteers]", "Summary")
}

func TestStatsCommand(t *testing.T) {
	h := newHarness(t)
	h.say("[volunteers] carol: /volunteer")
	h.say("[intake] 王阿姨: " + criticalPlea)
	h.advance(30 * time.Minute)
	h.say("[intake] 小李: " + normalPlea)
	h.say("[volunteers] carol: /claim 1")
	out := h.say("[volunteers] carol: /stats")
	mustContain(t, out, "📊 Stats, last 24h: 2 cases", "By status: new 1 · verifying 1",
		"By urgency: 🔴 CRITICAL 1 · 🟠 HIGH 0 · 🟢 normal 1", "By category:", "dialysis 1", "pet 1",
		"Resolved in this period: 0 · closed: 0 · open now: 2", "Median time to first response: 30m (1 cases)")
	h.advance(48 * time.Hour)
	mustContain(t, h.say("[volunteers] carol: /stats 24h"), "last 24h: 0 cases", "open now: 2")
	mustContain(t, h.say("[volunteers] carol: /stats 7d"), "last 7 days: 2 cases")
	mustContain(t, h.say("[volunteers] carol: /stats today"), "today: 0 cases")
	mustContain(t, h.say("[volunteers] carol: /stats all"), "all time: 2 cases")
	mustContain(t, h.say("[volunteers] carol: /stats forever"), `"forever" is not a period`, "Usage: /stats")
	mustContain(t, h.say("[volunteers] bob: /stats"), "for registered volunteers")
	mustContain(t, h.say("[intake] carol: /stats"), "coordination chat")
}

func TestDigestCommand(t *testing.T) {
	h := newHarness(t, withDigests)
	h.say("[volunteers] carol: /volunteer")
	h.say("[intake] 王阿姨: " + criticalPlea)
	out := h.say("[volunteers] carol: /digest")
	mustContain(t, out, "[volunteers] lifeline: 📋 Summary", "New: 1", "Open: 1 — 🔴 CRITICAL 1")
	mustNotContain(t, out, "13812345678")
	mustContain(t, h.say("[volunteers] bob: /digest"), "for registered volunteers")
	// /digest does not move the scheduled summary's clock.
	if v, err := h.st.GetState(context.Background(), "digest:summary"); err != nil || v != nil {
		t.Errorf("/digest wrote the schedule state: %q, %v", v, err)
	}
}

func TestStaleDigestMasksOutsideCoordination(t *testing.T) {
	h := newHarness(t, func(o *bot.Options) {
		o.Workflow.Digests = []bot.DigestSpec{
			{Name: "stale-team", Schedule: "@hourly", Kind: "stale", StaleAfter: time.Hour},
			{Name: "stale-broadcast", Schedule: "@hourly", Kind: "stale", StaleAfter: time.Hour, To: "console:broadcast"},
		}
	})
	runDigests(h)
	h.say("[intake] 王阿姨: 求助！我父亲需要透析，电话13812345678，已经两周没透析了")
	h.advance(2 * time.Hour)
	n, out := runDigests(h)
	if n != 2 {
		t.Errorf("%d digests ran, want 2", n)
	}
	mustContain(t, lineWith(out, "[volunteers]"), "⏰ 1 urgent cases with no update for over 1h00m")
	mustContain(t, out, "电话13812345678", "电话138****5678")
	if strings.Count(out, "13812345678") != 1 {
		t.Errorf("the phone appears outside the coordination chat:\n%s", out)
	}
}

func TestStatsInChinese(t *testing.T) {
	h := newHarness(t, func(o *bot.Options) { o.Language = "zh" })
	h.say("[volunteers] carol: /volunteer")
	h.say("[intake] 王阿姨: " + criticalPlea)
	out := h.say("[volunteers] carol: /stats 7d")
	mustContain(t, out, "📊 统计，最近7天：共 1 条求助", "按状态：新建 1", "按紧急程度：🔴 危急 1", "按类别：透析 1", "当前未结：1")
	mustContain(t, h.say("[volunteers] carol: /stats 1y"), `"1y" 不是时间段`)
}

// TestScheduleLoopOverDaysWithFakeTime runs the real scheduler loop for
// three days of fake time (testing/synctest): every 08:00 and 20:00 slot
// sends exactly one summary, on time.
func TestScheduleLoopOverDaysWithFakeTime(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st, err := store.Open(ctx, filepath.Join(dir, "lifeline.db"), store.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		e, err := bot.New(ctx, bot.Options{Store: st, Triage: triage.Default(), Location: time.UTC, Language: "en",
			Groups:   defaultGroups,
			Workflow: bot.WorkflowOptions{Digests: []bot.DigestSpec{{Name: "summary", Schedule: "0 8,20 * * *"}}}})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		e.AddPlatform(console.New(console.Options{Out: &out}))
		start := time.Now() // the bubble's clock: 2000-01-01 00:00 UTC
		if _, err := e.RunDueDigests(ctx); err != nil {
			t.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- e.Run(runCtx) }()
		time.Sleep(72*time.Hour + time.Minute)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		var stamps []string
		for _, l := range strings.Split(out.String(), "\n") {
			if _, after, ok := strings.Cut(l, "📋 Summary "); ok {
				stamps = append(stamps, after[:11])
			}
		}
		want := []string{"01-01 08:00", "01-01 20:00", "01-02 08:00", "01-02 20:00", "01-03 08:00", "01-03 20:00"}
		if strings.Join(stamps, ",") != strings.Join(want, ",") {
			t.Errorf("summaries at %v, want %v (from %s)", stamps, want, start.Format(time.DateTime))
		}
	})
}
