package board_test

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot/board"
	"github.com/lifeline-aid/lifeline/store"
)

func TestSignInLinkOpensTheSheetOnce(t *testing.T) {
	h := newHarness(t)
	h.team()
	c := h.client()
	link := h.link("vol")
	// The link page alone signs nobody in (chat previews fetch links).
	code, body := c.get(link)
	if code != http.StatusOK {
		t.Fatalf("link page %d", code)
	}
	mustNotContain(t, body, "13912340000", "胰岛素")
	u, _ := url.Parse(link)
	token := u.Query().Get("t")
	resp, err := c.c.PostForm(h.srv.URL+"/board/login", url.Values{"t": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-in without Origin: %d, want 403", resp.StatusCode)
	}
	// With the board's origin: the cookie, then the sheet with the case.
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/board/login", strings.NewReader(url.Values{"t": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", h.srv.URL)
	noFollow := &http.Client{Jar: c.jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	raw := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Max-Age=43200", "Path=/board/"} {
		if !strings.Contains(raw, want) {
			t.Errorf("cookie %q lacks %s", raw, want)
		}
	}
	if strings.Contains(raw, "Secure") {
		t.Errorf("cookie %q is Secure on a plain-http board", raw)
	}
	code, body = c.get("/board/")
	if code != http.StatusOK {
		t.Fatalf("sheet %d", code)
	}
	mustContain(t, body, `id="case-1"`, "u-high", "胰岛素", "互助1群")
	// A spent link does not work twice, not even for the same browser.
	c2 := h.client()
	if code, _ := c2.post("/board/login", url.Values{"t": {token}}, h.srv.URL); code != http.StatusForbidden {
		t.Fatalf("second use of a link: %d, want 403", code)
	}
	// An unused link expires after 10 minutes.
	late := h.link("vol")
	h.advance(board.LinkTTL + time.Second)
	lu, _ := url.Parse(late)
	if code, _ := c2.get(late); code != http.StatusForbidden {
		t.Fatalf("expired link page: %d, want 403", code)
	}
	if code, _ := c2.post("/board/login", url.Values{"t": {lu.Query().Get("t")}}, h.srv.URL); code != http.StatusForbidden {
		t.Fatalf("expired link: %d, want 403", code)
	}
	// The store keeps hashes, never the token itself.
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		v, err := tx.GetState("board:login:" + token)
		if v != nil {
			t.Errorf("token stored in clear")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func TestSecureCookieBehindHTTPS(t *testing.T) {
	h := newHarness(t, func(o *board.Options) { o.PublicURL = "https://lifeline.example.org/" })
	h.team()
	link := h.link("vol")
	if !strings.HasPrefix(link, "https://lifeline.example.org/board/login?t=") {
		t.Fatalf("link %s does not use the public URL", link)
	}
	c := h.client()
	u, _ := url.Parse(link)
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/board/login", strings.NewReader(url.Values{"t": {u.Query().Get("t")}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://lifeline.example.org")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Jar: c.jar}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Set-Cookie"), "Secure") {
		t.Fatalf("sign-in behind https: %d, cookie %q", resp.StatusCode, resp.Header.Get("Set-Cookie"))
	}
}

func TestBoardLinkGoesOnlyToThePrivateChat(t *testing.T) {
	h := newHarness(t)
	h.team()
	out := h.say("[volunteers] vol: /board")
	mustContain(t, out, "[@vol] lifeline:", "/board/login?t=", "[volunteers] lifeline:")
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "[volunteers]") && strings.Contains(line, "login") {
			t.Errorf("the link reached the group: %s", line)
		}
	}
	// Someone the bot has no private chat with is asked to write first.
	h.say("[volunteers] admin: /grant @coord volunteer")
	h.say("[volunteers] nopm: hello")
	h.say("[volunteers] admin: /grant @nopm volunteer")
	out = h.say("[volunteers] nopm: /board")
	mustContain(t, out, "private chat")
	mustNotContain(t, out, "login?t=")
	// Strangers get no link anywhere.
	out = h.say("[@stranger] stranger: /board")
	mustNotContain(t, out, "login?t=")
}

func TestNoSessionNoData(t *testing.T) {
	h := newHarness(t)
	h.team()
	c := h.client()
	for _, path := range []string{"/board/", "/board/case/1", "/board/dir", "/board/stats", "/board/events", "/board/?fragment=rows", "/board/?q=139"} {
		code, body := c.get(path)
		if code != http.StatusUnauthorized {
			t.Errorf("%s without a session: %d, want 401", path, code)
		}
		mustNotContain(t, body, "13912340000", "胰岛素", "case-1")
	}
	// A made-up cookie is no session either.
	u, _ := url.Parse(h.srv.URL + "/board/")
	c.jar.SetCookies(u, []*http.Cookie{{Name: "lifeline_board", Value: "forged"}})
	if code, body := c.get("/board/"); code != http.StatusUnauthorized || strings.Contains(body, "胰岛素") {
		t.Errorf("forged cookie: %d", code)
	}
	if code, _ := c.post("/board/case/1", url.Values{"action": {"claim"}}, h.srv.URL); code != http.StatusUnauthorized {
		t.Errorf("action without a session: %d, want 401", code)
	}
}

func TestClaimOnTheBoardEditsTheChatCardAndIsAudited(t *testing.T) {
	h := newHarness(t)
	h.team()
	c := h.signIn("vol")
	code, body := c.act(1, url.Values{"action": {"claim"}})
	if code != http.StatusOK {
		t.Fatalf("claim: %d\n%s", code, body)
	}
	mustContain(t, body, "Done.", "@vol")
	// The chat card is edited in place, naming the volunteer.
	out := h.flush()
	mustContain(t, out, "[volunteers] lifeline (edits", "vol")
	// The history records the claim under the person's id.
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		evs, err := tx.Events(1)
		for _, ev := range evs {
			if ev.Kind == "assign" || ev.Kind == "claim" {
				if ev.Actor != "console:vol" {
					t.Errorf("claim event by %q", ev.Actor)
				}
				return err
			}
		}
		t.Errorf("no claim event in %+v", evs)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// The same rule as in chat: a second claim is a conflict, shown.
	code, body = c.act(1, url.Values{"action": {"claim"}})
	if code != http.StatusConflict {
		t.Fatalf("second claim: %d", code)
	}
	mustContain(t, body, `class="error"`)
	// A volunteer may not close (coordinators only): refused, unchanged.
	code, body = c.act(1, url.Values{"action": {"close"}, "reason": {"invalid"}})
	if code != http.StatusForbidden {
		t.Fatalf("volunteer close: %d", code)
	}
	mustContain(t, body, "coordinator")
	// A coordinator can.
	cc := h.signIn("coord")
	if code, body := cc.act(1, url.Values{"action": {"close"}, "reason": {"invalid"}, "note": {"prank"}}); code != http.StatusOK {
		t.Fatalf("coordinator close: %d\n%s", code, body)
	}
	_, page := cc.get("/board/case/1")
	mustContain(t, page, "prank")
}

func TestForgedActionsAreRefused(t *testing.T) {
	h := newHarness(t)
	h.team()
	c := h.signIn("vol")
	_, page := c.get("/board/case/1")
	token := c.csrf(page)
	cases := []struct {
		name   string
		form   url.Values
		origin string
	}{
		{"no token", url.Values{"action": {"claim"}}, h.srv.URL},
		{"wrong token", url.Values{"action": {"claim"}, "csrf": {"x" + token}}, h.srv.URL},
		{"foreign origin", url.Values{"action": {"claim"}, "csrf": {token}}, "https://evil.example"},
		{"no origin", url.Values{"action": {"claim"}, "csrf": {token}}, ""},
	}
	for _, tc := range cases {
		if code, _ := c.post("/board/case/1", tc.form, tc.origin); code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", tc.name, code)
		}
	}
	if out := h.flush(); strings.Contains(out, "edits") {
		t.Errorf("a refused action changed the card:\n%s", out)
	}
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		cs, err := tx.Case(1)
		if err == nil && len(cs.Assignees) != 0 {
			t.Errorf("forged claim took effect: %v", cs.Assignees)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(h.logs.String(), "CSRF check failed"); n != len(cases) {
		t.Errorf("%d refusals logged, want %d", n, len(cases))
	}
}

func TestRevokingTheRoleEndsTheSession(t *testing.T) {
	h := newHarness(t)
	h.team()
	c := h.signIn("vol")
	if code, _ := c.get("/board/"); code != http.StatusOK {
		t.Fatalf("signed in: %d", code)
	}
	mustContain(t, h.say("[volunteers] admin: /revoke @vol volunteer"), "no longer")
	if code, body := c.get("/board/"); code != http.StatusUnauthorized || strings.Contains(body, "胰岛素") {
		t.Fatalf("after the role was revoked: %d", code)
	}
	// Granting it again does not bring the old session back.
	h.say("[volunteers] admin: /grant @vol volunteer")
	if code, _ := c.get("/board/"); code != http.StatusUnauthorized {
		t.Fatalf("old session after a new grant: %d", code)
	}
	mustContain(t, h.logs.String(), "board session ended: role revoked")
}

func TestSessionExpiresAfter12Hours(t *testing.T) {
	h := newHarness(t)
	h.team()
	c := h.signIn("vol")
	h.advance(board.SessionTTL - time.Minute)
	if code, _ := c.get("/board/"); code != http.StatusOK {
		t.Fatalf("before expiry: %d", code)
	}
	h.advance(2 * time.Minute)
	if code, _ := c.get("/board/"); code != http.StatusUnauthorized {
		t.Fatalf("after 12 h: %d, want 401", code)
	}
}

func TestSheetFiltersSortsSearchesAndPages(t *testing.T) {
	h := newHarness(t)
	h.team()
	h.seed(60) // cases #2..#61
	c := h.signIn("coord")
	_, body := c.get("/board/")
	mustContain(t, body, "Page 1 of 2", "61 cases", `id="case-1"`)
	_, body = c.get("/board/?page=2")
	mustContain(t, body, "Page 2 of 2")
	mustNotContain(t, body, `id="case-1"`) // the urgent case sorts first
	_, body = c.get("/board/?urgency=high")
	mustContain(t, body, "1 cases", `id="case-1"`)
	_, body = c.get("/board/?sort=id&desc=1")
	if strings.Index(body, `id="case-61"`) > strings.Index(body, `id="case-30"`) {
		t.Errorf("descending id sort not applied")
	}
	// Finished cases leave the sheet but a search still finds them.
	if code, _ := c.act(1, url.Values{"action": {"resolve"}, "note": {"insulin delivered"}}); code != http.StatusOK {
		t.Fatalf("resolve: %d", code)
	}
	_, body = c.get("/board/?urgency=high")
	mustContain(t, body, "No cases match.")
	_, body = c.get("/board/?q=" + url.QueryEscape("胰岛素"))
	mustContain(t, body, `id="case-1"`)
	_, body = c.get("/board/?status=resolved")
	mustContain(t, body, `id="case-1"`, "1 cases")
	// Stale: nothing is stale now; after 3 h every open case is.
	_, body = c.get("/board/?stale=1")
	mustContain(t, body, "No cases match.")
	h.advance(3 * time.Hour)
	_, body = c.get("/board/?stale=1&age=2")
	mustContain(t, body, "60 cases")
	_, body = c.get("/board/?group=console:intake2&district=" + url.QueryEscape("黄浦"))
	mustContain(t, body, "10 cases") // every 2nd and every 3rd: 10 of 60
	_, body = c.get("/board/?group=console:intake&district=" + url.QueryEscape("nowhere"))
	mustContain(t, body, "No cases match.")
	// The print view has every row and no menus.
	_, body = c.get("/board/?print=1")
	mustContain(t, body, `class="print"`, `id="case-61"`, `id="case-2"`)
	mustNotContain(t, body, "<nav>")
}

func TestUserTextIsEscaped(t *testing.T) {
	h := newHarness(t)
	h.team()
	h.say(`[intake] x: 急需胰岛素 <script>alert(1)</script> 电话 13900001111`)
	c := h.signIn("vol")
	for _, path := range []string{"/board/", "/board/case/2", "/board/?q=alert"} {
		_, body := c.get(path)
		mustNotContain(t, body, "<script>alert(1)</script>")
		mustContain(t, body, "&lt;script&gt;")
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t)
	resp, err := http.Get(h.srv.URL + "/board/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for k, want := range map[string]string{
		"Content-Security-Policy": "script-src 'self'",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "same-origin",
		"X-Content-Type-Options":  "nosniff",
	} {
		if got := resp.Header.Get(k); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
}

func TestLoginIsRateLimited(t *testing.T) {
	h := newHarness(t, func(o *board.Options) { o.LoginRate, o.LoginBurst = 0.0001, 3 })
	c := h.client()
	codes := map[int]int{}
	for range 6 {
		code, _ := c.get("/board/login?t=guess")
		codes[code]++
	}
	if codes[http.StatusForbidden] != 3 || codes[http.StatusTooManyRequests] != 3 {
		t.Fatalf("codes %v, want 3 refused links then 3 rate-limited", codes)
	}
	// Someone trying links keeps the limit spent; a real link still
	// signs its person in, page and button both.
	h.team()
	h.signIn("vol")
	if code, _ := c.post("/board/login", url.Values{"t": {"guess"}}, h.srv.URL); code != http.StatusTooManyRequests {
		t.Errorf("a guessed link after the limit: %d, want 429", code)
	}
}

func TestDirectoryEditsForCoordinatorsOnly(t *testing.T) {
	h := newHarness(t)
	h.team()
	vol := h.signIn("vol")
	_, page := vol.get("/board/dir")
	mustContain(t, page, "Only coordinators edit the directory.")
	form := url.Values{"action": {"add"}, "name": {"仁济医院"}, "category": {"hospital"}, "district": {"浦东"}, "csrf": {vol.csrf(page)}}
	if code, _ := vol.post("/board/dir", form, h.srv.URL); code != http.StatusForbidden {
		t.Fatalf("volunteer add: %d, want 403", code)
	}
	coord := h.signIn("coord")
	_, page = coord.get("/board/dir")
	form.Set("csrf", coord.csrf(page))
	if code, body := coord.post("/board/dir", form, h.srv.URL); code != http.StatusOK {
		t.Fatalf("coordinator add: %d\n%s", code, body)
	}
	_, page = vol.get("/board/dir?q=" + url.QueryEscape("浦东"))
	mustContain(t, page, "仁济医院")
	_, page = vol.get("/board/dir?q=dialysis")
	mustNotContain(t, page, "仁济医院")
	// Status and removal, by a coordinator; a volunteer's are refused.
	_, page = coord.get("/board/dir")
	id := regexp.MustCompile(`name="id" value="(\d+)"`).FindStringSubmatch(page)
	if id == nil {
		t.Fatalf("no entry form in:\n%s", page)
	}
	edit := url.Values{"action": {"status"}, "id": {id[1]}, "status": {"满员"}, "csrf": {coord.csrf(page)}}
	if code, _ := coord.post("/board/dir", edit, h.srv.URL); code != http.StatusOK {
		t.Fatalf("status: %d", code)
	}
	_, page = vol.get("/board/dir")
	mustContain(t, page, "满员")
	rm := url.Values{"action": {"remove"}, "id": {id[1]}, "csrf": {vol.csrf(page)}}
	if code, _ := vol.post("/board/dir", rm, h.srv.URL); code != http.StatusForbidden {
		t.Fatalf("volunteer remove: %d, want 403", code)
	}
	_, page = coord.get("/board/dir")
	rm.Set("csrf", coord.csrf(page))
	if code, _ := coord.post("/board/dir", rm, h.srv.URL); code != http.StatusOK {
		t.Fatalf("remove: %d", code)
	}
	_, page = vol.get("/board/dir")
	mustNotContain(t, page, "仁济医院")
}

func TestStatsDrawCharts(t *testing.T) {
	h := newHarness(t)
	h.team()
	c := h.signIn("vol")
	c.act(1, url.Values{"action": {"claim"}})
	_, body := c.get("/board/stats")
	mustContain(t, body, "<svg", `class="u-high"`, "Time to first response", "median 0s · 1 cases")
}

func TestChineseFollowsThePerson(t *testing.T) {
	h := newHarness(t)
	h.team()
	h.say("[@vol] vol: /volunteer medical") // keep registered
	h.setLanguage("console:vol", "zh")
	c := h.signIn("vol")
	_, body := c.get("/board/")
	mustContain(t, body, "求助单", "第 1/1 页")
}

func TestFirstViewFromTheIndexMatchesTheFullSort(t *testing.T) {
	h := newHarness(t)
	h.team()
	h.seedMixed(130) // several pages, every urgency, some finished
	c := h.signIn("coord")
	var want []int64
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		var all []*store.Case
		err := tx.ForEachCase(func(c *store.Case) error {
			if c.Status.Open() {
				all = append(all, c)
			}
			return nil
		})
		slices.SortStableFunc(all, func(a, b *store.Case) int {
			return cmp.Or(cmp.Compare(b.Urgency, a.Urgency), a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
		})
		for _, c := range all {
			want = append(want, c.ID)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var got []int64
	for page := 1; ; page++ {
		_, body := c.get("/board/?page=" + strconv.Itoa(page))
		if page == 1 {
			mustContain(t, body, fmt.Sprintf("%d cases", len(want)))
		}
		for _, m := range rowIDRE.FindAllStringSubmatch(body, -1) {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			got = append(got, id)
		}
		if !strings.Contains(body, "Next</a>") {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("first view order\n got %v\nwant %v", got, want)
	}
	// The same order through the full scan (a filter that keeps all).
	_, body := c.get("/board/?sort=urgency&district=" + url.QueryEscape("区"))
	var scanned []int64
	for _, m := range rowIDRE.FindAllStringSubmatch(body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		scanned = append(scanned, id)
	}
	if len(scanned) == 0 || !slices.Equal(scanned, want[:len(scanned)]) {
		t.Fatalf("full scan order %v differs from %v", scanned, want[:min(len(want), len(scanned))])
	}
}

var rowIDRE = regexp.MustCompile(`<tr id="case-(\d+)"`)

// setLanguage stores the language person reads the bot in.
func (h *harness) setLanguage(person, lang string) {
	h.t.Helper()
	if err := h.st.Update(context.Background(), func(tx *store.Tx) error {
		p, err := tx.Person(person)
		if err != nil {
			return err
		}
		p.Language = lang
		return tx.PutPerson(p)
	}); err != nil {
		h.t.Fatal(err)
	}
}
