package board_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// browser starts headless Chromium (Debian's chromium) for one test.
// Without it the test is skipped, unless LIFELINE_REQUIRE_CHROMIUM is set
// (CI installs it and sets it, so the browser tests cannot silently skip).
func browser(t testing.TB) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("LIFELINE_REQUIRE_CHROMIUM") != "" {
			t.Fatal("chromium not found and LIFELINE_REQUIRE_CHROMIUM is set (apt-get install chromium)")
		}
		t.Skip("chromium not installed; set LIFELINE_REQUIRE_CHROMIUM=1 to fail instead")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first run starts the browser, which lives as long as ctx: no
	// timeout on it (steps get theirs from do).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// do runs steps with a bound, so a broken page fails the test, not CI.
func do(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// run runs one action that returns a value, with a bound.
func run[T any](t testing.TB, ctx context.Context, a chromedp.Action[T]) (T, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return chromedp.Run(ctx, a)
}

type css = chromedp.CSS

// TestBrowser walks the board in a real browser: the sign-in link opens the
// sheet with the case; a /claim in chat changes the row within a second
// without a reload; a claim on the board edits the chat card and shows in
// the history under the person's id; a request without the CSRF token is
// refused; signed out, the board shows no data.
func TestBrowser(t *testing.T) {
	ctx := browser(t)
	h := newHarness(t)
	h.team()
	mustContain(t, h.say("[intake] Wang: 爷爷透析两周没做了，急需帮忙，电话 13800001111，徐汇区"), "#2")

	// 1. The link from the bot opens the sheet with the case.
	if err := do(t, ctx,
		chromedp.Navigate(h.link("vol")),
		chromedp.Click(css("#signin")),
		chromedp.WaitVisible(css("#case-1")),
	); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	row, err := run(t, ctx, chromedp.Text(css("#case-1")))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, row, "#1", "胰岛素")

	// 2. A /claim in chat changes the row within a second, without reload.
	if _, err := run(t, ctx, chromedp.Poll[bool](`!document.getElementById("live").hidden`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("live stream not open: %v", err)
	}
	if _, err := run(t, ctx, chromedp.Evaluate[bool](`window.notReloaded = true`)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	mustContain(t, h.say("[volunteers] coord: /claim 1"), "yours")
	if _, err := run(t, ctx, chromedp.Poll[bool](`document.querySelector("#case-1 .as").textContent.includes("coord")`,
		chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(time.Second))); err != nil {
		t.Fatalf("row did not change within a second of /claim: %v", err)
	}
	took := time.Since(start)
	if same, err := run(t, ctx, chromedp.Evaluate[bool](`window.notReloaded === true`)); err != nil || !same {
		t.Fatalf("the page reloaded (%v)", err)
	}
	t.Logf("chat /claim → row changed in the browser: %v", took)

	// 3. A claim on the board edits the chat card and shows in the history.
	if err := do(t, ctx, chromedp.Navigate(h.srv.URL+"/board/case/2")); err != nil {
		t.Fatalf("case page: %v", err)
	}
	if err := do(t, ctx,
		chromedp.Click(css("#act-claim")),
		chromedp.WaitVisible(css(".flash")),
	); err != nil {
		t.Fatalf("claim on the board: %v", err)
	}
	history, err := run(t, ctx, chromedp.Text(css("#history")))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, history, "@vol")
	mustContain(t, h.flush(), "[volunteers] lifeline (edits", "vol")
	var c2 *store.Case
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		c2, err = tx.Case(2)
		return err
	}); err != nil || len(c2.Assignees) != 1 || c2.Assignees[0] != "console:vol" {
		t.Fatalf("case 2 holders %v (%v)", c2.Assignees, err)
	}

	// 4. A forged action without the CSRF token is refused, even from the
	// board's own page with the session cookie.
	status, err := run(t, ctx, chromedp.Evaluate[int](`fetch("/board/case/1", {method: "POST", credentials: "same-origin",
		headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "action=resolve"}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if status != 403 {
		t.Fatalf("forged action: %v, want 403", status)
	}

	// 5. Signed out, nothing.
	if err := do(t, ctx,
		chromedp.Navigate(h.srv.URL+"/board/"),
		chromedp.Click(css("nav button")),
		chromedp.WaitVisible(css(".msg")),
		chromedp.Navigate(h.srv.URL+"/board/case/1"),
	); err != nil {
		t.Fatal(err)
	}
	body, err := run(t, ctx, chromedp.Text(css("body")))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, body, "not signed in")
	mustNotContain(t, body, "胰岛素", "13912340000")
}

// seedMixed stores n cases of every urgency and several categories,
// groups and districts, a minute apart, some taken and stale.
func (h *harness) seedMixed(n int) {
	h.t.Helper()
	now := h.now()
	urg := []triage.Urgency{triage.Normal, triage.High, triage.Normal, triage.Critical, triage.Normal, triage.High, triage.Normal}
	cats := []triage.Category{triage.CatFoodSupplies, triage.CatChronicMedicine, triage.CatDialysis, triage.CatMedicalEmergency, triage.CatElderlyAlone, triage.CatMaternalInfant, triage.CatPet}
	texts := []string{"小区封控三天，家里没有米和菜了，老人两个", "母亲高血压药只剩两天，求助购药", "父亲透析已经错过一次，需要车送医院", "邻居老人晕倒，呼吸困难，急需120", "独居老人行动不便，需要送饭", "孕妇38周，产检无法出门", "猫粮吃完了，求助"}
	districts := []string{"浦东新区张江镇", "黄浦区南京东路", "徐汇区田林街道", "静安区彭浦镇", "闵行区莘庄"}
	if err := h.st.Update(context.Background(), func(tx *store.Tx) error {
		for i := range n {
			k := i % len(urg)
			at := now.Add(-time.Duration(n-i) * time.Minute)
			c := &store.Case{Text: texts[k] + "，电话 139" + strconv.Itoa(10000000+i), Status: store.StatusNew, Urgency: urg[k], Category: cats[k],
				SourceChat: []string{"console:intake", "console:intake2"}[i%2], Address: districts[i%len(districts)],
				Phones: []string{"139" + strconv.Itoa(10000000+i)}, Created: at, Updated: at}
			c.Assessment.Places = []string{districts[i%len(districts)]}
			if i%4 == 1 {
				c.Status, c.Assignees, c.FirstResponse = store.StatusInProgress, []string{"console:vol"}, at.Add(20*time.Minute)
			}
			if i%9 == 2 {
				c.Status, c.Finished = store.StatusResolved, at.Add(3*time.Hour)
			}
			if err := tx.CreateCase(c); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		h.t.Fatal(err)
	}
}

// TestScreenshot saves a picture of the sheet to LIFELINE_BOARD_SHOT (not
// part of the normal run: the README describes the picture).
func TestScreenshot(t *testing.T) {
	out := os.Getenv("LIFELINE_BOARD_SHOT")
	if out == "" {
		t.Skip("set LIFELINE_BOARD_SHOT=/path/shot.png to save a screenshot")
	}
	ctx := browser(t)
	h := newHarness(t)
	h.team()
	h.advance(3 * time.Hour)
	h.seedMixed(40)
	if err := do(t, ctx, chromedp.Navigate(h.link("coord")), chromedp.Click(css("#signin")), chromedp.WaitVisible(css("#case-1"))); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, ctx, chromedp.Poll[bool](`!document.getElementById("live").hidden`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatal(err)
	}
	png, err := run(t, ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFirstPaintFigure reports the first contentful paint of the sheet with
// 10,000 cases when LIFELINE_BOARD_FIGURES is set (it takes a while to
// seed; not part of the normal run).
func TestFirstPaintFigure(t *testing.T) {
	if os.Getenv("LIFELINE_BOARD_FIGURES") == "" {
		t.Skip("set LIFELINE_BOARD_FIGURES=1 to measure")
	}
	ctx := browser(t)
	h := newHarness(t)
	h.team()
	h.seedMixed(10000)
	if err := do(t, ctx, chromedp.Navigate(h.link("coord")), chromedp.Click(css("#signin")), chromedp.WaitVisible(css("#rows"))); err != nil {
		t.Fatal(err)
	}
	var fcps []float64
	for range 5 {
		if err := do(t, ctx, chromedp.Navigate(h.srv.URL+"/board/"), chromedp.WaitVisible(css("#rows"))); err != nil {
			t.Fatal(err)
		}
		fcp, err := run(t, ctx, chromedp.Poll[float64](`(performance.getEntriesByName("first-contentful-paint")[0]||{}).startTime`, chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			t.Fatal(err)
		}
		fcps = append(fcps, fcp)
	}
	sizes, err := run(t, ctx, chromedp.Evaluate[string](`performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource")).map(e => e.name + " " + e.decodedBodySize + " B").join("\n")`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first contentful paint with 10,000 cases, 5 loads (ms): %v\nbodies:\n%s", fcps, sizes)
}
